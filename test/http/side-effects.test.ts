import { expect } from 'chai';
import { latestCode, signedPost, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const WANG = { keys: '11010519491231002*', mobile: '+8613800138000' };

/** The step a gather's action URL carries. */
const stepOf = (action: string) => Number(new URL(action, 'https://x').searchParams.get('step'));

describe('side effects follow what was really done', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('side-effects');
  });
  after(async () => t.close());

  it('when the instance that claimed a code send died before handing the code over, the repeated delivery sends one', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1', WANG.keys]);
    const step = stepOf(call.last.gather!.action);
    // What a killed instance leaves behind: the send claimed for this turn, no word that a code went out.
    expect(await t.store.turnClaims.claim(`send:${call.callSid}:${step}`, t.clock.now)).to.equal(true);
    expect((await call.press('1')).text).to.contain('a code has been sent');
    let code: string | null = null;
    for (let i = 0; i < 100 && !code; i += 1) {
      code = await latestCode(t, WANG.mobile);
      if (!code) await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(code, 'a code went out after all').to.match(/^\d{6}$/);
    expect(t.logs.some((line) => line.includes('"message":"code send resumed"'))).to.equal(true);
    expect((await call.press(code!)).text).to.contain('verified');
  });

  it('when the hang-up arrives while the new password is being saved, the call still ends as password-changed', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1', WANG.keys, '1']);
    const code = await latestCode(t, WANG.mobile);
    await call.pressAll([code!, '580317']);
    const confirm = signedPost(t, call.last.gather!.action, { CallSid: call.callSid, Digits: '580317', From: WANG.mobile });
    const hangUp = signedPost(t, '/voice/status', { CallSid: call.callSid, CallStatus: 'completed', CallDuration: '60' });
    await Promise.all([confirm, hangUp]);
    expect(await t.store.passwordChanges.findByCall(call.callSid)).to.include({ status: 'done' });
    expect(await t.store.callSessions.findEnd(call.callSid)).to.include({ outcome: 'password-changed' });
  });
});
