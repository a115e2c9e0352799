import { expect } from 'chai';
import { latestCode, signedPost, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

/** Entries cut short by the timer, `#` alone, keys during a notice, and each state's own timer, through signed webhooks. */

const WANG = { id: '11010519491231002*', mobile: '+8613800138000' };

describe('partial entries, the hash key alone, type-ahead and timers over signed webhooks', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('partial-entries', { env: { GATHER_TIMEOUT_MENU_SECONDS: '4', GATHER_TIMEOUT_ID_SECONDS: '12', GATHER_TIMEOUT_CODE_SECONDS: '11', GATHER_TIMEOUT_PIN_SECONDS: '8' } });
  });
  after(async () => t.close());

  it('each state renders its own timer: menus short, the ID and codes longer, passwords in between', async () => {
    const call = new TestCall(t, WANG.mobile);
    const welcome = await call.start();
    expect(welcome.gather?.timeout).to.equal('4');
    const menu = await call.press('2');
    expect(menu.gather?.timeout).to.equal('4');
    const id = await call.press('1');
    expect(id.gather).to.include({ timeout: '12', finishOnKey: '#' });
    expect((await call.press(WANG.id)).gather?.timeout, 'the channel menu').to.equal('4');
    const code = await call.press('1');
    expect(code.gather?.timeout).to.equal('11');
    const pin = await call.press((await latestCode(t, WANG.mobile))!);
    expect(pin.gather?.timeout).to.equal('8');
  });

  it('a partial ID (the timer ran out after 12 keys) is not silence: the caller hears how many came and re-enters it', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1']);
    const partial = await call.pressPartial('110105194912');
    expect(partial.text).to.match(/^You entered 12 digits; the ID number has 18\. Enter your 18-character ID number/);
    expect(partial.gather?.finishOnKey).to.equal('#');
    const timeline = await t.store.callSessions.turns(call.callSid);
    expect(timeline.at(-1)).to.include({ event: 'DIGITS', from: 'enterId', to: 'enterId' });
    expect(timeline.at(-1)?.prompts).to.deep.equal(['id.length?entered=12', 'id.enter']);
    const channels = await call.press(WANG.id);
    expect(channels.text).to.contain('For a code by text message, press 1.');
  });

  it('a partial code is not silence either, and does not count as a wrong code', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1', WANG.id, '1']);
    const partial = await call.pressPartial('4829');
    expect(partial.text).to.match(/^You entered 4 digits; the code has 6\. Enter the 6-digit code/);
    expect((await t.store.callSessions.find(call.callSid))?.state).to.equal('enterCode');
    const verified = await call.press((await latestCode(t, WANG.mobile))!);
    expect(verified.text).to.contain('You are verified.');
  });

  it('the hash key alone (FinishedOnKey=#, no digits) is named and asked again, and two in a row do not end the call as silence would', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1']);
    const first = await call.pressHashAlone();
    expect(first.text).to.match(/^You pressed only the hash key\. Enter your 18-character ID number/);
    const second = await call.pressHashAlone();
    expect(second.gather, 'still waiting for the ID').to.not.equal(undefined);
    expect(second.hangup).to.equal(false);
    const turns = await t.store.callSessions.turns(call.callSid);
    expect(turns.slice(-2).map((turn) => [turn.event, turn.input])).to.deep.equal([
      ['DIGITS', '#'],
      ['DIGITS', '#'],
    ]);
    const silent = await call.silence();
    expect(silent.text).to.match(/^We did not hear a key\./);
  });

  it('keys pressed during the notice before a menu act at once: the notice is inside the <Gather>, and its keys are taken', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.press('2');
    const refused = await call.press('7');
    expect(refused.says.map((s) => s.text)).to.deep.equal(['That key is not valid.', refused.says[1].text]);
    // Every prompt, the notice first, is nested in the one <Gather>: nothing is spoken before or after it.
    expect(refused.xml).to.match(/^<\?xml[^>]*><Response><Gather [^>]*><Say [^>]*>That key is not valid\.<\/Say><Say [^>]*>For a forgotten[^<]*<\/Say><\/Gather><\/Response>$/);
    // A caller who presses 1 while "That key is not valid." is still playing sends that key to this gather's action.
    const idPrompt = await call.press('1');
    expect(idPrompt.text).to.match(/^Enter your 18-character ID number/);
  });

  it('keys pressed during the code-sent notice before the code entry are the code itself', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    const sent = await call.pressAll(['2', '1', WANG.id, '1']);
    expect(sent.xml).to.match(/<Response><Gather [^>]*><Say [^>]*>If the details match our records[^<]*<\/Say><Say [^>]*>Enter the 6-digit code[^<]*<\/Say><\/Gather><\/Response>$/);
    const verified = await call.press((await latestCode(t, WANG.mobile))!);
    expect(verified.text).to.contain('You are verified.');
  });

  it('an ID whose check digit fails is read back by its last four characters; 2 re-enters it', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1']);
    const readBack = await call.press('110105194912310021');
    expect(readBack.says.map((s) => s.text)).to.deep.equal(['That number does not check out. It ends in 0, 0, 2, 1.', 'To keep this number, press 1. To enter it again, press 2.']);
    expect(readBack.gather).to.include({ numDigits: '1', timeout: '4' });
    const again = await call.press('2');
    expect(again.text).to.match(/^Enter your 18-character ID number/);
    expect((await t.store.callSessions.turns(call.callSid)).map((turn) => turn.input)).to.include('1101**********0021');
  });

  it('a partial entry posted twice (a repeated delivery) is answered once and the same', async () => {
    const call = new TestCall(t, WANG.mobile);
    await call.start();
    const idPrompt = await call.pressAll(['2', '1']);
    const post = () => signedPost(t, idPrompt.gather!.action, { CallSid: call.callSid, Digits: '1101', FinishedOnKey: '' });
    const [a, b] = await Promise.all([post(), post()]);
    expect(a.text).to.equal(b.text);
    expect((await t.store.callSessions.turns(call.callSid)).filter((turn) => turn.from === 'enterId')).to.have.length(1);
  });
});
