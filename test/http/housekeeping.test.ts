import { expect } from 'chai';
import { createApp } from '../../src/app.ts';
import { OutboxMessenger } from '../../src/messaging/messenger.ts';
import type { Housekeeper } from '../../src/services/housekeeping.service.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const housekeeperOf = (app: { locals: Record<string, unknown> }) => app.locals.housekeeper as Housekeeper;

describe('housekeeping: calls whose end never came, and calls past their retention', () => {
  let t: TestApp;
  let otherStore: Store;
  let other: Housekeeper;

  before(async () => {
    t = await startTestApp('housekeeping', { env: { SILENT_CALL_CLOSE_MINUTES: '10', CALL_RETENTION_DAYS: '180' } });
    otherStore = await openStore(testMongoUri(), t.dbName);
    const otherApp = createApp({ config: t.config, store: otherStore, logger: t.logger, messenger: new OutboxMessenger(otherStore.outbox, t.config.pinPepper), now: () => t.clock.now });
    other = housekeeperOf(otherApp);
  });
  after(async () => {
    await otherStore.close();
    await t.close();
  });

  it('a call whose status callback never arrives is closed as abandoned after SILENT_CALL_CLOSE_MINUTES, once, whichever of two instances sweeps', async () => {
    const lost = new TestCall(t, '+8613100007001');
    await lost.start();
    await lost.press('2');
    const onAgent = new TestCall(t, '+8613100007002');
    await onAgent.start();
    await onAgent.pressAll(['2', '0']);
    await t.settle();

    t.clock.advance(5 * MINUTE);
    expect(await Promise.all([housekeeperOf(t.app).sweepSilentCalls(), other.sweepSilentCalls()])).to.deep.equal([0, 0]);
    expect((await t.store.callSessions.find(lost.callSid))?.status, 'five minutes of silence is not enough').to.equal('active');

    t.clock.advance(6 * MINUTE);
    const closed = await Promise.all([housekeeperOf(t.app).sweepSilentCalls(), other.sweepSilentCalls()]);
    expect(closed.reduce((a, b) => a + b, 0), 'one instance closes it').to.equal(1);
    expect(await t.store.callSessions.findEnd(lost.callSid)).to.include({ outcome: 'abandoned', endedIn: 'mainMenu', carrierStatus: null });
    expect((await t.store.callSessions.turns(lost.callSid)).map((turn) => turn.event)).to.deep.equal(['CALL_START', 'DIGITS', 'HANGUP']);
    expect(await t.store.callSessions.findEnd(onAgent.callSid), 'a caller on the agent line may be silent for hours').to.equal(null);

    t.clock.advance(4 * 60 * MINUTE);
    await housekeeperOf(t.app).sweepSilentCalls();
    expect(await t.store.callSessions.findEnd(onAgent.callSid), 'put through, never heard back from: the line is closed as transferred').to.include({ outcome: 'transferred', endedIn: 'agent' });
    const search = await t.store.callSearch.search({ callSid: lost.callSid }, { limit: 5, now: t.clock.now });
    expect(search.calls[0]).to.include({ status: 'ended', outcome: 'abandoned' });
  });

  it('the minute sweep reads nothing of a call younger than SILENT_CALL_CLOSE_MINUTES, and still closes it once it has been silent that long', async () => {
    const young = new TestCall(t, '+8613100007003');
    await young.start();
    await young.press('2');
    await t.settle();
    const housekeeper = housekeeperOf(t.app);
    const sessions = t.store.callSessions;
    const read: string[] = [];
    const latestTurn = sessions.latestTurn.bind(sessions);
    sessions.latestTurn = (callSid: string) => {
      read.push(callSid);
      return latestTurn(callSid);
    };
    try {
      // Far enough into the hour that the sweep looks at the hour the call started in.
      t.clock.advance(5 * MINUTE);
      expect(await housekeeper.sweepSilentCalls()).to.equal(0);
      expect(read, 'five minutes old: not read').to.deep.equal([]);
      t.clock.advance(6 * MINUTE);
      expect(await housekeeper.sweepSilentCalls(), 'eleven minutes of silence: closed').to.equal(1);
      expect(read).to.include(young.callSid);
      expect(await t.store.callSessions.findEnd(young.callSid)).to.include({ outcome: 'abandoned', endedIn: 'mainMenu' });
    } finally {
      sessions.latestTurn = latestTurn;
    }
  });

  it('deletes a call past CALL_RETENTION_DAYS with its turns, end, logs, password change and index pages, and keeps a newer one', async () => {
    const old = new TestCall(t, '+8613800138000');
    await old.start();
    await old.pressAll(['2', '1', '11010519491231002*', '1']);
    const code = await latestCode(t, '+8613800138000');
    await old.pressAll([code as string, '258036', '258036']);
    await old.hangUp();
    await t.settle();
    expect(await t.store.passwordChanges.findByCall(old.callSid)).to.not.equal(null);

    t.clock.advance(200 * DAY);
    const recent = new TestCall(t, '+8613100007003');
    await recent.start();
    await recent.press('1');
    await recent.hangUp();
    await t.settle();

    const deleted = await housekeeperOf(t.app).expireOldCalls();
    expect(deleted).to.be.greaterThan(0);
    const dump = await t.dumpDatabase();
    expect(dump, 'nothing of the old call is left').not.to.contain(old.callSid);
    expect(dump, 'the newer call is kept').to.contain(recent.callSid);
    expect(await t.store.callSessions.find(old.callSid)).to.equal(null);
    expect((await t.store.callSearch.search({}, { limit: 25, now: t.clock.now, })).calls.map((c) => c.callSid)).to.deep.equal([recent.callSid]);
    expect(await housekeeperOf(t.app).expireOldCalls(), 'a week is deleted once').to.equal(0);
  });

  it('expired console sessions and day-old login failures (the name typed, the address) are deleted; a live session and a fresh failure stay', async () => {
    const { supervisors } = t.store;
    const at = t.clock.now;
    await supervisors.createSession({ _id: 'expired-session', username: 'alice', createdAt: at, expiresAt: new Date(at.getTime() - MINUTE) });
    await supervisors.createSession({ _id: 'live-session', username: 'alice', createdAt: at, expiresAt: new Date(at.getTime() + 60 * MINUTE) });
    expect(await supervisors.reserveLoginSlot('name:mallory', 1, 5, new Date(at.getTime() - 2 * DAY))).to.not.equal(null);
    expect(await supervisors.reserveLoginSlot('name:mallory', 2, 5, new Date(at.getTime() - MINUTE))).to.not.equal(null);

    expect(await housekeeperOf(t.app).expireConsoleRecords()).to.equal(2);
    expect(await supervisors.findSession('live-session', at)).to.not.equal(null);
    const dump = await t.dumpDatabase();
    expect(dump).not.to.contain('expired-session');
    expect(dump).not.to.contain('name:mallory:1:0');
    expect(dump).to.contain('name:mallory:2:0');
  });
});
