import { expect } from 'chai';
import { seedCitizens } from '../../src/services/citizen-seed.service.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { turnId, type CallTurn } from '../../src/storage/call-session.repository.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const session = (id: string) => ({
  _id: id,
  snapshot: '{}',
  state: 'welcome',
  status: 'active' as const,
  outcome: null,
  language: 'zh-CN',
  callerMasked: '+86 138****8000',
  callerHash: 'h',
  callerLast4: '8000',
  to: null,
  idHash: null,
  idMasked: null,
  lastTwiml: '<Response/>',
  startedAt: new Date(),
  updatedAt: new Date(),
  endedAt: null,
});

const turn = (callSid: string, step: number, state: string): CallTurn => ({
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
  twiml: `<Response><Say>${state}</Say></Response>`,
  snapshot: JSON.stringify({ value: state }),
  language: 'zh-CN',
  outcome: null,
  ended: false,
  idHash: null,
  idMasked: null,
});

describe('repositories against the real server', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('repositories', { seed: false });
  });
  after(async () => t.close());

  it('creates a call session once; a second create for the same CallSid reports it exists', async () => {
    expect(await t.store.callSessions.create(session('CA-repo-1'), turn('CA-repo-1', 0, 'welcome'))).to.equal(true);
    expect(await t.store.callSessions.create(session('CA-repo-1'), turn('CA-repo-1', 0, 'welcome'))).to.equal(false);
    expect((await t.store.callSessions.find('CA-repo-1'))?.step).to.equal(1);
  });

  it('of two deliveries claiming the same turn at once, exactly one wins, and applying a turn twice changes nothing', async () => {
    await t.store.callSessions.create(session('CA-repo-2'), turn('CA-repo-2', 0, 'welcome'));
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const step = attempt + 1;
      const results = await Promise.all([
        t.store.callSessions.claimTurn(turn('CA-repo-2', step, 'mainMenu')),
        t.store.callSessions.claimTurn(turn('CA-repo-2', step, 'passwordMenu')),
        t.store.callSessions.claimTurn(turn('CA-repo-2', step, 'otherWays')),
      ]);
      expect(results.filter(Boolean), `step ${step}`).to.have.length(1);
      const claimed = await t.store.callSessions.findTurn('CA-repo-2', step);
      await Promise.all([t.store.callSessions.applyTurn(claimed!, new Date()), t.store.callSessions.applyTurn(claimed!, new Date())]);
      const saved = await t.store.callSessions.find('CA-repo-2');
      expect(saved?.step).to.equal(step + 1);
      expect(saved?.state).to.equal(claimed?.to);
    }
    const stale = turn('CA-repo-2', 3, 'goodbye');
    await t.store.callSessions.applyTurn(stale, new Date());
    expect((await t.store.callSessions.find('CA-repo-2'))?.step).to.equal(11);
    expect(await t.store.callSessions.timeline('CA-repo-2')).to.have.length(11);
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
