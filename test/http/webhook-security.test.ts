import { expect } from 'chai';
import supertest from 'supertest';
import twilio from 'twilio';
import { newCallSid, signedPost, startTestApp, TestCall, twilioSignature, type TestApp } from '../support/test-app.ts';
import { parseTwiml } from '../support/twiml.ts';

describe('webhook security and malformed input', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('security');
  });
  after(async () => t.close());

  it("matches twilio-node's published signature vector", () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    expect(twilioSignature('12345', url, params)).to.equal('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilio.validateRequest('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).to.equal(true);
    expect(twilio.validateRequest('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, { ...params, Digits: '1235' })).to.equal(false);
  });

  it('accepts a request signed with the published vector when the app runs at that URL', async () => {
    const vectorApp = await startTestApp('security-vector', { env: { TWILIO_AUTH_TOKEN: '12345678', PUBLIC_BASE_URL: 'https://mycompany.com' }, seed: false });
    try {
      const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', From: '+14158675309', To: '+18005551212' };
      const signature = twilioSignature('12345678', 'https://mycompany.com/voice', params);
      const ok = await supertest(vectorApp.app).post('/voice').type('form').set('X-Twilio-Signature', signature).send(params);
      expect(ok.status).to.equal(200);
      expect(parseTwiml(ok.text).gather?.action).to.equal('/voice/gather?step=1&lang=zh-CN');
    } finally {
      await vectorApp.close();
    }
  });

  it('when the signature is forged or missing, it answers 403 and nothing is stored', async () => {
    const callSid = newCallSid();
    const params = { CallSid: callSid, From: '+8613800138000', To: '+8610123456' };
    const forged = await supertest(t.app).post('/voice').type('form').set('X-Twilio-Signature', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=').send(params);
    expect(forged.status).to.equal(403);
    const missing = await supertest(t.app).post('/voice').type('form').send(params);
    expect(missing.status).to.equal(403);
    const wrongToken = twilioSignature('another-token-123456', `${t.config.publicBaseUrl}/voice`, params);
    expect((await supertest(t.app).post('/voice').type('form').set('X-Twilio-Signature', wrongToken).send(params)).status).to.equal(403);
    const otherUrl = twilioSignature(t.config.twilio.authToken, `${t.config.publicBaseUrl}/voice?x=1`, params);
    expect((await supertest(t.app).post('/voice').type('form').set('X-Twilio-Signature', otherUrl).send(params)).status).to.equal(403);
    expect(await t.store.callSessions.find(callSid)).to.equal(null);
  });

  it('when a signed step is tampered with (different digits), it answers 403 and the call does not move', async () => {
    const call = new TestCall(t);
    await call.start();
    const path = call.last.gather!.action;
    const signature = twilioSignature(t.config.twilio.authToken, `${t.config.publicBaseUrl}${path}`, { CallSid: call.callSid, Digits: '1' });
    const res = await supertest(t.app).post(path).type('form').set('X-Twilio-Signature', signature).send({ CallSid: call.callSid, Digits: '2' });
    expect(res.status).to.equal(403);
    expect((await t.store.callSessions.find(call.callSid))?.step).to.equal(1);
  });

  it('turning the check off needs the explicit setting and logs a warning', async () => {
    const open = await startTestApp('security-off', { env: { TWILIO_SIGNATURE_CHECK: 'false' }, seed: false });
    try {
      const res = await supertest(open.app).post('/voice').type('form').send({ CallSid: newCallSid(), From: '+8613800138000' });
      expect(res.status).to.equal(200);
      expect(open.logs.some((l) => l.includes('twilio signature check disabled'))).to.equal(true);
    } finally {
      await open.close();
    }
  });

  it('when a webhook is delivered twice, the second gets the same TwiML and the call does not advance twice', async () => {
    const call = new TestCall(t);
    await call.start();
    const action = call.last.gather!.action;
    const first = await signedPost(t, action, { CallSid: call.callSid, Digits: '2' });
    const second = await signedPost(t, action, { CallSid: call.callSid, Digits: '2' });
    expect(second.text).to.equal(first.text);
    const session = await t.store.callSessions.find(call.callSid);
    expect(session?.step).to.equal(2);
    expect(await t.store.callSessions.turns(call.callSid)).to.have.length(2);
    const repeatStart = await signedPost(t, '/voice', { CallSid: call.callSid, From: call.from });
    expect(parseTwiml(repeatStart.text).text).to.contain('For English, press 2.');
    expect((await t.store.callSessions.find(call.callSid))?.step).to.equal(2);
  });

  it('when a wrong password is delivered twice, the failure is counted once', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.pressAll(['2', '2', '310115198503171231']);
    const action = call.last.gather!.action;
    const first = await signedPost(t, action, { CallSid: call.callSid, Digits: '000001' });
    const second = await signedPost(t, action, { CallSid: call.callSid, Digits: '000001' });
    expect(second.text).to.equal(first.text);
    expect(await t.store.models.VerificationSlot.countDocuments({ callSid: call.callSid, _id: { $regex: ':e[0-9]+:' } })).to.equal(1);
  });

  it('when the same webhook arrives twice at once, only one state change is made', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.pressAll(['2', '2', '310115198503171231']);
    const action = call.last.gather!.action;
    const [a, b] = await Promise.all([
      signedPost(t, action, { CallSid: call.callSid, Digits: '000002' }),
      signedPost(t, action, { CallSid: call.callSid, Digits: '000002' }),
    ]);
    expect(a.text).to.equal(b.text);
    const session = await t.store.callSessions.find(call.callSid);
    const timeline = await t.store.callSessions.turns(call.callSid);
    expect(timeline.map((e) => e.step)).to.deep.equal(timeline.map((_e, i) => i));
    expect(timeline.at(-1)?.step).to.equal(session!.step - 1);
    expect(await t.store.models.VerificationSlot.countDocuments({ callSid: call.callSid, _id: { $regex: ':e[0-9]+:' } })).to.equal(1);
  });

  it('refuses malformed bodies with 400 TwiML and changes nothing', async () => {
    const call = new TestCall(t);
    await call.start();
    const action = call.last.gather!.action;
    const cases: Array<Record<string, string>> = [
      { Digits: '1' },
      { CallSid: call.callSid, Digits: 'abc' },
      { CallSid: call.callSid, Digits: '1'.repeat(500) },
      { CallSid: 'not-a-call', Digits: '1' },
    ];
    for (const body of cases) {
      const res = await signedPost(t, action, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).to.equal(400);
      expect(parseTwiml(res.text).says.length).to.be.greaterThan(0);
    }
    const badStep = await signedPost(t, '/voice/gather?step=abc', { CallSid: call.callSid, Digits: '1' });
    expect(badStep.status).to.equal(400);
    expect((await t.store.callSessions.find(call.callSid))?.step).to.equal(1);
  });

  it('when Digits is repeated in the form, it is refused rather than guessed', async () => {
    const call = new TestCall(t);
    await call.start();
    const path = call.last.gather!.action;
    const body = `CallSid=${call.callSid}&Digits=1&Digits=2`;
    const params = { CallSid: call.callSid, Digits: ['1', '2'] } as unknown as Record<string, string>;
    const signature = twilio.getExpectedTwilioSignature(t.config.twilio.authToken, `${t.config.publicBaseUrl}${path}`, params);
    const res = await supertest(t.app).post(path).type('form').set('X-Twilio-Signature', signature).send(body);
    expect(res.status).to.equal(400);
    expect((await t.store.callSessions.find(call.callSid))?.step).to.equal(1);
  });

  it('answers a JSON body with 403 (it cannot carry a valid Twilio signature) and unknown routes with 404', async () => {
    const res = await supertest(t.app).post('/voice').set('X-Twilio-Signature', 'x').send({ CallSid: newCallSid() });
    expect(res.status).to.equal(403);
    expect((await supertest(t.app).get('/nowhere')).status).to.equal(404);
  });

  it('the fallback URL resumes a live call at its current prompt and changes nothing; an ended call hears an apology', async () => {
    const call = new TestCall(t);
    await call.start();
    const menu = await call.press('2');
    const before = await t.store.callSessions.find(call.callSid);
    const res = await signedPost(t, '/voice/fallback', { CallSid: call.callSid, ErrorCode: '11200', ErrorUrl: `${t.config.publicBaseUrl}${menu.gather!.action}` });
    expect(res.status).to.equal(200);
    const resumed = parseTwiml(res.text);
    expect(resumed.gather?.action).to.equal(menu.gather?.action);
    expect(resumed.text).to.equal(menu.text);
    const after = await t.store.callSessions.find(call.callSid);
    expect(after?.step).to.equal(before?.step);
    expect(t.logs.some((l) => l.includes('call resumed by fallback') && l.includes(call.callSid))).to.equal(true);

    await call.hangUp();
    const ended = parseTwiml((await signedPost(t, '/voice/fallback', { CallSid: call.callSid, ErrorCode: '11200' })).text);
    expect([...new Set(ended.says.map((s) => s.language))]).to.deep.equal(['en-US']);
    expect(ended.text).to.contain('For an agent, press 0.');
    const recover = await signedPost(t, ended.gather!.action, { CallSid: call.callSid, Digits: '0' });
    expect(parseTwiml(recover.text).dial).to.equal('+861012333');
  });

  it('the QA outbox needs the QA token and does not exist without one or with real delivery', async () => {
    expect((await supertest(t.app).get('/qa/outbox').query({ to: '+8613800138000' })).status).to.equal(401);
    expect((await supertest(t.app).get('/qa/outbox').query({ to: '+8613800138000' }).set('Authorization', 'Bearer wrong')).status).to.equal(401);
    const noToken = await startTestApp('security-noqa', { env: { QA_TOKEN: '' }, seed: false });
    const real = await startTestApp('security-real', {
      env: { SMTP_URL: 'smtp://127.0.0.1:2525', TWILIO_ACCOUNT_SID: `AC${'3'.repeat(32)}`, TWILIO_SMS_FROM: '+15005550006' },
      seed: false,
    });
    try {
      expect((await supertest(noToken.app).get('/qa/outbox').query({ to: 'x@y.z' }).set('Authorization', 'Bearer qa-token-for-tests')).status).to.equal(404);
      expect((await supertest(real.app).get('/qa/outbox').query({ to: 'x@y.z' }).set('Authorization', 'Bearer qa-token-for-tests')).status).to.equal(404);
    } finally {
      await noToken.close();
      await real.close();
    }
  });

  it('after the agent line, a busy or unanswered agent gets an apology in the call language, an answered one just ends', async () => {
    const busy = parseTwiml((await signedPost(t, '/voice/dial-done?lang=en-US', { CallSid: newCallSid(), DialCallStatus: 'busy' })).text);
    expect(busy.says).to.deep.equal([{ text: 'Sorry, all our agents are busy. Please call again later. Goodbye.', language: 'en-US', voice: t.config.voices.say['en-US'] }]);
    expect(busy.hangup).to.equal(true);
    const done = parseTwiml((await signedPost(t, '/voice/dial-done?lang=zh-CN', { CallSid: newCallSid(), DialCallStatus: 'completed' })).text);
    expect(done.says).to.have.length(0);
    expect(done.hangup).to.equal(true);
  });

  it('after a transfer, the agent line\'s result is a signed turn of the call: no answer offers a callback instead of hanging up', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    const transfer = await call.press('0');
    expect(transfer.dial).to.equal('+861012333');
    expect(transfer.dialAction).to.match(/^\/voice\/dial-done\?step=\d+&lang=en-US$/);
    const offer = await call.dialResult('no-answer');
    expect(offer.text).to.contain('To be called back on this number');
    expect(offer.gather?.action).to.match(/^\/voice\/gather\?step=\d+/);
    expect(offer.hangup).to.equal(false);
    const timeline = await t.store.callSessions.turns(call.callSid);
    expect(timeline.at(-1)).to.include({ event: 'DIAL_RESULT', input: 'no-answer', from: 'agent', to: 'callbackOffer' });
    expect((await signedPost(t, '/voice/dial-done?step=3&lang=en-US', { DialCallStatus: 'busy' })).status).to.equal(400);
    const unsigned = await supertest(t.app).post(transfer.dialAction!).type('form').send({ CallSid: call.callSid, DialCallStatus: 'busy' });
    expect(unsigned.status).to.equal(403);
  });

  it('accepts a long SIP caller id rather than refusing the call', async () => {
    const from = `sip:${'a'.repeat(60)}@pbx.example.org;transport=tls`;
    const res = await signedPost(t, '/voice', { CallSid: newCallSid(), From: from, To: '+8610123456' });
    expect(res.status).to.equal(200);
  });

  it('answers health and readiness', async () => {
    expect((await supertest(t.app).get('/healthz')).body).to.deep.equal({ status: 'ok' });
    expect((await supertest(t.app).get('/readyz')).body).to.deep.equal({ status: 'ready' });
  });
});
