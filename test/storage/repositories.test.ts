import { expect } from 'chai';
import { seedCitizens } from '../../src/services/citizen-seed.service.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { BucketLog } from '../../src/storage/bucket-log.ts';
import { turnId, type CallTurn } from '../../src/storage/call-session.repository.ts';
import { openStore } from '../../src/storage/store.ts';
import { testMongoUri } from '../support/root-hooks.ts';
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

  it('the newest turn follows a running call read again and again (the remembered newest turn is only a hint), and a deleted call reads as never started', async () => {
    const sid = 'CA-repo-growing';
    await t.store.callSessions.claimTurn(turn(sid, 0, 'welcome'));
    expect((await t.store.callSessions.latestTurn(sid))?.step).to.equal(0);
    for (let step = 1; step <= 9; step += 1) {
      await t.store.callSessions.claimTurn(turn(sid, step, `state${step}`));
      if (step % 4 === 0) expect((await t.store.callSessions.latestTurn(sid))?.to).to.equal(`state${step}`);
    }
    expect((await t.store.callSessions.latestTurn(sid))?.step).to.equal(9);
    await t.store.callSessions.remove(sid, 10);
    expect(await t.store.callSessions.latestTurn(sid)).to.equal(null);
    await t.store.callSessions.claimTurn(turn(sid, 0, 'again'));
    expect((await t.store.callSessions.latestTurn(sid))?.to).to.equal('again');
  });

  it('a running call read again costs a read for each step it moved and one for the step not there yet, and one more only when it has not moved', async () => {
    const commands: string[] = [];
    const store = await openStore(testMongoUri(), `t_repo_reads_${process.pid}`, { onCommand: (name) => commands.push(name) });
    const other = await openStore(testMongoUri(), `t_repo_reads_${process.pid}`);
    try {
      const sid = 'CA-repo-reads';
      for (let step = 0; step < 5; step += 1) await store.callSessions.claimTurn(turn(sid, step, `state${step}`));
      expect((await store.callSessions.latestTurn(sid))?.step).to.equal(4);
      const readsOf = async (read: () => Promise<unknown>) => {
        commands.length = 0;
        await read();
        return commands.filter((name) => name === 'findOne').length;
      };
      await store.callSessions.claimTurn(turn(sid, 5, 'state5'));
      expect(await readsOf(() => store.callSessions.latestTurn(sid)), 'moved one step').to.equal(2);
      expect(await readsOf(() => store.callSessions.latestTurn(sid)), 'not moved').to.equal(2);
      expect(await readsOf(() => store.callSessions.find(sid)), 'a running call in the menu: its newest turn (two reads), its end, its recovery').to.equal(4);
      expect((await store.callSessions.find(sid))?.state).to.equal('state5');
      for (let step = 6; step < 20; step += 1) await store.callSessions.claimTurn(turn(sid, step, `state${step}`));
      expect((await store.callSessions.latestTurn(sid))?.step, 'moved further than the reads forward').to.equal(19);
      await other.callSessions.remove(sid, 20);
      expect(await store.callSessions.latestTurn(sid), 'deleted by another instance').to.equal(null);
    } finally {
      await store.drop();
      await Promise.all([store.close(), other.close()]);
    }
  });

  it('an index key read again reads its sealed pages (a page after them) from memory and its filling page from the database, and reads nothing once removed', async () => {
    const commands: string[] = [];
    const store = await openStore(testMongoUri(), `t_repo_pages_${process.pid}`, { onCommand: (name) => commands.push(name) });
    const other = await openStore(testMongoUri(), `t_repo_pages_${process.pid}`);
    try {
      const index = new BucketLog(store.models, 2);
      const writer = new BucketLog(other.models, 2);
      await writer.append('k', ['a', 'b', 'c', 'd', 'e']);
      const readsOf = async () => {
        commands.length = 0;
        const entries = await index.read('k');
        return { entries, reads: commands.filter((name) => name === 'findOne').length };
      };
      expect(await readsOf(), 'pages 0-2, then page 3 and slot 1, not there').to.deep.equal({ entries: ['a', 'b', 'c', 'd', 'e'], reads: 5 });
      await writer.append('k', ['f', 'g']);
      expect(await readsOf(), 'page 0, page 2 (was filling), page 3 (new), page 4 and slot 1').to.deep.equal({ entries: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], reads: 5 });
      expect(await readsOf(), 'page 0, page 3 (filling), page 4 and slot 1').to.deep.equal({ entries: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], reads: 4 });
      await writer.remove('k');
      expect(await readsOf(), 'gone with its first page').to.deep.equal({ entries: [], reads: 1 });
    } finally {
      await store.drop();
      await Promise.all([store.close(), other.close()]);
    }
  });

  it('a claimed turn reads back whole (dates, log lines, notes), a lean read leaves its timeline out, and a turn stored before turns were packed still reads', async () => {
    const until = new Date('2026-03-01T09:00:00Z');
    const full: CallTurn = {
      ...turn('CA-repo-pack', 0, 'welcome'),
      log: [{ at: new Date('2026-03-01T08:00:01Z'), level: 'info', message: 'turn', fields: '{"step":0}' }],
      notes: [{ kind: 'verification-refused', factor: 'code', reason: 'locked', until }],
    };
    expect(await t.store.callSessions.claimTurn(full)).to.equal(true);
    const back = await t.store.callSessions.findTurn('CA-repo-pack', 0);
    expect(back).to.deep.equal(full);
    expect(back!.call.startedAt).to.be.an.instanceOf(Date);
    const raw = await t.store.models.CallTurn.collection.findOne({ _id: turnId('CA-repo-pack', 0) } as never);
    expect(Object.keys(raw!), 'stored as its _id and two strings').to.deep.equal(['_id', 'v', 't']);
    const lean = await t.store.callSessions.findTurn('CA-repo-pack', 0, { lean: true });
    expect(lean).to.include({ step: 0, to: 'welcome', ended: false });
    expect(lean!.snapshot).to.deep.equal({ value: 'welcome' });
    expect(lean!.log).to.deep.equal([]);
    expect(lean).not.to.have.property('notes');

    const legacy = turn('CA-repo-legacy', 0, 'welcome');
    await t.store.models.CallTurn.collection.insertOne({
      ...legacy,
      snapshot: JSON.stringify(legacy.snapshot),
      view: JSON.stringify(legacy.view),
      log: JSON.stringify([{ at: '2026-03-01T08:00:01.000Z', level: 'info', message: 'turn', fields: '{}' }]),
      notes: JSON.stringify([{ kind: 'verification-refused', factor: 'code', reason: 'daily-cap', until: until.toISOString() }]),
    } as never);
    const old = await t.store.callSessions.findTurn('CA-repo-legacy', 0);
    expect(old).to.deep.include({ snapshot: { value: 'welcome' }, view: legacy.view, call });
    expect(old!.log[0]!.at).to.deep.equal(new Date('2026-03-01T08:00:01Z'));
    expect(old!.notes).to.deep.equal([{ kind: 'verification-refused', factor: 'code', reason: 'daily-cap', until }]);
    expect((await t.store.callSessions.find('CA-repo-legacy'))!.state).to.equal('welcome');
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
