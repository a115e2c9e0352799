import { expect } from 'chai';
import supertest from 'supertest';
import { keyedHash } from '../../src/security/secrets.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const WANG = { id: '11010519491231002X', keys: '11010519491231002*', mobile: '+8613800138000' };
const ZHANG = { id: '310115198503171231', mobile: '+8613700001111', password: '314159' };

async function outboxCount(t: TestApp, to: string): Promise<number> {
  const res = await supertest(t.app).get('/qa/outbox').query({ to }).set('Authorization', 'Bearer qa-token-for-tests');
  return (res.body.messages as unknown[]).length;
}

/** Dials in, chooses English, reaches the code prompt for Wang by SMS. */
async function toCodePrompt(t: TestApp): Promise<TestCall> {
  const call = new TestCall(t, '+8613900000001');
  await call.start();
  await call.pressAll(['2', '1', WANG.keys, '1']);
  return call;
}

describe('one-time codes and card locks', () => {
  let t: TestApp;
  beforeEach(async function () {
    t = await startTestApp(`verify-${this.currentTest?.title.slice(0, 20) ?? ''}`);
  });
  afterEach(async () => t.close());

  it('when the code is entered after five minutes, it no longer verifies', async () => {
    const call = await toCodePrompt(t);
    const code = (await latestCode(t, WANG.mobile))!;
    t.clock.advance(5 * 60_000 + 1000);
    const answer = await call.press(code);
    expect(answer.text).to.contain('That code was not accepted.');
  });

  it('when a code has been used once, it cannot be used again on another call', async () => {
    const first = await toCodePrompt(t);
    await first.press('9');
    await first.press('9');
    const code = (await latestCode(t, WANG.mobile))!;
    expect((await first.press(code)).text).to.contain('You are verified');
    const second = await toCodePrompt(t);
    expect(await outboxCount(t, WANG.mobile)).to.equal(3);
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', WANG.id);
    expect(await t.store.models.OneTimeCode.countDocuments({ idHash, usedAt: null, voidedAt: null })).to.equal(0);
    expect((await second.press(code)).text).to.contain('That code was not accepted.');
  });

  it('when the caller asks for a new code, the old one is void', async () => {
    const call = await toCodePrompt(t);
    const oldCode = (await latestCode(t, WANG.mobile))!;
    const resent = await call.press('9');
    expect(resent.text).to.contain('a code has been sent');
    const newCode = (await latestCode(t, WANG.mobile))!;
    if (newCode !== oldCode) expect((await call.press(oldCode)).text).to.contain('That code was not accepted.');
    expect((await call.press(newCode)).text).to.contain('You are verified');
  });

  it('when a code is entered wrongly five times across calls, it is void even if the right code follows', async () => {
    const lenient = await startTestApp('verify-five-wrong', { env: { LOCK_AFTER_FAILURES: '10' } });
    try {
      const first = await toCodePrompt(lenient);
      await first.press('9');
      await first.press('9');
      const code = (await latestCode(lenient, WANG.mobile))!;
      const wrong = code === '000000' ? '111111' : '000000';
      await first.press(wrong);
      await first.press(wrong);
      expect((await first.press(wrong)).text).to.contain('we could not confirm who you are');
      const second = await toCodePrompt(lenient);
      expect(await outboxCount(lenient, WANG.mobile)).to.equal(3);
      await second.press(wrong);
      await second.press(wrong);
      const idHash = keyedHash(lenient.config.pinPepper, 'citizen-id', WANG.id);
      expect(await lenient.store.oneTimeCodes.findOpen(idHash, lenient.clock.now)).to.equal(null);
      expect((await second.press(code)).text).to.contain('we could not confirm who you are');
    } finally {
      await lenient.close();
    }
  });

  it('when more than three codes are asked for within fifteen minutes, no further code is sent but the words stay the same', async () => {
    const call = await toCodePrompt(t);
    const firstAnswer = call.last.xml;
    await call.press('9');
    await call.press('9');
    const fourth = await call.press('9');
    expect(fourth.xml.replace(/step=\d+/, '')).to.equal(firstAnswer.replace(/step=\d+/, ''));
    expect(await outboxCount(t, WANG.mobile)).to.equal(3);
    t.clock.advance(15 * 60_000 + 1000);
    await call.press('9');
    expect(await outboxCount(t, WANG.mobile)).to.equal(4);
  });

  it('when five verifications fail in a row across calls, the card is locked for thirty minutes, recorded and logged', async () => {
    const tryWrongPassword = async (times: number) => {
      const call = new TestCall(t, '+8613900000002');
      await call.start();
      await call.press('2');
      await call.press('2');
      await call.press(ZHANG.id);
      for (let i = 0; i < times; i += 1) await call.press('000001');
      return call;
    };
    const first = await tryWrongPassword(3);
    expect(first.last.text).to.contain('we could not confirm who you are');
    const second = await tryWrongPassword(2);
    expect(second.last.text).to.contain('Too many failed attempts');
    expect(second.last.text).to.contain('paused for at least 30 minutes');
    expect(second.last.hangup).to.equal(true);
    expect((await t.store.callSessions.find(second.callSid))?.outcome).to.equal('locked');
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', ZHANG.id);
    expect(await t.store.cardGuards.lockCount(idHash)).to.equal(1);
    expect(t.logs.some((l) => l.includes('"message":"card locked"') && l.includes(second.callSid))).to.equal(true);

    const whileLocked = await tryWrongPassword(0);
    const refused = await whileLocked.press(ZHANG.password);
    expect(refused.text).to.contain('That password was not accepted.');

    t.clock.advance(31 * 60_000);
    const afterLock = await tryWrongPassword(0);
    expect((await afterLock.press(ZHANG.password)).text).to.contain('You are verified');
  });

  it('when the card is locked, no code is sent and the caller hears the same words as for any card', async () => {
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', WANG.id);
    await t.store.models.CardLock.create({
      _id: `code:${idHash}:e0`,
      idHash,
      idMasked: '1101**********002X',
      factor: 'code',
      epoch: 0,
      at: t.clock.now,
      until: new Date(t.clock.now.getTime() + 60_000),
      callSid: 'CA-earlier',
    });
    const call = await toCodePrompt(t);
    expect(call.last.text).to.contain('If the details match our records, a code has been sent');
    expect(await outboxCount(t, WANG.mobile)).to.equal(0);
  });

  it('a right password ends the run of failures: two wrong, the right one, then four more wrong do not lock the card', async () => {
    const wrongTimes = async (times: number, thenRight = false) => {
      const call = new TestCall(t);
      await call.start();
      await call.pressAll(['2', '2', ZHANG.id]);
      for (let i = 0; i < times; i += 1) await call.press('000001');
      if (thenRight) expect((await call.press(ZHANG.password)).text).to.contain('You are verified');
      return call;
    };
    await wrongTimes(2, true);
    expect((await wrongTimes(3)).last.text).to.contain('we could not confirm who you are');
    expect((await wrongTimes(1)).last.text).to.contain('That password was not accepted.');
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', ZHANG.id);
    expect(await t.store.cardGuards.lockCount(idHash)).to.equal(0);
  });
});
