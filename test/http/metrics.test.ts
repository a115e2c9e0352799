import { expect } from 'chai';
import supertest from 'supertest';
import { promSample as sample } from '../../scripts/bench-support.ts';
import { HotlineMetrics } from '../../src/observability/hotline.metrics.ts';
import { openStore } from '../../src/storage/store.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { signedPost, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const ZHANG = { id: '310115198503171231', mobile: '+8613700001111', password: '314159' };
const LI = { id: '440524188001010014', mobile: '+8613912345678' };

async function scrape(t: TestApp, token?: string): Promise<string> {
  const req = supertest(t.app).get('/metrics');
  if (token) req.set('Authorization', `Bearer ${token}`);
  const res = await req;
  expect(res.status).to.equal(200);
  expect(res.type).to.equal('text/plain');
  return res.text;
}

async function changeCall(t: TestApp, from: string, id: string, current: string): Promise<TestCall> {
  const call = new TestCall(t, from);
  await call.start();
  await call.pressAll(['2', '2', id, current]);
  return call;
}

describe('the /metrics endpoint', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('metrics', { env: { METRICS_TOKEN: 'scrape-me-0123456789' } });
  });
  after(async () => t.close());

  it('without the metrics token, the metrics are refused', async () => {
    const res = await supertest(t.app).get('/metrics');
    expect(res.status).to.equal(401);
    const wrong = await supertest(t.app).get('/metrics').set('Authorization', 'Bearer scrape-me-0123456780');
    expect(wrong.status).to.equal(401);
  });

  it('after a password change, it counts every turn, their latency, the outcome and the notice sent', async () => {
    const before = await scrape(t, 'scrape-me-0123456789');
    const call = await changeCall(t, ZHANG.mobile, ZHANG.id, ZHANG.password);
    await call.pressAll(['520746', '520746']);
    expect(call.last.says.map((s) => s.text).join(' ')).to.contain('Your password is set');
    const after = await scrape(t, 'scrape-me-0123456789');

    const advanced = (text: string, event: string) => sample(text, 'hotline_turns_total', { event, result: 'advanced' });
    expect(advanced(after, 'CALL_START') - advanced(before, 'CALL_START')).to.equal(1);
    expect(advanced(after, 'DIGITS') - advanced(before, 'DIGITS')).to.equal(6);
    expect(sample(after, 'hotline_turn_duration_seconds_count', { event: 'DIGITS' })).to.equal(sample(after, 'hotline_turns_total', { event: 'DIGITS', result: 'advanced' }));
    expect(sample(after, 'hotline_turn_duration_seconds_sum', { event: 'DIGITS' })).to.be.greaterThan(0);
    expect(sample(after, 'hotline_call_outcomes_total', { outcome: 'password-changed' }) - sample(before, 'hotline_call_outcomes_total', { outcome: 'password-changed' })).to.equal(1);
    expect(sample(after, 'hotline_deliveries_total', { channel: 'sms', result: 'sent' })).to.be.greaterThan(0);
    expect(after).not.to.contain('520746');
  });

  it('a repeated delivery of a turn is counted as repeated, not as a second step', async () => {
    const call = new TestCall(t, '+8613600000001');
    await call.start();
    const action = call.last.gather!.action;
    await call.press('2');
    const before = await scrape(t, 'scrape-me-0123456789');
    const again = await signedPost(t, action, { CallSid: call.callSid, Digits: '2' });
    expect(again.status).to.equal(200);
    const after = await scrape(t, 'scrape-me-0123456789');
    expect(sample(after, 'hotline_turns_total', { event: 'DIGITS', result: 'repeated' }) - sample(before, 'hotline_turns_total', { event: 'DIGITS', result: 'repeated' })).to.equal(1);
    expect(sample(after, 'hotline_turns_total', { event: 'DIGITS', result: 'advanced' })).to.equal(sample(before, 'hotline_turns_total', { event: 'DIGITS', result: 'advanced' }));
  });

  it('when wrong current passwords lock a card, one lockout is counted', async () => {
    const before = sample(await scrape(t, 'scrape-me-0123456789'), 'hotline_card_lockouts_total');
    for (const attempt of [1, 2]) {
      const call = await changeCall(t, `+861360000010${attempt}`, LI.id, '000000');
      await call.pressAll(['000001', '000002'].slice(0, attempt === 1 ? 2 : 1));
    }
    const after = sample(await scrape(t, 'scrape-me-0123456789'), 'hotline_card_lockouts_total');
    expect(after - before).to.equal(1);
    const lock = await t.store.models.CardLock.countDocuments({});
    expect(lock).to.equal(1);
  });
});

describe('database round trips', () => {
  it('a store opened with a command listener reports every command it sends', async () => {
    const metrics = new HotlineMetrics({ processMetrics: false });
    const store = await openStore(testMongoUri(), `t_metrics_commands_${process.pid}`, { onCommand: (name) => metrics.databaseCommand(name) });
    try {
      const before = sample((await metrics.render()).body, 'hotline_database_commands_total', { command: 'findOne' });
      await store.callSessions.find('CA-none');
      await store.callSessions.find('CA-none-2');
      const { body } = await metrics.render();
      expect(sample(body, 'hotline_database_commands_total', { command: 'findOne' }) - before).to.equal(2);
    } finally {
      await store.close();
    }
  });

  it('process metrics (CPU, memory) are exposed for the benchmark to read', async () => {
    const metrics = new HotlineMetrics();
    let spin = 0;
    for (const started = process.cpuUsage().user; process.cpuUsage().user - started < 50_000; ) spin += 1;
    expect(spin).to.be.greaterThan(0);
    const { body } = await metrics.render();
    expect(sample(body, 'hotline_process_cpu_user_seconds_total')).to.be.greaterThan(0);
    expect(sample(body, 'hotline_process_resident_memory_bytes')).to.be.greaterThan(1_000_000);
  });
});
