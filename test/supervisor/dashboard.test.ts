import { expect } from 'chai';
import supertest from 'supertest';
import { startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { addSupervisor, insertCall, signIn } from './console-support.ts';

/** A moment today (2026-03-01) in UTC; the console's zone is Asia/Shanghai, so today there began at 2026-02-28T16:00Z. */
const at = (iso: string) => new Date(`2026-03-01T${iso}Z`);

describe('today at a glance: the dashboard is the first page after sign-in', () => {
  let t: TestApp;
  let cookie: string;
  const get = (path: string, who = cookie) => supertest(t.app).get(path).set('Cookie', who);

  before(async () => {
    t = await startTestApp('sup-dashboard', { env: { DASHBOARD_APOLOGY_WARN_PERCENT: '20' } });
    await addSupervisor(t, 'alice');
    cookie = await signIn(t, 'alice');
    const ended = (start: string, seconds: number) => ({ startedAt: at(start), endedAt: new Date(at(start).getTime() + seconds * 1000) });
    await insertCall(t, { ...ended('07:10:00', 100), outcome: 'password-changed', endedIn: 'passwordChanged' });
    await insertCall(t, { ...ended('07:50:00', 200), outcome: 'password-changed', endedIn: 'passwordChanged' });
    await insertCall(t, { ...ended('07:20:00', 30), outcome: 'abandoned', endedIn: 'enterId' });
    await insertCall(t, { ...ended('03:20:00', 30), outcome: 'abandoned', endedIn: 'enterId' });
    await insertCall(t, { ...ended('03:30:00', 30), outcome: 'abandoned', endedIn: 'enterNewPin' });
    await insertCall(t, { ...ended('03:40:00', 30), outcome: 'abandoned', endedIn: 'mainMenu' });
    await insertCall(t, { ...ended('07:30:00', 30), outcome: 'abandoned', endedIn: 'welcome' });
    await insertCall(t, { ...ended('07:40:00', 90), outcome: 'transferred', endedIn: 'transferToAgent', hadTrouble: true });
    await insertCall(t, { ...ended('07:45:00', 90), outcome: 'agent-unavailable', endedIn: 'transferToAgent' });
    // Yesterday in Shanghai (23:00 local): not today's.
    await insertCall(t, { startedAt: new Date('2026-02-28T15:00:00Z'), outcome: 'abandoned', endedIn: 'enterId', hadTrouble: true });
    // A call still in progress: counted at its start, not ended.
    await new TestCall(t, '+8613100005555').start();
    await t.settle();
  });
  after(() => t.close());

  it('signing in lands on the dashboard, first in the navigation; /supervisor goes there too', async () => {
    const root = await get('/supervisor');
    expect(root.status).to.equal(303);
    expect(root.headers.location).to.equal('/supervisor/dashboard');
    const html = (await get('/supervisor/dashboard')).text;
    expect(html).to.match(/<nav aria-label="[^"]+"><a href="\/supervisor\/dashboard" class="active" aria-current="page">今日概览<\/a><a href="\/supervisor\/calls">/);
  });

  it('the JSON twin adds up today\'s counters: calls, in progress, outcomes, where callers hang up, average handle time of a reset', async () => {
    const res = await get('/api/supervisor/dashboard');
    expect(res.status).to.equal(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    const d = res.body;
    expect(d).to.include({ from: '2026-02-28T16:00:00.000Z', to: '2026-03-01T16:00:00.000Z', timeZone: 'Asia/Shanghai' });
    expect(d).to.include({ calls: 10, ended: 9, inProgress: 1, passwordChanges: 2, transfers: 1, agentUnavailable: 1, abandons: 5, trouble: 1 });
    expect(d.abandonRate).to.equal(0.5556);
    expect(d.abandonedIn).to.deep.equal([
      { state: 'enterId', calls: 2 },
      { state: 'enterNewPin', calls: 1 },
      { state: 'mainMenu', calls: 1 },
    ]);
    expect(d.avgHandleSecondsPasswordChanged).to.equal(150);
    expect(d).to.include({ apologyRate: 0.1111, apologyWarnPercent: 20, apologyWarning: false });
  });

  it('hour by hour, in the hour each call started, shown in the console\'s time zone', async () => {
    const { hours } = (await get('/api/supervisor/dashboard')).body;
    expect(hours).to.deep.equal([
      { start: '2026-03-01T03:00:00.000Z', startLocal: '2026-03-01 11:00:00 (UTC+8)', calls: 3, passwordChanges: 0, transfers: 0, abandons: 3, trouble: 0 },
      { start: '2026-03-01T07:00:00.000Z', startLocal: '2026-03-01 15:00:00 (UTC+8)', calls: 6, passwordChanges: 2, transfers: 1, abandons: 2, trouble: 1 },
      { start: '2026-03-01T08:00:00.000Z', startLocal: '2026-03-01 16:00:00 (UTC+8)', calls: 1, passwordChanges: 0, transfers: 0, abandons: 0, trouble: 0 },
    ]);
  });

  it('the page refreshes itself without JavaScript and says what "in progress" means, in Chinese and English', async () => {
    const zh = (await get('/supervisor/dashboard')).text;
    expect(zh).to.contain('<meta http-equiv="refresh" content="60">');
    expect(zh).not.to.contain('<script');
    expect(zh).to.contain('<h1>今日概览</h1>');
    expect(zh).to.match(/data-tile="in-progress"><div class="tile-label">进行中<\/div><div class="tile-value">1<\/div><div class="tile-note">今日来电减去已结束的通话/);
    expect(zh).to.match(/data-tile="avg-handle">.*<div class="tile-value">150 s<\/div>/);
    expect(zh).to.contain('<ol class="abandoned-in"><li><span class="code-word" title="enterId">');
    expect(zh).to.contain('<time datetime="2026-03-01T07:00:00.000Z"');
    expect(zh).not.to.contain('data-warning="apology"');
    const en = await supertest(t.app).post('/api/supervisor/me/language').set('Cookie', cookie).set('Origin', t.config.publicBaseUrl).send({ language: 'en-US' });
    expect(en.status).to.equal(200);
    const english = (await get('/supervisor/dashboard')).text;
    expect(english).to.contain('<h1>Today at a glance</h1>').and.contain('calls today minus those ended');
    await supertest(t.app).post('/api/supervisor/me/language').set('Cookie', cookie).set('Origin', t.config.publicBaseUrl).send({ language: 'zh-CN' });
  });

  it('an apology rate above DASHBOARD_APOLOGY_WARN_PERCENT shows a warning on the page and in the JSON', async () => {
    await insertCall(t, { startedAt: at('07:55:00'), outcome: 'goodbye', endedIn: 'goodbye', hadTrouble: true });
    await insertCall(t, { startedAt: at('07:56:00'), outcome: 'goodbye', endedIn: 'goodbye', hadTrouble: true });
    await t.settle();
    const d = (await get('/api/supervisor/dashboard')).body;
    expect(d).to.include({ ended: 11, trouble: 3, apologyRate: 0.2727, apologyWarning: true });
    const html = (await get('/supervisor/dashboard')).text;
    expect(html).to.contain('<div class="warning-box" role="alert" data-warning="apology">致歉率 27.3% 已超过警戒值 20%');
    expect(html).to.contain('<div class="tile warn" data-tile="apology-rate">');
  });

  it('is read from the counters only: no call, turn or end record is read to draw it', async () => {
    const reads: string[] = [];
    const { CallTurn, CallEnd } = t.store.models;
    const original = { turn: CallTurn.collection.findOne.bind(CallTurn.collection), end: CallEnd.collection.findOne.bind(CallEnd.collection) };
    CallTurn.collection.findOne = ((...args: Parameters<typeof original.turn>) => (reads.push('turn'), original.turn(...args))) as typeof original.turn;
    CallEnd.collection.findOne = ((...args: Parameters<typeof original.end>) => (reads.push('end'), original.end(...args))) as typeof original.end;
    try {
      expect((await get('/api/supervisor/dashboard')).status).to.equal(200);
    } finally {
      CallTurn.collection.findOne = original.turn;
      CallEnd.collection.findOne = original.end;
    }
    expect(reads).to.deep.equal([]);
  });

  it('needs a signed-in supervisor: the API answers 401 and the page sends to the login', async () => {
    expect((await supertest(t.app).get('/api/supervisor/dashboard')).status).to.equal(401);
    const page = await supertest(t.app).get('/supervisor/dashboard');
    expect(page.status).to.equal(303);
    expect(page.headers.location).to.match(/^\/supervisor\/login\?next=%2Fsupervisor%2Fdashboard/);
  });
});
