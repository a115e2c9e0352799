import { expect } from 'chai';
import supertest from 'supertest';
import { checkCharacter } from '../../src/domain/citizen-id.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const WANG = { id: '11010519491231002*', mobile: '+8613800138000', email: 'wang.fang@example.org' };
const ZHANG = { id: '310115198503171231', mobile: '+8613700001111', email: 'zhang.wei@example.com', password: '314159' };
const CHEN = { id: '110108199007074516', email: 'chen.jing@example.net' };
const LI = { id: '440524188001010014', mobile: '+8613912345678', password: '271828' };
const ALICE = { id: '510107199502283372', mobile: '+8615000002222', password: '582039' };
const UNREGISTERED = `11010119900307777${checkCharacter('11010119900307777')}`;

async function toIdEntry(call: TestCall, purpose: '1' | '2', language: '1' | '2' = '2') {
  await call.start();
  await call.press(language);
  return call.press(purpose);
}

describe('password journeys over signed webhooks', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('journeys');
  });
  after(async () => t.close());

  it('when a caller who forgot the password verifies by SMS, the new password is saved and recorded', async () => {
    const call = new TestCall(t, WANG.mobile);
    const welcome = await call.start();
    expect(welcome.gather?.numDigits).to.equal('1');
    expect(welcome.says.map((s) => s.language)).to.deep.equal(['cmn-CN', 'en-US']);
    const menu = await call.press('2');
    expect(menu.text).to.contain('For a forgotten or new password, press 1.');
    const idPrompt = await call.press('1');
    expect(idPrompt.text).to.contain('18-character ID number');
    expect(idPrompt.gather?.finishOnKey).to.equal('#');
    const channels = await call.press(WANG.id);
    expect(channels.text).to.contain('text message');
    const sent = await call.press('1');
    expect(sent.text).to.contain('If the details match our records, a code has been sent');
    const code = await latestCode(t, WANG.mobile);
    expect(code).to.match(/^\d{6}$/);
    const newPin = await call.press(code!);
    expect(newPin.text).to.contain('new 6-digit password');
    const confirm = await call.press('258036');
    expect(confirm.text).to.contain('again');
    const done = await call.press('258036');
    expect(done.text).to.contain('Your password is set');
    expect(done.hangup).to.equal(true);
    const change = await t.store.passwordChanges.findByCall(call.callSid);
    expect(change).to.include({ channel: 'sms', idMasked: '1101**********002X', callerMasked: '+86 138****8000', status: 'done', callerMatchedMobile: true });
    const session = await t.store.callSessions.find(call.callSid);
    expect(session?.outcome).to.equal('password-changed');
    const citizen = await t.store.citizens.findByIdHash(change!.idHash);
    expect(citizen?.pinHash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const res = await supertest(t.app).get('/qa/outbox').query({ to: WANG.mobile }).set('Authorization', 'Bearer qa-token-for-tests');
    expect(res.body.messages[0].body).to.contain('password was changed');
    const dump = await t.dumpDatabase();
    expect(dump).not.to.contain('258036');
    expect(dump).not.to.contain(code);
    expect(t.logs.join('')).not.to.contain('258036');
    expect(t.logs.join('')).not.to.contain(code);
  });

  it('when a caller verifies by email, the code arrives at the registered address and the change records the email channel', async () => {
    const call = new TestCall(t, '+8613100000000');
    await toIdEntry(call, '1');
    await call.press(CHEN.id);
    await call.press('2');
    const code = await latestCode(t, CHEN.email);
    expect(code).to.match(/^\d{6}$/);
    await call.press(code!);
    await call.press('947261');
    const done = await call.press('947261');
    expect(done.text).to.contain('Your password is set');
    expect(await t.store.passwordChanges.findByCall(call.callSid)).to.include({ channel: 'email', callerMasked: '+86 131****0000', callerMatchedMobile: null });
    const inbox = await supertest(t.app).get('/qa/outbox').query({ to: CHEN.email }).set('Authorization', 'Bearer qa-token-for-tests');
    expect(inbox.body.messages[0].body).to.contain('password was changed');
  });

  it('when the caller has neither a mobile nor an email, the line points to the bureau counter and offers an agent', async () => {
    const call = new TestCall(t);
    await toIdEntry(call, '1');
    await call.press('32010219781205662*');
    const guidance = await call.press('3');
    expect(guidance.text).to.contain('bring your original ID card to the front desk of the Social Security Bureau');
    const agent = await call.press('0');
    expect(agent.dial).to.equal('+861012333');
  });

  it('when a caller changes a password they know, the current password verifies them and the new one replaces it', async () => {
    const call = new TestCall(t, LI.mobile);
    const idPrompt = await toIdEntry(call, '2', '1');
    expect(idPrompt.says[0].language).to.equal('cmn-CN');
    const current = await call.press(LI.id);
    expect(current.text).to.contain('当前6位密码');
    const newPin = await call.press(LI.password);
    expect(newPin.text).to.contain('6位数字新密码');
    const same = await call.press(LI.password);
    expect(same.text).to.contain('不能与当前密码相同');
    await call.press('860457');
    const done = await call.press('860457');
    expect(done.text).to.contain('密码已设置成功');
    expect(await t.store.passwordChanges.findByCall(call.callSid)).to.include({ channel: 'current-password' });
    const dump = await t.dumpDatabase();
    const logs = t.logs.join('');
    for (const secret of [LI.password, '860457']) {
      expect(dump).not.to.contain(secret);
      expect(logs).not.to.contain(secret);
    }
  });

  it('when the new password is weak, the caller hears why, and after the entries differ they start again', async () => {
    const call = new TestCall(t, ALICE.mobile);
    await toIdEntry(call, '2');
    await call.press(ALICE.id);
    await call.press(ALICE.password);
    const refused = await call.press('123456');
    expect(refused.text).to.contain('straight run');
    expect(refused.text).not.to.contain('You are verified');
    const confirm = await call.press('390528');
    expect(confirm.text).to.contain('again');
    const differ = await call.press('390529');
    expect(differ.text).to.contain('did not match');
    expect(differ.text).to.contain('new 6-digit password');
    const third = await call.press('111111');
    expect(third.text).to.contain('one digit repeated six times');
    expect(third.text).to.contain('It seems you are having trouble');
    expect(third.dial).to.equal('+861012333');
  });

  it('when the birth date or the last six digits of the ID are chosen, the password is refused with the reason', async () => {
    const call = new TestCall(t, WANG.mobile);
    await toIdEntry(call, '1');
    await call.press(WANG.id);
    await call.press('1');
    await call.press((await latestCode(t, WANG.mobile))!);
    expect((await call.press('491231')).text).to.contain('date of birth');
    expect((await call.press('231002')).text).to.contain('last six digits');
  });

  it('when an ID number is not registered, the caller hears exactly what a registered caller hears', async () => {
    const known = new TestCall(t);
    const stranger = new TestCall(t);
    const noEmail = new TestCall(t);
    for (const call of [known, stranger, noEmail]) await toIdEntry(call, '1');
    const knownChannels = await known.press(WANG.id);
    const strangerChannels = await stranger.press(UNREGISTERED);
    const noEmailChannels = await noEmail.press(LI.id);
    expect(strangerChannels.xml).to.equal(knownChannels.xml);
    expect(noEmailChannels.xml).to.equal(knownChannels.xml);
    const knownSent = await known.press('2');
    const strangerSent = await stranger.press('2');
    const noEmailSent = await noEmail.press('2');
    expect(strangerSent.xml).to.equal(knownSent.xml);
    expect(noEmailSent.xml).to.equal(knownSent.xml);
    expect(await latestCode(t, WANG.email)).to.match(/^\d{6}$/);
    const knownWrong = await known.press('000000');
    const strangerWrong = await stranger.press('000000');
    expect(strangerWrong.xml).to.equal(knownWrong.xml);
  });

  it('when the caller picks other ways or policy information, the line reads them and returns to the main menu on 9', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    const other = await call.press('3');
    expect(other.text).to.contain('touch screens in the medical insurance centre');
    expect(other.text).to.contain('local social security website');
    await call.press('9');
    const policy = await call.press('4');
    expect(policy.text).to.contain('For maternity insurance, press 5.');
    const maternity = await call.press('5');
    expect(maternity.text).to.contain('employees do not pay');
    expect((await call.press('1')).text).to.contain('For medical insurance, press 1.');
    expect((await call.press('3')).text).to.contain('The employer pays the premium on its total payroll');
    expect((await call.press('9')).text).to.contain('For a forgotten or new password, press 1.');
  });

  it('when the caller stays silent, the prompt repeats once and then the call ends politely, saying the next step first', async () => {
    const call = new TestCall(t);
    await call.start();
    const menu = await call.silence();
    expect(menu.says[0].language).to.equal('cmn-CN');
    const again = await call.silence();
    expect(again.text).to.contain('没有听到您的按键');
    expect(again.gather).to.not.equal(undefined);
    const bye = await call.silence();
    expect(bye.text).to.match(/没有听到您的按键。 您可以在工作日8:30至17:30再拨人工，也可以登录社保网站，或携带身份证原件到社保局前台办理。 感谢来电，再见。$/);
    expect(bye.says.filter((s) => s.text.includes('没有听到'))).to.have.length(1);
    expect(bye.hangup).to.equal(true);
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('no-input');
  });

  it('when the caller presses an invalid key, the line says so and repeats; three in a row reach an agent', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    const first = await call.press('7');
    expect(first.text).to.match(/^That key is not valid\. For a forgotten/);
    const second = await call.press('#');
    expect(second.text).to.match(/^That key is not valid\./);
    const third = await call.press('6');
    expect(third.dial).to.equal('+861012333');
    expect((await t.store.callSessions.find(call.callSid))?.outcome, 'ringing the agent: not decided yet').to.equal(null);
    await call.dialResult('completed');
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('transferred');
  });

  it('when the caller presses 0 after a refused entry, the transfer does not replay the old message', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.pressAll(['2', '1']);
    expect((await call.press('12345')).text).to.contain('You entered 5 digits; the ID number has 18.');
    const agent = await call.press('0');
    expect(agent.text).to.equal('Connecting you to an agent. Please hold.');
  });

  it('before a language is chosen, a transfer is announced in both languages', async () => {
    const call = new TestCall(t);
    await call.start();
    const agent = await call.press('0');
    expect(agent.says.map((s) => s.language)).to.deep.equal(['cmn-CN', 'en-US']);
    expect(agent.dial).to.equal('+861012333');
  });

  it('a code or password of the wrong length is met with how many digits came and how many are needed, not a verdict', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.pressAll(['2', '2', ZHANG.id]);
    const short = await call.press('3141');
    expect(short.text).to.match(/^You entered 4 digits; the password has 6\. Enter your current 6-digit password/);
  });

  it('when the caller presses star the menu repeats, and 0 reaches an agent from any menu', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    await call.press('4');
    const repeat = await call.press('*');
    expect(repeat.text).to.contain('For medical insurance, press 1.');
    const agent = await call.press('0');
    expect(agent.text).to.contain('Connecting you to an agent');
    expect(agent.dial).to.equal('+861012333');
  });

  it('when the caller hangs up mid-flow, the status callback records the call as abandoned', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('1');
    expect(await call.hangUp()).to.equal(204);
    const session = await t.store.callSessions.find(call.callSid);
    expect(session).to.include({ outcome: 'abandoned', status: 'ended', carrierStatus: 'completed', durationSeconds: 42 });
    expect((await t.store.callSessions.turns(call.callSid)).at(-1)).to.include({ event: 'HANGUP', to: 'abandoned' });
  });

  it('keeps a timeline of every turn with ID and secret digits masked, and logs every line with the callSid', async () => {
    const call = new TestCall(t, ZHANG.mobile);
    await toIdEntry(call, '2');
    await call.press(ZHANG.id);
    await call.press(ZHANG.password);
    const session = await t.store.callSessions.find(call.callSid);
    const timeline = await t.store.callSessions.turns(call.callSid);
    const inputs = timeline.map((e) => e.input);
    expect(inputs).to.include('3101**********1231');
    expect(inputs).to.include('••••••');
    expect(JSON.stringify([session, timeline])).not.to.contain(ZHANG.id);
    expect(JSON.stringify([session, timeline])).not.to.contain(ZHANG.password);
    expect(timeline.map((e) => e.step)).to.deep.equal(timeline.map((_e, i) => i));
    expect(timeline.map((e) => e.to)).to.include.members(['mainMenu', 'enterId', 'enterCurrentPin', 'enterNewPin']);
    expect(timeline.map((e) => e.path)).to.deep.include.members([['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterNewPin']]);
    expect(timeline.every((e) => e.path[0] === (e.from || e.to) && e.path[e.path.length - 1] === e.to)).to.equal(true);
    const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => JSON.stringify(l).includes(call.callSid));
    expect(lines.length).to.be.greaterThan(4);
    const turnLines = lines.filter((l) => l.message === 'turn');
    expect(turnLines.every((l) => l.callSid === call.callSid)).to.equal(true);
    const all = t.logs.join('');
    expect(all).not.to.contain(ZHANG.id);
    expect(all).not.to.contain('13700001111');
  });
});
