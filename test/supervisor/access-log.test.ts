import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { registerModels } from '../../src/storage/models.ts';
import { SupervisorRepository } from '../../src/storage/supervisor.repository.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor, insertCall, signIn } from './console-support.ts';

const entry = (at: Date, supervisor = 'alice', what = 'view-call') => ({ at, supervisor, role: 'supervisor', what, how: 'page', callSid: null, subject: null, detail: null });

describe('supervisor console: the access log', () => {
  let t: TestApp;
  let alice: string;
  let audrey: string;
  let changed: string;
  const as = (cookie: string) => (path: string, query: Record<string, string> = {}) => supertest(t.app).get(path).query(query).set('Cookie', cookie);

  before(async () => {
    t = await startTestApp('sup-access-log', { seed: false });
    await addSupervisor(t, 'alice');
    await addSupervisor(t, 'audrey', 'correct horse battery', 'auditor');
    alice = await signIn(t, 'alice');
    audrey = await signIn(t, 'audrey');
    changed = await insertCall(t, { startedAt: new Date('2026-03-01T07:30:00Z'), outcome: 'password-changed', idNumber: '440524188001010014', from: '+8613912345678' });
    for (let i = 0; i < 30; i += 1) await insertCall(t, { startedAt: new Date(Date.UTC(2026, 1, 27, 9, i)), from: '+8613912345678' });
  });
  after(() => t.close());

  it('records each view of a call and each search by number or ID, storing and showing the number and ID masked only', async () => {
    const get = as(alice);
    await get(`/supervisor/calls/${changed}`);
    await get(`/api/supervisor/calls/${changed}`);
    await get(`/api/supervisor/calls/${changed}/timeline.json`);
    await get('/api/supervisor/calls', { caller: '+86 139 1234 5678' });
    await get('/supervisor/calls', { id: '440524188001010014', range: 'last-7-days' });
    await get('/api/supervisor/calls', { id: '4405**********0014' });
    await get('/api/supervisor/calls', { caller: '5678' });
    await get('/api/supervisor/calls', { outcome: 'password-changed' });
    const firstPage = await get('/api/supervisor/calls', { caller: '13912345678' });
    await get('/api/supervisor/calls', { caller: '13912345678', after: firstPage.body.next });
    await get('/api/supervisor/calls.csv', { caller: '13912345678' });

    const log = await accessLogEntries(t, { supervisor: 'alice' });
    const seen = log.map((e) => [e.what, e.how, e.callSid, e.subject]).reverse();
    expect(seen).to.deep.equal([
      ['view-call', 'page', changed, null],
      ['view-call', 'api', changed, null],
      ['view-call', 'json', changed, null],
      ['search', 'api', null, 'caller +86 139****5678'],
      ['search', 'page', null, 'ID 4405**********0014'],
      ['search', 'api', null, 'ID 4405**********0014'],
      ['search', 'api', null, 'caller …5678'],
      ['search', 'api', null, 'caller 139****5678'],
      ['export-calls', 'csv', null, 'caller 139****5678'],
    ]);
    expect(log.find((e) => e.how === 'page' && e.what === 'search')?.detail).to.equal('from=2026-02-23 00:00&to=2026-03-02 00:00&id=4405**********0014');
    const stored = JSON.stringify(await t.store.models.AccessLog.find({}).lean());
    for (const secret of ['440524188001010014', '13912345678', '1234 5678']) expect(stored, secret).not.to.contain(secret);
  });

  it('lets an auditor read it newest first, filtered by supervisor, what and a time range in the console zone, with local times', async () => {
    const get = as(audrey);
    const all = await get('/api/supervisor/access-log');
    expect(all.status).to.equal(200);
    expect(all.body.timeZone).to.equal('Asia/Shanghai');
    expect(all.body.entries.length).to.be.at.least(9);
    expect(all.body.entries[0]).to.include({ supervisor: 'alice', role: 'supervisor', what: 'export-calls', atLocal: '2026-03-01 16:00:00 (UTC+8)' });
    expect(all.body.entries[0]).not.to.have.property('_id');
    const searches = await get('/api/supervisor/access-log', { supervisor: 'alice', what: 'search' });
    expect(searches.body.entries.map((e: { what: string }) => e.what)).to.deep.equal(['search', 'search', 'search', 'search', 'search']);
    expect((await get('/api/supervisor/access-log', { supervisor: 'nobody' })).body.entries).to.deep.equal([]);
    expect((await get('/api/supervisor/access-log', { callSid: changed })).body.entries).to.have.length(3);
    expect((await get('/api/supervisor/access-log', { from: '2026-03-01 16:01', to: '2026-03-01 17:00' })).body.entries).to.deep.equal([]);
    expect((await get('/api/supervisor/access-log', { from: '2026-03-01 15:59', to: '2026-03-01 16:01' })).body.entries.length).to.equal(all.body.entries.length);
    expect((await get('/api/supervisor/access-log', { range: 'yesterday' })).body.entries).to.deep.equal([]);
    expect((await get('/api/supervisor/access-log', { limit: '2' })).body).to.include({ more: true }).and.to.have.nested.property('entries.length', 2);
    expect((await get('/api/supervisor/access-log', { from: '2025-01-01 00:00', to: '2026-03-01 00:00' })).status).to.equal(400);
    expect((await get('/api/supervisor/access-log', { what: 'burgle' })).status).to.equal(400);

    const page = await get('/supervisor/access-log', { supervisor: 'alice', what: 'search' });
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('访问日志').and.contain('caller +86 139****5678').and.contain('2026-03-01 16:00:00 (UTC+8)');
    expect(page.text).to.contain('<option value="search" title="search" selected>');
    expect(page.text).not.to.contain('13912345678');
  });

  it('exports it as CSV with UTC and local times, and records the export', async () => {
    const res = await as(audrey)('/api/supervisor/access-log.csv', { supervisor: 'alice', what: 'view-call' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.contain('text/csv');
    expect(res.headers['content-disposition']).to.equal('attachment; filename="access-log.csv"');
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).to.equal('at,atLocal,supervisor,role,what,how,callSid,subject,detail');
    expect(lines).to.have.length(4);
    expect(lines[1]).to.equal(`2026-03-01T08:00:00.000Z,2026-03-01 16:00:00 (UTC+8),alice,supervisor,view-call,json,${changed},,`);
    const exported = (await accessLogEntries(t, { what: 'export-access-log' }))[0];
    expect(exported).to.include({ supervisor: 'audrey', role: 'auditor', how: 'csv' });
    expect(exported.detail).to.contain('supervisor=alice').and.contain('what=view-call');
  });

  it('numbers entries per UTC hour under unique ids, so concurrent writers never collide and a restarted instance continues the count', async () => {
    const at = new Date('2026-03-05T10:15:00Z');
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.store.supervisors.logAccess(entry(new Date(at.getTime() + i), `w${i % 3}`))));
    const fresh = new SupervisorRepository(t.store.models);
    await fresh.logAccess(entry(new Date('2026-03-05T10:59:59Z'), 'late'));
    const ids = (await t.store.models.AccessLog.find({ _id: /^2026030510:/ }, { _id: 1 }).lean()).map((d) => d._id).sort();
    expect(ids).to.deep.equal(Array.from({ length: 21 }, (_, i) => `2026030510:${String(i).padStart(6, '0')}`));
    const read = await fresh.accessLog({ from: new Date('2026-03-05T10:00:00Z'), to: new Date('2026-03-05T11:00:00Z'), limit: 100, maxScan: 1000 });
    expect(read.entries).to.have.length(21);
    expect(read.entries[0].supervisor).to.equal('late');
    expect(read.more).to.equal(false);
  });

  it('reads only by _id, hour by hour back from the end of the range, and stops at the scan budget', async () => {
    const connection = await mongoose.createConnection(testMongoUri(), { dbName: t.dbName, monitorCommands: true }).asPromise();
    try {
      const filters: unknown[] = [];
      connection.getClient().on('commandStarted', (e: { commandName: string; command: { filter?: unknown } }) => {
        if (e.commandName === 'find' || e.commandName === 'aggregate' || e.commandName === 'count') filters.push(e.commandName === 'find' ? e.command.filter : e.commandName);
      });
      const repo = new SupervisorRepository(registerModels(connection));
      for (let hour = 0; hour < 6; hour += 1) {
        for (let i = 0; i < 3; i += 1) await repo.logAccess(entry(new Date(Date.UTC(2026, 2, 10, hour, 10 + i)), 'bob', i === 0 ? 'search' : 'view-call'));
      }
      filters.length = 0;
      const range = { from: new Date('2026-03-10T00:00:00Z'), to: new Date('2026-03-10T06:00:00Z') };
      const searches = await repo.accessLog({ ...range, limit: 100, maxScan: 1000, match: { what: 'search' } });
      expect(searches.entries.map((e) => e.at.toISOString())).to.deep.equal([5, 4, 3, 2, 1, 0].map((h) => `2026-03-10T0${h}:10:00.000Z`));
      expect(filters.length).to.be.greaterThan(0);
      for (const filter of filters) expect(filter).to.have.all.keys('_id').and.to.satisfy((f: { _id: unknown }) => typeof f._id === 'string');
      expect(new Set(filters.map((f) => (f as { _id: string })._id.slice(0, 10)))).to.deep.equal(new Set(['2026031005', '2026031004', '2026031003', '2026031002', '2026031001', '2026031000']));

      const budget = await repo.accessLog({ from: new Date('2026-03-09T00:00:00Z'), to: range.to, limit: 100, maxScan: 2, match: { what: 'search' } });
      expect(budget.more).to.equal(true);
      expect(budget.scanned).to.be.at.most(18);
      expect(budget.readBackTo.getTime()).to.be.greaterThan(new Date('2026-03-09T00:00:00Z').getTime());
    } finally {
      await connection.close();
    }
  });
});
