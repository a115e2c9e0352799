import { expect } from 'chai';
import supertest from 'supertest';
import { createMetricsApp } from '../../src/app.ts';
import { HotlineMetrics } from '../../src/observability/hotline.metrics.ts';
import { newCallSid, startTestApp, TestCall, twilioSignature, type TestApp } from '../support/test-app.ts';
import { addSupervisor, ORIGIN } from '../supervisor/console-support.ts';

describe('what an unauthenticated sender can make the app do', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('unsafe-input');
  });
  after(async () => t.close());

  it('an unsigned or forged request to any voice route leaves every collection unchanged, also for a live call', async () => {
    const live = new TestCall(t);
    await live.start();
    await live.press('2');
    const fresh = newCallSid();
    await t.settle();
    const before = await t.dumpDatabase();
    const seen = t.logs.length;
    const forged = twilioSignature('not-the-auth-token-000', `${t.config.publicBaseUrl}/voice`, { CallSid: fresh });
    for (const callSid of [live.callSid, fresh]) {
      for (const path of ['/voice', '/voice/gather?step=2&lang=en-US', '/voice/status', '/voice/fallback', '/voice/recover?lang=en-US', '/voice/dial-done?lang=en-US']) {
        const body = { CallSid: callSid, From: '+8613800138000', Digits: '1', CallStatus: 'completed', DialCallStatus: 'busy' };
        expect((await supertest(t.app).post(path).type('form').send(body)).status, path).to.equal(403);
        expect((await supertest(t.app).post(path).type('form').set('X-Twilio-Signature', forged).send(body)).status, path).to.equal(403);
      }
    }
    const lines = t.logs.slice(seen).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length, 'each refusal is logged').to.be.greaterThan(0);
    expect(lines.filter((line) => 'callSid' in line), 'no line is filed under a call').to.have.length(0);
    expect(await t.dumpDatabase(), 'every collection unchanged').to.equal(before);
    expect((await t.store.callLogs.late(fresh)).length).to.equal(0);
    await live.press('1');
    expect(await t.dumpDatabase(), 'a signed request does change them').to.not.equal(before);
  });

  it('a malformed console-login JSON body puts no part of the password in the log', async () => {
    await addSupervisor(t, 'alice');
    const seen = t.logs.length;
    const res = await supertest(t.app)
      .post('/api/supervisor/login')
      .set('Origin', ORIGIN)
      .set('Content-Type', 'application/json')
      .send('{"username":"alice","password":"hunter2-very-secret-pass"');
    expect(res.status).to.equal(400);
    const logged = t.logs.slice(seen).join('');
    expect(logged).to.contain('entity.parse.failed');
    expect(logged).not.to.contain('hunter2');
    expect(logged).not.to.contain('very-secret');
  });
});

describe('metrics on an internal port', () => {
  it('with METRICS_PORT, the public app has no /metrics and the metrics app serves it (with its token when set)', async () => {
    const t = await startTestApp('metrics-port', { seed: false, env: { METRICS_PORT: '9464', METRICS_TOKEN: 'metrics-token-0123' } });
    try {
      expect((await supertest(t.app).get('/metrics')).status).to.equal(404);
      const internal = createMetricsApp(t.config, new HotlineMetrics({ processMetrics: false }), t.logger);
      expect((await supertest(internal).get('/metrics')).status).to.equal(401);
      const ok = await supertest(internal).get('/metrics').set('Authorization', 'Bearer metrics-token-0123');
      expect(ok.status).to.equal(200);
      expect(ok.text).to.contain('hotline_turns_total');
      expect((await supertest(internal).post('/voice')).status).to.equal(404);
    } finally {
      await t.close();
    }
  });
});
