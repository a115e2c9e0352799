import { expect } from 'chai';
import { checkCharacter } from '../../src/domain/citizen-id.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { latestCode, outboxBodies, signedPost, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { parseTwiml } from '../support/twiml.ts';

const UNREGISTERED = `11010119900307777${checkCharacter('11010119900307777')}`;

const WANG = { id: '11010519491231002X', keys: '11010519491231002*', mobile: '+8613800138000' };

async function toChannelChoice(t: TestApp): Promise<TestCall> {
  const call = new TestCall(t);
  await call.start();
  for (const keys of ['2', '1', WANG.keys]) await call.press(keys);
  return call;
}

describe('repeated deliveries that arrive at the same time', () => {
  let t: TestApp;
  beforeEach(async function () {
    t = await startTestApp(`concurrent-${this.currentTest?.title.slice(0, 12) ?? ''}`);
  });
  afterEach(async () => t.close());

  it('when "send me a code" arrives twice at once, one code is sent and it verifies', async () => {
    const call = await toChannelChoice(t);
    const action = call.last.gather!.action;
    const [a, b] = await Promise.all([signedPost(t, action, { CallSid: call.callSid, Digits: '1' }), signedPost(t, action, { CallSid: call.callSid, Digits: '1' })]);
    expect(a.text).to.equal(b.text);
    expect(await latestCode(t, WANG.mobile), 'the code arrives').to.match(/^\d{6}$/);
    expect(await outboxBodies(t, WANG.mobile)).to.have.length(1);
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', WANG.id);
    expect(await t.store.models.OneTimeCode.countDocuments({ idHash, voidedAt: null })).to.equal(1);
    call.last = parseTwiml(a.text);
    expect((await call.press((await latestCode(t, WANG.mobile))!)).text).to.contain('You are verified');
  });

  it('when the confirmation of the new password arrives twice at once, the password is saved and notified once', async () => {
    const call = await toChannelChoice(t);
    await call.press('1');
    await call.press((await latestCode(t, WANG.mobile))!);
    await call.press('602481');
    const action = call.last.gather!.action;
    const [a, b] = await Promise.all([
      signedPost(t, action, { CallSid: call.callSid, Digits: '602481' }),
      signedPost(t, action, { CallSid: call.callSid, Digits: '602481' }),
    ]);
    expect(a.text).to.equal(b.text);
    expect(a.text).to.contain('Your password is set');
    expect(await t.store.models.PasswordChange.countDocuments({ callSid: call.callSid })).to.equal(1);
    expect((await outboxBodies(t, WANG.mobile)).filter((body) => body.includes('password was changed'))).to.have.length(1);
  });

  it('when the hang-up status races a key press, the call still ends recorded with an outcome', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    await call.press('1');
    const action = call.last.gather!.action;
    await Promise.all([
      signedPost(t, action, { CallSid: call.callSid, Digits: '9' }),
      signedPost(t, '/voice/status', { CallSid: call.callSid, CallStatus: 'completed', CallDuration: '12' }),
    ]);
    const session = await t.store.callSessions.find(call.callSid);
    expect(session).to.include({ status: 'ended', outcome: 'abandoned', carrierStatus: 'completed' });
    const timeline = await t.store.callSessions.turns(call.callSid);
    expect(timeline.at(-1)).to.include({ event: 'HANGUP', to: 'abandoned' });
    expect(timeline.at(-1)?.prompts).to.deep.equal([]);
  });

  it('when saving the new password fails, both deliveries of the confirmation hear an apology, never "done"', async () => {
    const call = await toChannelChoice(t);
    await call.press('1');
    await call.press((await latestCode(t, WANG.mobile))!);
    await call.press('602481');
    const action = call.last.gather!.action;
    const realSave = t.store.citizens.setPinHash.bind(t.store.citizens);
    t.store.citizens.setPinHash = async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error('disk full');
    };
    try {
      const answers = await Promise.all([
        signedPost(t, action, { CallSid: call.callSid, Digits: '602481' }),
        signedPost(t, action, { CallSid: call.callSid, Digits: '602481' }),
      ]);
      for (const answer of answers) {
        expect(answer.text).not.to.contain('has been set');
        expect(parseTwiml(answer.text).text).to.contain('Sorry, we are having a technical problem.');
      }
    } finally {
      t.store.citizens.setPinHash = realSave;
    }
    expect(await t.store.passwordChanges.findByCall(call.callSid)).to.include({ status: 'failed' });
    expect((await t.store.callSessions.find(call.callSid))?.outcome).not.to.equal('password-changed');
    expect((await outboxBodies(t, WANG.mobile)).filter((body) => body.includes('password was changed'))).to.have.length(0);
  });
});

describe('what timing tells a caller', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('timing-floor', { env: { CODE_SEND_FLOOR_MS: '300' } });
  });
  after(async () => t.close());

  it('a code request answers at the floor even while the database is stuck on the registered card', async () => {
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const realFind = t.store.citizens.findById.bind(t.store.citizens);
    t.store.citizens.findById = async (id: string) => {
      await stuck;
      return realFind(id);
    };
    try {
      const call = new TestCall(t);
      await call.start();
      await call.pressAll(['2', '1', WANG.keys]);
      const answer = await call.press('1');
      expect(answer.text).to.contain('If the details match our records, a code has been sent');
      expect(await outboxBodies(t, WANG.mobile)).to.have.length(0);
    } finally {
      t.store.citizens.findById = realFind;
      release();
    }
  });

  it('a code request takes at least the configured floor whether or not the card is registered', async () => {
    const durations: Record<string, number> = {};
    for (const [name, id] of [
      ['registered', WANG.keys],
      ['unregistered', UNREGISTERED],
    ] as const) {
      const call = new TestCall(t);
      await call.start();
      for (const k of ['2', '1']) await call.press(k);
      await call.press(id);
      await call.press('1');
      const turns = await t.store.callSessions.turns(call.callSid);
      durations[name] = turns.find((turn) => turn.from === 'chooseChannel')!.durationMs;
    }
    expect(durations.registered).to.be.at.least(300);
    expect(durations.unregistered).to.be.at.least(300);
  });
});
