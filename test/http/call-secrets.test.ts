import { expect } from 'chai';
import supertest from 'supertest';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const WANG = { keys: '11010519491231002*', mobile: '+8613800138000' };
const LI = { id: '440524188001010014', mobile: '+8613912345678', password: '271828' };

/** Calls in as Wang, verifies by SMS and enters a first new PIN. */
async function firstEntry(t: TestApp, pin: string): Promise<TestCall> {
  const call = new TestCall(t, WANG.mobile);
  await call.start();
  await call.pressAll(['2', '1', WANG.keys, '1']);
  await call.press((await latestCode(t, WANG.mobile))!);
  expect((await call.press(pin)).text).to.contain('again');
  return call;
}

describe('secrets that must not outlive the call', () => {
  let t: TestApp;
  beforeEach(async function () {
    t = await startTestApp(`secrets-${this.currentTest?.title.slice(0, 16) ?? ''}`);
  });
  afterEach(async () => t.close());

  it('the turn snapshot after the first new-PIN entry is the same whatever PIN was entered, so it holds nothing to brute-force', async () => {
    const a = await firstEntry(t, '580317');
    const b = await firstEntry(t, '640259');
    const snapshotAt = async (call: TestCall) => (await t.store.callSessions.turns(call.callSid)).find((turn) => turn.to === 'confirmNewPin')!.snapshot;
    expect(await snapshotAt(a)).to.deep.equal(await snapshotAt(b));
  });

  it('the first entry is kept only in the call secret document, which is gone once the call ends by the flow or by a hang-up', async () => {
    const done = await firstEntry(t, '580317');
    expect(await t.store.callSecrets.find(done.callSid)).to.have.property('firstPin').that.is.a('string');
    expect((await done.press('580317')).text).to.contain('Your password is set');
    expect(await t.store.callSecrets.find(done.callSid), 'forgotten when the flow ends').to.equal(null);

    const hungUp = await firstEntry(t, '640259');
    expect(await hungUp.hangUp()).to.equal(204);
    expect(await t.store.callSecrets.find(hungUp.callSid), 'forgotten by the status callback').to.equal(null);
    const dump = await t.dumpDatabase();
    expect(dump).not.to.contain('call_secrets');
    expect(await t.store.models.CallSecret.countDocuments({})).to.equal(0);
  });

  it('after a code, PINs tried at the new-password prompt count as guesses at the current password: once they lock it, the current password is no longer told apart', async () => {
    const strict = await startTestApp('secrets-oracle', { env: { LOCK_AFTER_FAILURES: '2' } });
    try {
      const call = new TestCall(strict, '+8613900000501');
      await call.start();
      await call.pressAll(['2', '1', LI.id, '1']);
      await call.press((await latestCode(strict, LI.mobile))!);
      await call.pressAll(['580317', '640259']);
      expect(call.last.text).to.contain('did not match');
      await call.pressAll(['740193', '836150']);
      expect(call.last.text).to.contain('did not match');
      const answer = await call.press(LI.password);
      expect(answer.text, 'not refused as the current password').not.to.contain('same as your current password');
      expect(answer.text).to.contain('again');
      const notices = (await latestNotices(strict, LI.mobile)).filter((body) => body.includes('wrong passwords'));
      expect(notices, 'the holder is told the password path is paused').to.have.length(1);
    } finally {
      await strict.close();
    }
  });
});

async function latestNotices(t: TestApp, to: string): Promise<string[]> {
  const res = await supertest(t.app).get('/qa/outbox').query({ to }).set('Authorization', 'Bearer qa-token-for-tests');
  return (res.body.messages as Array<{ body: string }>).map((m) => m.body);
}
