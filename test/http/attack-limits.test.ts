import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.ts';
import { OutboxMessenger } from '../../src/messaging/messenger.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const WANG = { keys: '11010519491231002*', mobile: '+8613800138000' };
const ZHANG = { id: '310115198503171231', password: '314159' };

/** A second app instance on the same database (as behind a load balancer). */
async function secondInstance(first: TestApp): Promise<{ t: TestApp; store: Store }> {
  const store = await openStore(testMongoUri(), first.dbName);
  const app = createApp({ config: first.config, store, logger: first.logger, messenger: new OutboxMessenger(store.outbox, first.config.pinPepper), now: () => first.clock.now });
  return { t: { ...first, store, app }, store };
}

/** Parsed log lines with a given message, for the given calls. */
function logLines(t: TestApp, message: string, callSids: string[]): Array<Record<string, unknown>> {
  return t.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message && callSids.includes(String(line.callSid)));
}

async function outbox(t: TestApp, to: string): Promise<string[]> {
  const res = await supertest(t.app).get('/qa/outbox').query({ to }).set('Authorization', 'Bearer qa-token-for-tests');
  return (res.body.messages as Array<{ body: string }>).map((m) => m.body);
}

describe('limits that hold under concurrent calls', () => {
  let t: TestApp;
  let other: { t: TestApp; store: Store };
  beforeEach(async function () {
    t = await startTestApp(`attack-${this.currentTest?.title.slice(0, 16) ?? ''}`);
    other = await secondInstance(t);
  });
  afterEach(async () => {
    await other.store.close();
    await t.close();
  });

  it('when 12 calls on two instances guess the current password of one card at once, exactly 5 guesses are evaluated and the right password after them is refused', async () => {
    const calls = await Promise.all(
      Array.from({ length: 12 }, async (_x, i) => {
        const call = new TestCall(i % 2 === 0 ? t : other.t, `+86139000001${String(i).padStart(2, '0')}`);
        await call.start();
        await call.pressAll(['2', '2', ZHANG.id]);
        return call;
      }),
    );
    expect(calls.every((call) => call.last.text.includes('current 6-digit password'))).to.equal(true);
    await Promise.all(calls.map((call, i) => call.press(`00000${(i % 9) + 1}`)));
    const sids = calls.map((call) => call.callSid);
    expect(logLines(t, 'verification failed', sids), 'guesses evaluated').to.have.length(5);
    const refused = logLines(t, 'verification refused', sids);
    expect(refused, 'guesses refused without evaluation').to.have.length(7);
    expect(refused.every((line) => line.reason === 'locked')).to.equal(true);
    expect(calls.some((call) => call.last.text.includes('You are verified'))).to.equal(false);

    const late = new TestCall(other.t, '+8613900000199');
    await late.start();
    await late.pressAll(['2', '2', ZHANG.id]);
    expect((await late.press(ZHANG.password)).text).not.to.contain('You are verified');
    expect(logLines(t, 'verification refused', [late.callSid])).to.have.length(1);
  });

  it('when 8 calls ask for a code for one card at once, exactly 3 codes are sent', async () => {
    const calls = await Promise.all(
      Array.from({ length: 8 }, async (_x, i) => {
        const call = new TestCall(i % 2 === 0 ? t : other.t, `+86139000002${String(i).padStart(2, '0')}`);
        await call.start();
        await call.pressAll(['2', '1', WANG.keys]);
        return call;
      }),
    );
    const answers = await Promise.all(calls.map((call) => call.press('1')));
    expect(answers.every((answer) => answer.text.includes('If the details match our records, a code has been sent'))).to.equal(true);
    // A code request answers at its floor, not at delivery: let the deliveries land before counting them.
    for (let i = 0; i < 60 && (await outbox(t, WANG.mobile)).length < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    await t.settle();
    expect(await outbox(t, WANG.mobile)).to.have.length(3);
  });

  it('when 11 calls enter wrong codes against one code at once, exactly 5 are checked and the code is void', async () => {
    const lenient = await startTestApp('attack-code-void', { env: { LOCK_AFTER_FAILURES: '20' } });
    try {
      const calls: TestCall[] = [];
      for (let i = 0; i < 11; i += 1) {
        const call = new TestCall(lenient, `+86139000003${String(i).padStart(2, '0')}`);
        await call.start();
        await call.pressAll(['2', '1', WANG.keys, '1']);
        calls.push(call);
      }
      const code = (await latestCode(lenient, WANG.mobile))!;
      const wrong = code === '000000' ? '111111' : '000000';
      await Promise.all(calls.map((call) => call.press(wrong)));
      const sids = calls.map((call) => call.callSid);
      expect(logLines(lenient, 'verification failed', sids), 'wrong entries checked against the code').to.have.length(5);
      const refused = logLines(lenient, 'verification refused', sids);
      expect(refused).to.have.length(6);
      expect(refused.every((line) => line.reason === 'code-void' || line.reason === 'no-open-code'), 'refused as void (or no longer open)').to.equal(true);
      expect((await calls[0].press(code)).text).to.contain('That code was not accepted.');
    } finally {
      await lenient.close();
    }
  });
});

describe('the card holder cannot be locked out by someone who knows the ID number', () => {
  let t: TestApp;
  beforeEach(async function () {
    t = await startTestApp(`holder-${this.currentTest?.title.slice(0, 16) ?? ''}`);
  });
  afterEach(async () => t.close());

  const ZHANG_MOBILE = '+8613700001111';

  async function guessCurrent(times: number): Promise<TestCall> {
    const call = new TestCall(t, '+8613900000401');
    await call.start();
    await call.pressAll(['2', '2', ZHANG.id]);
    for (let i = 0; i < times && call.last.gather; i += 1) await call.press('000001');
    return call;
  }

  it('when five wrong current passwords lock the password path, the holder still verifies with a code and is told of the lock once', async () => {
    await guessCurrent(3);
    expect((await guessCurrent(2)).last.text).to.contain('Too many failed attempts');
    await guessCurrent(2);

    const holder = new TestCall(t, ZHANG_MOBILE);
    await holder.start();
    await holder.pressAll(['2', '1', ZHANG.id, '1']);
    const code = await latestCode(t, ZHANG_MOBILE);
    expect(code, 'a code reached the holder').to.match(/^\d{6}$/);
    expect((await holder.press(code!)).text).to.contain('You are verified');

    const notices = (await outbox(t, ZHANG_MOBILE)).filter((body) => body.includes('paused'));
    expect(notices, 'one notice per lock').to.have.length(1);
    expect(notices[0]).to.contain('30').and.contain('wrong passwords');
  });

  it('a patient attacker who waits out every lock from 08:00 UTC gets at most 25 guesses at the current password in the next 24 hours (it was about 240)', async function () {
    this.timeout(180_000);
    const end = t.clock.now.getTime() + 86_400_000;
    let evaluated = 0;
    while (t.clock.now.getTime() < end && evaluated <= 25) {
      const seen = t.logs.length;
      const call = await guessCurrent(3);
      const lines = t.logs.slice(seen).map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.callSid === call.callSid);
      evaluated += lines.filter((line) => line.message === 'verification failed').length;
      const refused = lines.find((line) => line.message === 'verification refused');
      if (refused) t.clock.now = new Date(typeof refused.lockedUntil === 'string' ? Date.parse(refused.lockedUntil) + 1000 : t.clock.now.getTime() + 31 * 60_000);
    }
    expect(evaluated).to.be.at.most(25);
    expect(evaluated, 'the daily cap is reached, not something else').to.be.at.least(20);
  });
});
