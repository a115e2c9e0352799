import { expect } from 'chai';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

describe('password journeys over signed webhooks', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('journeys');
  });
  after(async () => t.close());

  it('when a caller who forgot the password verifies by SMS, the new password is saved and recorded', async () => {
    const call = new TestCall(t, '+8613800138000');
    const welcome = await call.start();
    expect(welcome.gather?.numDigits).to.equal('1');
    expect(welcome.says.map((s) => s.language)).to.deep.equal(['cmn-CN', 'en-US']);
    const menu = await call.press('2');
    expect(menu.text).to.contain('To set, reset or change your card password, press 1.');
    await call.press('1');
    const idPrompt = await call.press('1');
    expect(idPrompt.text).to.contain('18-character citizen ID');
    expect(idPrompt.gather?.finishOnKey).to.equal('#');
    const channels = await call.press('11010519491231002*');
    expect(channels.text).to.contain('text message');
    const sent = await call.press('1');
    expect(sent.text).to.contain('If the details match our records, a code has been sent');
    const code = await latestCode(t, '+8613800138000');
    expect(code).to.match(/^\d{6}$/);
    const newPin = await call.press(code!);
    expect(newPin.text).to.contain('new 6-digit password');
    const confirm = await call.press('258036');
    expect(confirm.text).to.contain('again');
    const done = await call.press('258036');
    expect(done.text).to.contain('Your card password has been set');
    expect(done.hangup).to.equal(true);
    const change = await t.store.passwordChanges.findByCall(call.callSid);
    expect(change).to.include({ channel: 'sms', idMasked: '1101**********002X', callerMasked: '+86 138****8000' });
    const session = await t.store.callSessions.find(call.callSid);
    expect(session?.outcome).to.equal('password-changed');
    const dump = await t.dumpDatabase();
    expect(dump).not.to.contain('258036');
    expect(dump).not.to.contain(code);
    expect(t.logs.join('')).not.to.contain('258036');
    expect(t.logs.join('')).not.to.contain(code);
  });
});
