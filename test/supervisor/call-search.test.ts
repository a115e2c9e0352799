import { expect } from 'chai';
import supertest from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor, insertCall, signIn } from './console-support.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 8, minute));

describe('supervisor console: call search', () => {
  let t: TestApp;
  let cookie: string;
  const sids: Record<string, string> = {};
  const get = (path: string, query: Record<string, string> = {}) => supertest(t.app).get(path).query(query).set('Cookie', cookie);
  const found = async (query: Record<string, string>) => ((await get('/api/supervisor/calls', query)).body.calls as Array<{ callSid: string }>).map((c) => c.callSid);

  before(async () => {
    t = await startTestApp('sup-search', { seed: false });
    await addSupervisor(t);
    cookie = await signIn(t);
    sids.changed = await insertCall(t, { startedAt: at(1), outcome: 'password-changed', idNumber: '11010519491231002X', from: '+8613800138000', language: 'zh-CN' });
    sids.locked = await insertCall(t, { startedAt: at(2), outcome: 'locked', idNumber: '440524188001010014', from: '+8613912345678', language: 'en-US' });
    sids.abandoned = await insertCall(t, { startedAt: at(3), outcome: 'abandoned', from: '+8613700001111', endedIn: 'mainMenu' });
    sids.trouble = await insertCall(t, { startedAt: at(4), outcome: 'transferred', hadTrouble: true, from: '+8615000002222', language: 'en-US' });
    sids.goodbye = await insertCall(t, { startedAt: at(5), outcome: 'goodbye', from: '+8613800001234' });
  });
  after(() => t.close());

  it('lists calls newest first with masked caller and ID only', async () => {
    const res = await get('/api/supervisor/calls');
    expect(res.status).to.equal(200);
    expect(res.body.calls.map((c: { callSid: string }) => c.callSid)).to.deep.equal([sids.goodbye, sids.trouble, sids.abandoned, sids.locked, sids.changed]);
    const changed = res.body.calls[4];
    expect(changed.callerMasked).to.equal('+86 138****8000');
    expect(changed.idMasked).to.equal('1101**********002X');
    const text = JSON.stringify(res.body);
    for (const secret of ['11010519491231002X', '13800138000', 'callerHash', 'idHash', 'snapshot', 'lastTwiml', '<Response']) expect(text).not.to.contain(secret);
  });

  it('filters by a time range typed in the console time zone (Asia/Shanghai), or given in UTC with Z', async () => {
    expect(await found({ from: '2026-03-01 16:02', to: '2026-03-01 16:04' })).to.deep.equal([sids.abandoned, sids.locked]);
    expect(await found({ from: '2026-03-01T16:02', to: '2026-03-01T16:04:00' })).to.deep.equal([sids.abandoned, sids.locked]);
    expect(await found({ from: '2026-03-01T08:05:00Z' })).to.deep.equal([sids.goodbye]);
    expect(await found({ to: '2026-03-01' })).to.deep.equal([]);
    const bad = await get('/api/supervisor/calls', { from: '03/01/2026 4:02 PM' });
    expect(bad.status).to.equal(400);
    expect(bad.body.message).to.contain('from').and.contain('Asia/Shanghai');
    expect((await get('/api/supervisor/calls', { from: '2026-02-30 10:00' })).status).to.equal(400);
    expect((await get('/api/supervisor/calls', { range: 'fortnight' })).status).to.equal(400);
  });

  it('quick ranges: last hour, today and yesterday are read in the console time zone', async () => {
    t.clock.advance(10 * 60_000);
    const lateYesterday = await insertCall(t, { startedAt: new Date('2026-02-28T15:30:00Z'), outcome: 'no-input', from: '+8613600009999' });
    const all = [sids.goodbye, sids.trouble, sids.abandoned, sids.locked, sids.changed];
    expect(await found({ range: 'last-hour' })).to.deep.equal(all);
    expect(await found({ range: 'today' })).to.deep.equal(all);
    expect(await found({ range: 'yesterday' })).to.deep.equal([lateYesterday]);
    expect(await found({ range: 'last-7-days' })).to.deep.equal([...all, lateYesterday]);
    const page = await get('/supervisor/calls', { range: 'yesterday' });
    expect(page.text).to.contain('value="2026-02-28 00:00"').and.contain('value="2026-03-01 00:00"');
    expect(page.text).to.contain('2026-02-28 23:30:00 (UTC+8)');
    expect(page.text).to.contain('Asia/Shanghai');
  });

  it('filters by outcome, and "error" finds calls that met a technical problem', async () => {
    expect(await found({ outcome: 'password-changed' })).to.deep.equal([sids.changed]);
    expect(await found({ outcome: 'locked' })).to.deep.equal([sids.locked]);
    expect(await found({ outcome: 'abandoned' })).to.deep.equal([sids.abandoned]);
    expect(await found({ outcome: 'error' })).to.deep.equal([sids.trouble]);
    expect((await get('/api/supervisor/calls', { outcome: 'nonsense' })).status).to.equal(400);
  });

  it("filters by the caller's last digits or full number", async () => {
    expect(await found({ caller: '8000' })).to.deep.equal([sids.changed]);
    expect(await found({ caller: '234' })).to.deep.equal([sids.goodbye]);
    expect(await found({ caller: '+86 139 1234 5678' })).to.deep.equal([sids.locked]);
    expect(await found({ caller: '13912345678' })).to.deep.equal([sids.locked]);
    expect((await get('/api/supervisor/calls', { caller: '45678' })).status).to.equal(400);
  });

  it('filters by ID number, masked as shown or full (looked up by its keyed hash)', async () => {
    expect(await found({ id: '1101**********002X' })).to.deep.equal([sids.changed]);
    expect(await found({ id: '11010519491231002x' })).to.deep.equal([sids.changed]);
    expect(await found({ id: '440524188001010014' })).to.deep.equal([sids.locked]);
    expect((await get('/api/supervisor/calls', { id: '1101' })).status).to.equal(400);
  });

  it('filters by language and by CallSid, and combines filters', async () => {
    expect(await found({ language: 'en-US' })).to.deep.equal([sids.trouble, sids.locked]);
    expect(await found({ callSid: sids.abandoned })).to.deep.equal([sids.abandoned]);
    expect(await found({ language: 'en-US', outcome: 'locked' })).to.deep.equal([sids.locked]);
    expect(await found({ language: 'en-US', outcome: 'abandoned' })).to.deep.equal([]);
  });

  it('pages through many calls with no call missed or repeated, even with equal start times', async () => {
    const many = await startTestApp('sup-search-pages', { seed: false });
    try {
      many.clock.now = new Date('2026-03-02T10:00:00Z');
      await addSupervisor(many);
      const c = await signIn(many);
      const inserted: string[] = [];
      for (let i = 0; i < 60; i += 1) inserted.push(await insertCall(many, { startedAt: new Date(Date.UTC(2026, 2, 2, 9, Math.floor(i / 3))) }));
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const res: supertest.Response = await supertest(many.app).get('/api/supervisor/calls').query(after ? { after } : {}).set('Cookie', c);
        expect(res.status).to.equal(200);
        expect(res.body.calls.length).to.be.at.most(25);
        seen.push(...res.body.calls.map((x: { callSid: string }) => x.callSid));
        after = res.body.next;
        pages += 1;
      } while (after);
      expect(pages).to.equal(3);
      expect(seen).to.have.length(60);
      expect(new Set(seen).size).to.equal(60);
      expect([...seen].sort()).to.deep.equal([...inserted].sort());
      const times = (await many.store.callSearch.search({}, { limit: 100, now: many.clock.now })).calls.map((x) => x.startedAt.getTime());
      expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    } finally {
      await many.close();
    }
  });

  it('the search page shows the filters, masked results and links to the next page and the CSV export', async () => {
    const res = await get('/supervisor/calls', { language: 'en-US' });
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('+86 139****5678').and.contain('4405**********0014');
    expect(res.text).not.to.contain('440524188001010014');
    expect(res.text).to.contain('href="/api/supervisor/calls.csv?language=en-US"');
  });

  it('exports the search as CSV, masked the same way, and records the export', async () => {
    const res = await get('/api/supervisor/calls.csv', { outcome: 'password-changed' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.contain('text/csv');
    expect(res.headers['content-disposition']).to.contain('attachment');
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).to.equal('callSid,startedAt,startedAtLocal,endedAt,endedAtLocal,durationSeconds,language,caller,id,outcome,endedIn,technicalProblem,refusedWhileLockedUntil');
    expect(lines).to.have.length(2);
    expect(lines[1]).to.contain(sids.changed).and.contain("'+86 138****8000").and.contain('1101**********002X').and.contain('password-changed');
    expect(lines[1]).to.contain('2026-03-01T08:01:00.000Z,2026-03-01 16:01:00 (UTC+8),2026-03-01T08:02:00.000Z,2026-03-01 16:02:00 (UTC+8)');
    expect(res.text).not.to.contain('11010519491231002X');
    const log = await accessLogEntries(t);
    expect(log[0]).to.include({ supervisor: 'alice', role: 'supervisor', what: 'export-calls', how: 'csv', callSid: null });
  });
});
