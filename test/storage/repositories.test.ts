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

  it('of 12 attempts reserved at once on one card, exactly the threshold get a slot, the full epoch locks once, and the next epoch opens after it', async () => {
    const rules = { afterFailures: 3, minutes: 30, maxFailuresPerDay: 7 };
    const idHash = keyedHash('p', 'citizen-id', 'card-1');
    const owner = (n: number) => ({ factor: 'current-password' as const, idHash, idMasked: '1101**********002X', callSid: `CA-repo-${n}`, turnKey: `CA-repo-${n}:4` });
    const now = new Date('2026-03-01T08:00:00Z');
    const first = await Promise.all(Array.from({ length: 12 }, (_x, n) => t.store.cardGuards.reserve(owner(n), now, rules)));
    const reserved = first.filter((r) => r.kind === 'reserved');
    expect(reserved).to.have.length(3);
    expect(new Set(reserved.map((r) => r.kind === 'reserved' && r.slotId)).size).to.equal(3);
    const locks = await Promise.all(reserved.map((r) => t.store.cardGuards.lockIfFull(owner(0), r.kind === 'reserved' ? r.epoch : -1, now, rules)));
    const created = locks.filter((l) => l?.created).length + first.filter((r) => r.kind === 'refused' && r.lockCreated).length;
    expect(created, 'the lock is inserted once, by whoever saw the epoch full first').to.equal(1);
    expect(locks.every((l) => l?.lock.until.getTime() === now.getTime() + 30 * 60_000)).to.equal(true);
    expect(await t.store.cardGuards.lockedUntil('current-password', idHash, now)).to.be.instanceOf(Date);
    expect(await t.store.cardGuards.lockedUntil('code', idHash, now), 'the other factor is not locked').to.equal(null);
    expect(await t.store.cardGuards.lockCount(idHash)).to.equal(1);

    const later = new Date(now.getTime() + 31 * 60_000);
    const second = await Promise.all(Array.from({ length: 5 }, (_x, n) => t.store.cardGuards.reserve(owner(20 + n), later, rules)));
    const secondReserved = second.filter((r) => r.kind === 'reserved');
    expect(secondReserved).to.have.length(3);
    const secondLock = await t.store.cardGuards.lockIfFull(owner(20), 1, later, rules);
    expect(secondLock?.lock.until.getTime(), 'a second lock the same day lasts twice as long').to.equal(later.getTime() + 60 * 60_000);

    const third = new Date(later.getTime() + 61 * 60_000);
    const thirdRound = await Promise.all(Array.from({ length: 4 }, (_x, n) => t.store.cardGuards.reserve(owner(40 + n), third, rules)));
    expect(thirdRound.filter((r) => r.kind === 'reserved'), 'the daily cap (7) leaves one').to.have.length(1);
    expect(thirdRound.filter((r) => r.kind === 'refused' && r.reason === 'daily-cap')).to.have.length(3);
    const nextDay = new Date('2026-03-02T10:00:00Z');
    expect((await t.store.cardGuards.reserve(owner(60), nextDay, rules)).kind).to.equal('reserved');
  });

  it('a lock whose writer died before inserting it is derived from the slots by the next attempt', async () => {
    const rules = { afterFailures: 2, minutes: 30, maxFailuresPerDay: 20 };
    const idHash = keyedHash('p', 'citizen-id', 'card-crash');
    const owner = { factor: 'code' as const, idHash, idMasked: '1101**********002X', callSid: 'CA-crash', turnKey: 'CA-crash:5' };
    const at = new Date('2026-03-01T08:00:00Z');
    await t.store.cardGuards.reserve(owner, at, rules);
    await t.store.cardGuards.reserve({ ...owner, turnKey: 'CA-crash:6' }, new Date(at.getTime() + 1000), rules);
    const refused = await t.store.cardGuards.reserve({ ...owner, turnKey: 'CA-crash:7' }, new Date(at.getTime() + 60_000), rules);
    expect(refused).to.deep.include({ kind: 'refused', reason: 'locked', lockCreated: true });
    expect(refused.kind === 'refused' && refused.until.getTime()).to.equal(at.getTime() + 1000 + 30 * 60_000);
    expect(await t.store.cardGuards.lockCount(idHash)).to.equal(1);
  });

  it('issues at most the allowed codes per time bucket even when asked at once, keeps the newest open and lets exactly one turn use it', async () => {
    const now = new Date('2026-03-01T08:00:00Z');
    const code = (sendKey: string, createdAt = now) => ({
      idHash: 'card-2',
      citizenId: '0'.repeat(24),
      channel: 'sms' as const,
      codeHash: keyedHash('p', 'otp', sendKey),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 300_000),
      sendKey,
    });
    const limits = { maxSends: 3, windowMinutes: 15 };
    const issued = await Promise.all(Array.from({ length: 8 }, (_x, n) => t.store.oneTimeCodes.issue(code(`s${n}`), limits)));
    expect(issued.filter(Boolean)).to.have.length(3);
    const newest = await t.store.oneTimeCodes.issue(code('s9', new Date(now.getTime() + 16 * 60_000)), limits);
    const open = await t.store.oneTimeCodes.findOpen('card-2', new Date(now.getTime() + 16 * 60_000));
    expect(open?.id).to.equal(newest);
    expect(open?.sendKey).to.equal('s9');
    const racing = await Promise.all([
      t.store.oneTimeCodes.consume(open!.id, 'turn-a', now),
      t.store.oneTimeCodes.consume(open!.id, 'turn-b', now),
      t.store.oneTimeCodes.consume(open!.id, 'turn-c', now),
    ]);
    expect(racing.filter(Boolean)).to.have.length(1);
    const winner = ['turn-a', 'turn-b', 'turn-c'][racing.indexOf(true)];
    expect(await t.store.oneTimeCodes.consume(open!.id, winner, now)).to.equal(true);
    expect(await t.store.oneTimeCodes.findOpen('card-2', now)).to.equal(null);
  });

  it('a code admits exactly its allowed entries, even when they arrive at once', async () => {
    const owner = (n: number) => ({ callSid: `CA-e${n}`, turnKey: `CA-e${n}:7` });
    const entries = await Promise.all(Array.from({ length: 9 }, (_x, n) => t.store.oneTimeCodes.reserveEntry({ id: 'card-3:1:0', idHash: 'card-3' }, owner(n), new Date(), 5)));
    expect(entries.filter(Boolean).map((e) => e!.index).sort()).to.deep.equal([0, 1, 2, 3, 4]);
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
