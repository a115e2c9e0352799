import { expect } from 'chai';
import supertest from 'supertest';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor, signIn } from './console-support.ts';

const WANG = { keys: '11010519491231002*', mobile: '+8613800138000' };

describe('the auditors\' password-change audit: changes in a range, and whether the caller was the registered mobile', () => {
  let t: TestApp;
  const cookies: Record<string, string> = {};
  const get = (who: string, path: string, query: Record<string, string> = {}) => supertest(t.app).get(path).query(query).set('Cookie', cookies[who]);
  let fromMobile: TestCall;
  let fromElsewhere: TestCall;

  /** Wang resets the password with a code by SMS, calling from a number. */
  const wangReset = async (from: string, pin: string) => {
    const call = new TestCall(t, from);
    await call.start();
    await call.pressAll(['2', '1', WANG.keys, '1']);
    await call.press((await latestCode(t, WANG.mobile)) as string);
    await call.pressAll([pin, pin]);
    expect(call.last.text).to.contain('Your password is set');
    await call.hangUp();
    return call;
  };

  before(async () => {
    t = await startTestApp('sup-password-audit');
    await addSupervisor(t, 'alice');
    await addSupervisor(t, 'audrey', 'correct horse battery', 'auditor');
    await addSupervisor(t, 'adam', 'correct horse battery', 'admin');
    for (const who of ['alice', 'audrey', 'adam']) cookies[who] = await signIn(t, who);
    fromMobile = await wangReset(WANG.mobile, '258036');
    t.clock.advance(60_000);
    fromElsewhere = await wangReset('+8613100007777', '473920');
    // A call that changed nothing is not in the audit.
    const quitter = new TestCall(t, '+8613100002222');
    await quitter.start();
    await quitter.press('1');
    await quitter.hangUp();
    await t.settle();
  });
  after(() => t.close());

  it('a supervisor may not read it (page, API or CSV: 403); an auditor and an admin may', async () => {
    expect((await get('alice', '/api/supervisor/password-changes')).status).to.equal(403);
    expect((await get('alice', '/api/supervisor/password-changes.csv')).status).to.equal(403);
    expect((await get('alice', '/supervisor/password-changes')).status).to.equal(403);
    expect((await get('audrey', '/api/supervisor/password-changes')).status).to.equal(200);
    expect((await get('adam', '/api/supervisor/password-changes')).status).to.equal(200);
    expect((await get('alice', '/supervisor/dashboard')).text).not.to.contain('href="/supervisor/password-changes"');
    expect((await get('audrey', '/supervisor/dashboard')).text).to.contain('href="/supervisor/password-changes"');
  });

  it('lists the changes newest first, each saying whether the calling number was the registered mobile, masked', async () => {
    const res = await get('audrey', '/api/supervisor/password-changes', { range: 'today' });
    expect(res.status).to.equal(200);
    const changes = res.body.changes as Array<Record<string, unknown>>;
    expect(changes.map((c) => [c.callSid, c.callerMatchedMobile, c.idMasked, c.callerMasked, c.status])).to.deep.equal([
      [fromElsewhere.callSid, false, '1101**********002X', '+86 131****7777', 'done'],
      [fromMobile.callSid, true, '1101**********002X', '+86 138****8000', 'done'],
    ]);
    expect(changes[0].atLocal).to.match(/^2026-03-01 16:0\d:\d{2} \(UTC\+8\)$/);
    expect(res.body.next).to.equal(null);
    expect(JSON.stringify(res.body)).not.to.contain('13800138000').and.not.to.contain('11010519491231002X');
  });

  it('filters by the match: "no" finds the change made from another number, "yes" the one from the mobile', async () => {
    const no = await get('audrey', '/api/supervisor/password-changes', { match: 'no' });
    expect(no.body.changes.map((c: { callSid: string }) => c.callSid)).to.deep.equal([fromElsewhere.callSid]);
    const yes = await get('audrey', '/api/supervisor/password-changes', { match: 'yes' });
    expect(yes.body.changes.map((c: { callSid: string }) => c.callSid)).to.deep.equal([fromMobile.callSid]);
    expect((await get('audrey', '/api/supervisor/password-changes', { match: 'maybe' })).status).to.equal(400);
    expect((await get('audrey', '/api/supervisor/password-changes', { from: '2025-01-01 00:00', to: '2026-03-01 00:00' })).status).to.equal(400);
  });

  it('pages by a cursor: one change per page, then the next', async () => {
    const first = await get('audrey', '/api/supervisor/password-changes', { limit: '1' });
    expect(first.body.changes.map((c: { callSid: string }) => c.callSid)).to.deep.equal([fromElsewhere.callSid]);
    expect(first.body.next).to.be.a('string');
    const second = await get('audrey', '/api/supervisor/password-changes', { limit: '1', after: first.body.next });
    expect(second.body.changes.map((c: { callSid: string }) => c.callSid)).to.deep.equal([fromMobile.callSid]);
  });

  it('the page shows the flag in words (Chinese by default) and links each call', async () => {
    const html = (await get('audrey', '/supervisor/password-changes', { match: 'no' })).text;
    expect(html).to.contain('<h1>密码修改审计</h1>');
    expect(html).to.contain('<tr data-match="no">');
    expect(html).to.contain('不一致（来电号码不是登记手机）');
    expect(html).to.contain(`href="/supervisor/calls/${fromElsewhere.callSid}"`);
    expect(html).not.to.contain(`href="/supervisor/calls/${fromMobile.callSid}"`);
  });

  it('exports CSV with UTC and local times and the flag; views and exports are in the access log with their filter', async () => {
    const csv = await get('audrey', '/api/supervisor/password-changes.csv', { range: 'today' });
    expect(csv.status).to.equal(200);
    expect(csv.headers['content-type']).to.contain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).to.equal('at,atLocal,callSid,id,caller,callerMatchedMobile,verifiedBy,status,language');
    expect(lines.slice(1).map((line) => line.split(',').slice(2, 6))).to.deep.equal([
      [fromElsewhere.callSid, '1101**********002X', "'+86 131****7777", 'no'], // a leading + is neutralised against spreadsheet formulas
      [fromMobile.callSid, '1101**********002X', "'+86 138****8000", 'yes'],
    ]);
    const views = await accessLogEntries(t, { supervisor: 'audrey', what: 'view-password-changes' });
    expect(views.length).to.be.greaterThan(3);
    expect(views.map((v) => v.detail)).to.include('from=2026-02-23 00:00&to=2026-03-02 00:00&match=no');
    const exports = await accessLogEntries(t, { supervisor: 'audrey', what: 'export-password-changes' });
    expect(exports).to.have.length(1);
    expect(exports[0].detail).to.equal('from=2026-03-01 00:00&to=2026-03-02 00:00');
    expect(await accessLogEntries(t, { supervisor: 'alice', what: 'view-password-changes' })).to.deep.equal([]);
  });
});
