import { expect } from 'chai';
import { seedCitizens } from '../../src/services/citizen-seed.service.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { turnId, type CallTurn } from '../../src/storage/call-session.repository.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const call = { startedAt: new Date('2026-03-01T08:00:00Z'), callerMasked: '+86 138****8000', callerHash: 'h'.repeat(64), callerLast4: '8000', to: null, carrier: 'twilio' };

const turn = (callSid: string, step: number, state: string, ended = false): CallTurn => ({
  _id: turnId(callSid, step),
  callSid,
  step,
  at: new Date(),
  event: step === 0 ? 'CALL_START' : 'DIGITS',
  input: step === 0 ? null : '1',
  from: step === 0 ? '' : 'welcome',
  to: state,
  path: step === 0 ? [state] : ['welcome', state],
  prompts: [],
  durationMs: 1,
  snapshot: { value: state },
  view: { state, meta: { prompts: [] }, notice: [], language: 'zh-CN', bilingual: false },
  call,
  language: 'zh-CN',
  outcome: ended ? 'goodbye' : null,
  ended,
  idHash: null,
  idMasked: null,
  log: [],
});

describe('repositories against the real server', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('repositories', { seed: false });
  });
  after(async () => t.close());

  it('claims the first turn of a call once; a second claim for the same CallSid reports it exists', async () => {
    expect(await t.store.callSessions.claimTurn(turn('CA-repo-1', 0, 'welcome'))).to.equal(true);
    expect(await t.store.callSessions.claimTurn(turn('CA-repo-1', 0, 'mainMenu'))).to.equal(false);
    expect((await t.store.callSessions.find('CA-repo-1'))?.step).to.equal(1);
    expect((await t.store.callSessions.findTurn('CA-repo-1', 0))?.to).to.equal('welcome');
  });

  it('of three deliveries claiming the same turn at once, exactly one wins, and the call is where the winner left it', async () => {
    await t.store.callSessions.claimTurn(turn('CA-repo-2', 0, 'welcome'));
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const step = attempt + 1;
      const results = await Promise.all([
        t.store.callSessions.claimTurn(turn('CA-repo-2', step, 'mainMenu')),
        t.store.callSessions.claimTurn(turn('CA-repo-2', step, 'passwordMenu')),
        t.store.callSessions.claimTurn(turn('CA-repo-2', step, 'otherWays')),
      ]);
      expect(results.filter(Boolean), `step ${step}`).to.have.length(1);
      const claimed = await t.store.callSessions.findTurn('CA-repo-2', step);
      const saved = await t.store.callSessions.find('CA-repo-2');
      expect(saved?.step).to.equal(step + 1);
      expect(saved?.state).to.equal(claimed?.to);
    }
    expect((await t.store.callSessions.turns('CA-repo-2')).map((x) => x.step)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('finds the newest turn of calls of any length, and nothing for a call that never started', async () => {
    for (const length of [1, 2, 3, 16, 17, 33]) {
      const sid = `CA-repo-len-${length}`;
      for (let step = 0; step < length; step += 1) await t.store.callSessions.claimTurn(turn(sid, step, `s${step}`));
      expect((await t.store.callSessions.latestTurn(sid))?.step, `length ${length}`).to.equal(length - 1);
      expect(await t.store.callSessions.turns(sid), `length ${length}`).to.have.length(length);
    }
    expect(await t.store.callSessions.latestTurn('CA-repo-never')).to.equal(null);
    expect(await t.store.callSessions.find('CA-repo-never')).to.equal(null);
  });

  it('records the end of a call once, and a call reads as ended with the outcome its end record gives', async () => {
    await t.store.callSessions.claimTurn(turn('CA-repo-end', 0, 'welcome'));
    const end = {
      _id: 'CA-repo-end',
      startedAt: call.startedAt,
      endedAt: new Date('2026-03-01T08:01:00Z'),
      durationSeconds: 60,
      outcome: 'abandoned',
      hadTrouble: false,
      endedIn: 'welcome',
      language: 'zh-CN',
      callerMasked: call.callerMasked,
      callerHash: call.callerHash,
      callerLast4: call.callerLast4,
      idHash: null,
      idMasked: null,
      to: null,
      carrier: 'twilio',
      carrierStatus: 'completed',
      dialCallStatus: null,
      steps: 1,
    };
    const claims = await Promise.all([t.store.callSessions.claimEnd(end), t.store.callSessions.claimEnd({ ...end, outcome: 'goodbye' })]);
    expect(claims.filter(Boolean)).to.have.length(1);
    const session = await t.store.callSessions.find('CA-repo-end');
    expect(session).to.include({ status: 'ended', endedIn: 'welcome' });
    expect(session?.outcome).to.equal((await t.store.callSessions.findEnd('CA-repo-end'))?.outcome);
  });

  it('counts a verification failure once per key and locks at the threshold, recording the lock once', async () => {
    const idHash = keyedHash('p', 'citizen-id', 'card-1');
    const base = { idHash, idMasked: '1101**********002X', callSid: 'CA-repo-3', kind: 'code' as const, threshold: 3, lockMinutes: 30, now: new Date() };
    expect((await t.store.cardGuards.recordFailure({ ...base, key: 'k1' })).failures).to.equal(1);
    expect((await t.store.cardGuards.recordFailure({ ...base, key: 'k1' })).failures).to.equal(1);
    expect((await t.store.cardGuards.recordFailure({ ...base, key: 'k2' })).lockedUntil).to.equal(null);
    const locked = await t.store.cardGuards.recordFailure({ ...base, key: 'k3' });
    expect(locked.lockedUntil?.getTime()).to.equal(base.now.getTime() + 30 * 60_000);
    expect(await t.store.cardGuards.lockedUntil(idHash, base.now)).to.be.instanceOf(Date);
    expect(await t.store.cardGuards.lockedUntil(idHash, new Date(base.now.getTime() + 31 * 60_000))).to.equal(null);
    expect(await t.store.cardGuards.lockCount(idHash)).to.equal(1);
  });

  it('issues one open code per card and lets exactly one turn use it, even when two try at once', async () => {
    const now = new Date();
    const code = (sendKey: string) => ({
      idHash: 'card-2',
      citizenId: '0'.repeat(24),
      channel: 'sms' as const,
      codeHash: keyedHash('p', 'otp', sendKey),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 300_000),
      sendKey,
    });
    expect(await t.store.oneTimeCodes.issue(code('s1'))).to.equal(true);
    expect(await t.store.oneTimeCodes.issue(code('s1'))).to.equal(false);
    expect(await t.store.oneTimeCodes.issue(code('s2'))).to.equal(true);
    const open = await t.store.oneTimeCodes.findOpen('card-2', now);
    expect(open?.sendKey).to.equal('s2');
    expect(await t.store.models.OneTimeCode.countDocuments({ idHash: 'card-2', voidedAt: { $ne: null } })).to.equal(1);
    const racing = await Promise.all([
      t.store.oneTimeCodes.consume(open!.id, 'turn-a', now),
      t.store.oneTimeCodes.consume(open!.id, 'turn-b', now),
      t.store.oneTimeCodes.consume(open!.id, 'turn-c', now),
    ]);
    expect(racing.filter(Boolean)).to.have.length(1);
    const winner = ['turn-a', 'turn-b', 'turn-c'][racing.indexOf(true)];
    expect(await t.store.oneTimeCodes.consume(open!.id, winner, now)).to.equal(true);
    expect(await t.store.oneTimeCodes.usedByTurn(winner)).to.equal(true);
    expect(await t.store.oneTimeCodes.findOpen('card-2', now)).to.equal(null);
  });

  it('loading the demo file at start adds missing citizens but never undoes a password set on a call', async () => {
    const first = await seedCitizens(t.store, 'data/demo-citizens.json', t.config.pinPepper, { keepExisting: true });
    expect(first.inserted).to.equal(6);
    const li = await t.store.citizens.findByIdHash(keyedHash(t.config.pinPepper, 'citizen-id', '440524188001010014'));
    await t.store.citizens.setPinHash(li!.id, 'changed-on-a-call', new Date());
    const again = await seedCitizens(t.store, 'data/demo-citizens.json', t.config.pinPepper, { keepExisting: true });
    expect(again).to.deep.equal({ inserted: 0, updated: 0, kept: 6 });
    expect((await t.store.citizens.findById(li!.id))?.pinHash).to.equal('changed-on-a-call');
  });
});
