import { expect } from 'chai';
import supertest from 'supertest';
import { keyedHash } from '../../src/security/secrets.ts';
import { ORIGIN, addSupervisor, signIn } from '../supervisor/console-support.ts';
import { signedPost, startTestApp, TestCall, TEST_ENV, type TestApp } from '../support/test-app.ts';

/** A busy agent line offers a callback; the queue holds one open request per number; supervisors see and close them. */

/** Calls from `from` to the callback offer: the agent line (reached by 0 from the main menu) reports busy. */
async function toCallbackOffer(t: TestApp, from: string, language: '1' | '2' = '2'): Promise<TestCall> {
  const call = new TestCall(t, from);
  await call.start();
  await call.press(language);
  await call.press('0');
  const offer = await call.dialResult('busy');
  expect(offer.text, 'the callback offer').to.contain(language === '2' ? 'To be called back on this number within 4 hours, press 1.' : '需要回电请按1');
  return call;
}

describe('callbacks when the agents are busy', () => {
  let t: TestApp;
  let cookie: string;
  const api = (method: 'get' | 'post', path: string) => {
    const req = method === 'get' ? supertest(t.app).get(path) : supertest(t.app).post(path).set('Origin', ORIGIN);
    return req.set('Cookie', cookie);
  };

  before(async () => {
    t = await startTestApp('callbacks');
    await addSupervisor(t);
    cookie = await signIn(t);
  });
  after(async () => t.close());

  it('pressing 1 queues a callback: masked caller, language, reason, where the caller was and how the line ended; no number or hash leaves the store', async () => {
    const call = new TestCall(t, '+8613900001001');
    await call.start();
    await call.pressAll(['2', '1']);
    await call.press('0');
    await call.dialResult('no-answer');
    const booked = await call.press('1');
    expect(booked.text).to.equal('Your callback is booked. An agent will call this number within 4 hours. Thank you for calling. Goodbye.');
    expect(booked.hangup).to.equal(true);
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('callback-requested');
    const open = await t.store.callbacks.findOpen(keyedHash(TEST_ENV.PIN_PEPPER, 'caller', '8613900001001'));
    expect(open).to.deep.include({ callSid: call.callSid, callerMasked: '+86 139****1001', language: 'en-US', reason: 'asked', state: 'enterId', agentLine: 'no-answer' });
    expect(open!.dueBy.getTime() - open!.requestedAt.getTime()).to.equal(4 * 3_600_000);
    const listed = await api('get', '/api/supervisor/callbacks');
    expect(listed.status).to.equal(200);
    const mine = listed.body.open.find((c: { callSid: string }) => c.callSid === call.callSid);
    expect(mine).to.include({ callerMasked: '+86 139****1001', reason: 'asked', state: 'enterId', agentLine: 'no-answer', overdue: false });
    expect(JSON.stringify(listed.body)).not.to.contain('13900001001');
    expect(JSON.stringify(listed.body)).not.to.contain(keyedHash(TEST_ENV.PIN_PEPPER, 'caller', '8613900001001'));
  });

  it('a number with an open callback is told so and not queued again', async () => {
    const first = await toCallbackOffer(t, '+8613900001002');
    await first.press('1');
    const second = await toCallbackOffer(t, '+8613900001002', '1');
    const told = await second.press('1');
    expect(told.text).to.contain('本号码已在回电名单中');
    expect((await t.store.callSessions.find(second.callSid))?.outcome).to.equal('callback-requested');
    const open = (await t.store.callbacks.listOpen()).filter((c) => c.callerMasked === '+86 139****1002');
    expect(open.map((c) => c.callSid)).to.deep.equal([first.callSid]);
  });

  it('under concurrent requests from one number, exactly one callback is queued', async () => {
    const calls = await Promise.all(Array.from({ length: 5 }, () => toCallbackOffer(t, '+8613900001003')));
    const answers = await Promise.all(calls.map((call) => call.press('1')));
    const booked = answers.filter((a) => a.text.startsWith('Your callback is booked.'));
    const told = answers.filter((a) => a.text.startsWith('This number is already waiting for a callback.'));
    expect([booked.length, told.length]).to.deep.equal([1, 4]);
    const open = (await t.store.callbacks.listOpen()).filter((c) => c.callerMasked === '+86 139****1003');
    expect(open).to.have.length(1);
  });

  it('the queue\'s insert holds under concurrency by itself: of simultaneous opens for one number exactly one succeeds', async () => {
    const key = keyedHash(TEST_ENV.PIN_PEPPER, 'caller', '8613900001004');
    const request = (n: number) => ({
      callSid: `CA${String(n).padStart(32, '4')}`,
      callerMasked: '+86 139****1004',
      language: 'zh-CN',
      reason: 'asked',
      state: 'mainMenu',
      agentLine: 'busy',
      requestedAt: t.clock.now,
      dueBy: t.clock.now,
    });
    const results = await Promise.all(Array.from({ length: 8 }, (_v, n) => t.store.callbacks.open(key, request(n))));
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it('a repeated delivery of the same "1" is answered as booked both times and queues one request', async () => {
    const call = await toCallbackOffer(t, '+8613900001005');
    const post = () => signedPost(t, call.last.gather!.action, { CallSid: call.callSid, Digits: '1', From: call.from });
    const [a, b] = await Promise.all([post(), post()]);
    expect(a.text).to.equal(b.text);
    expect(a.text).to.contain('Your callback is booked.');
    expect((await t.store.callbacks.listOpen()).filter((c) => c.callerMasked === '+86 139****1005')).to.have.length(1);
  });

  it('a repeated delivery of the agent line\'s result is answered with the same offer, once', async () => {
    const call = new TestCall(t, '+8613900001006');
    await call.start();
    await call.press('2');
    const transfer = await call.press('0');
    const post = () => signedPost(t, transfer.dialAction!, { CallSid: call.callSid, DialCallStatus: 'busy', From: call.from });
    const [a, b] = await Promise.all([post(), post()]);
    expect(a.text).to.equal(b.text);
    expect((await t.store.callSessions.turns(call.callSid)).filter((turn) => turn.event === 'DIAL_RESULT')).to.have.length(1);
  });

  it('a withheld number is not offered a callback: agents busy, the one next step, goodbye', async () => {
    const call = new TestCall(t, '+266696687');
    await call.start();
    await call.press('2');
    await call.press('0');
    const bye = await call.dialResult('busy');
    expect(bye.text).to.equal(
      'All our agents are busy. You can call an agent on weekdays from 8:30 to 17:30, use the social security website, or bring your original ID card to the bureau front desk. Thank you for calling. Goodbye.',
    );
    expect(bye.hangup).to.equal(true);
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('agent-unavailable');
  });

  it('a caller who hangs up at the offer is recorded as agent-unavailable, and nothing is queued', async () => {
    const call = await toCallbackOffer(t, '+8613900001007');
    await call.hangUp();
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('agent-unavailable');
    expect((await t.store.callbacks.listOpen()).some((c) => c.callSid === call.callSid)).to.equal(false);
  });

  it('a supervisor closes a request through the API: it leaves the open queue, is kept as closed with who and how, and cannot be closed twice', async () => {
    const call = await toCallbackOffer(t, '+8613900001008');
    await call.press('1');
    const closed = await api('post', `/api/supervisor/callbacks/${call.callSid}/close`).send({ resolution: 'called-back' });
    expect(closed.status).to.equal(200);
    expect(closed.body).to.deep.equal({ callSid: call.callSid, resolution: 'called-back' });
    expect((await t.store.callbacks.listOpen()).some((c) => c.callSid === call.callSid)).to.equal(false);
    expect(await t.store.callbacks.findClosed(call.callSid)).to.include({ closedBy: 'alice', resolution: 'called-back', callerMasked: '+86 139****1008' });
    expect((await api('post', `/api/supervisor/callbacks/${call.callSid}/close`).send({ resolution: 'called-back' })).status).to.equal(409);
    expect((await api('post', `/api/supervisor/callbacks/CA${'9'.repeat(32)}/close`).send({ resolution: 'called-back' })).status).to.equal(404);
    expect((await api('post', `/api/supervisor/callbacks/${call.callSid}/close`).send({ resolution: 'lost' })).status).to.equal(400);
    // The number may ask again once its request is closed.
    const again = await toCallbackOffer(t, '+8613900001008');
    expect((await again.press('1')).text).to.contain('Your callback is booked.');
  });

  it('the callbacks page lists open requests, oldest first, and closes one from its form', async () => {
    const call = await toCallbackOffer(t, '+8613900001009');
    await call.press('1');
    const page = await api('get', '/supervisor/callbacks');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('<h1>回拨请求</h1>').and.contain('+86 139****1009').and.contain(`/supervisor/callbacks/${call.callSid}/close`);
    expect(page.text).to.contain('href="/supervisor/callbacks" class="active"');
    expect(page.text).not.to.contain('13900001009');
    const form = await supertest(t.app).post(`/supervisor/callbacks/${call.callSid}/close`).set('Cookie', cookie).set('Origin', ORIGIN).type('form').send({ resolution: 'no-answer' });
    expect(form.status).to.equal(303);
    expect(form.headers.location).to.equal('/supervisor/callbacks');
    expect((await api('get', '/supervisor/callbacks')).text).not.to.contain('+86 139****1009');
    expect(await t.store.callbacks.findClosed(call.callSid)).to.include({ resolution: 'no-answer' });
  });

  it('a request past the time the caller was told is marked overdue', async () => {
    const call = await toCallbackOffer(t, '+8613900001010');
    await call.press('1');
    t.clock.advance(5 * 3_600_000);
    const listed = await api('get', '/api/supervisor/callbacks');
    expect(listed.body.open.find((c: { callSid: string }) => c.callSid === call.callSid)).to.include({ overdue: true });
    expect((await api('get', '/supervisor/callbacks')).text).to.contain('overdue');
  });

  it('the queue needs a signed-in supervisor, and closing needs the console\'s own origin', async () => {
    expect((await supertest(t.app).get('/api/supervisor/callbacks')).status).to.equal(401);
    expect((await supertest(t.app).get('/supervisor/callbacks')).status).to.equal(303);
    const call = await toCallbackOffer(t, '+8613900001011');
    await call.press('1');
    const crossSite = await supertest(t.app).post(`/api/supervisor/callbacks/${call.callSid}/close`).set('Cookie', cookie).set('Origin', 'https://evil.example').send({ resolution: 'called-back' });
    expect(crossSite.status).to.equal(403);
    expect((await t.store.callbacks.listOpen()).some((c) => c.callSid === call.callSid)).to.equal(true);
  });
});
