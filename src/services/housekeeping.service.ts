import type { Config } from '../config.ts';
import type { Logger } from '../logging/logger.ts';
import { dayKey, endPostings, hourlyKey, INDEX_KEYS, mergeEntries, weekKey, type IndexEntry } from '../storage/call-index.ts';
import type { Store } from '../storage/store.ts';
import { CODE_MAX_ATTEMPTS } from './call-actors.ts';
import type { CallTurnService } from './call-turn.service.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

/** A call waiting on an agent's line may be silent this long (Twilio's longest `<Dial>`, four hours). */
export const DIAL_SILENCE_MS = 4 * HOUR_MS;

/** How far back the sweep looks for calls that never ended (the longest a call can last, and an hour more). */
const SILENT_LOOKBACK_MS = DIAL_SILENCE_MS + HOUR_MS;

/** How many expired weeks each retention run checks (older ones were done by earlier runs). */
const RETENTION_WEEKS_CHECKED = 8;

/** Calls deleted between two short pauses, so that retention never crowds the callers' database work. */
const RETENTION_BATCH = 50;

/** Every outcome an index `o:` family can hold (the outcomes calls end with, and `error`). */
const OUTCOME_FAMILIES = ['password-changed', 'locked', 'transferred', 'agent-unavailable', 'callback-requested', 'abandoned', 'goodbye', 'no-input', 'verification-failed', 'error'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The hotline's housekeeping, run by every instance and claimed run by run (a unique-key insert per minute or hour),
 * so one instance does each: closing calls whose carrier never reported their end, and deleting calls older than the
 * retention period — turns, end records, logs, password-change records, claims, index pages — all by `_id`, found
 * through the call index, never by scanning a collection.
 */
export class Housekeeper {
  private readonly now: () => Date;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { store: Store; config: Config; logger: Logger; calls: CallTurnService; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Starts the sweeps: silent calls every minute, retention every hour (each run claimed by one instance). */
  start(): void {
    const every = (ms: number, run: () => Promise<unknown>) => {
      const timer = setInterval(() => {
        this.running = this.running.then(run).catch((error: unknown) => this.deps.logger.warn('housekeeping failed', { error }));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(MINUTE_MS, () => this.sweepSilentCalls());
    every(HOUR_MS, () => this.expireOldCalls());
    every(HOUR_MS, () => this.expireConsoleRecords());
  }

  /**
   * Deletes expired console sessions and login-failure slots older than a day (their windows, at most a day, are
   * over; a slot's `_id` holds the name typed and the client's address). Both collections stay small, so a filtered
   * delete is fine here. Returns how many documents.
   */
  async expireConsoleRecords(): Promise<number> {
    const now = this.now();
    const { supervisors } = this.deps.store;
    return (await supervisors.deleteExpiredSessions(now)) + (await supervisors.deleteLoginFailuresBefore(new Date(now.getTime() - DAY_MS)));
  }

  /** Stops the sweeps and waits for a run under way. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.running;
  }

  /** The calls that started in an hour and have no end entry yet. */
  private async unfinishedIn(hour: string): Promise<IndexEntry[]> {
    const [started, ended] = await Promise.all([this.deps.store.callIndex.read(INDEX_KEYS.started(hour)), this.deps.store.callIndex.read(INDEX_KEYS.ended(hour))]);
    const done = new Set(mergeEntries(ended).map((entry) => entry.c));
    return mergeEntries(started).filter((entry) => !done.has(entry.c));
  }

  /**
   * Closes, as abandoned where they stand, the calls no webhook has reached for longer than `SILENT_CALL_CLOSE_MINUTES`
   * (four hours while on an agent's line) — a carrier's status callback that never came. Returns how many it closed.
   */
  async sweepSilentCalls(): Promise<number> {
    const now = this.now();
    if (!(await this.deps.store.housekeeping.claim(`silent:${now.toISOString().slice(0, 16)}`, now))) return 0;
    const silence = this.deps.config.housekeeping.silentCallMinutes * MINUTE_MS;
    let closed = 0;
    const last = Math.floor((now.getTime() - silence) / HOUR_MS) * HOUR_MS;
    for (let at = Math.floor((now.getTime() - SILENT_LOOKBACK_MS) / HOUR_MS) * HOUR_MS; at <= last; at += HOUR_MS) {
      for (const entry of await this.unfinishedIn(new Date(at).toISOString().slice(0, 13))) {
        // A call younger than the silence allowed cannot have been silent that long: nothing of it is read (finding a
        // running call's newest turn takes a dozen reads, on the callers' connections, every minute).
        if (now.getTime() - entry.s < silence) continue;
        const latest = await this.deps.store.callSessions.latestTurn(entry.c);
        if (!latest || (await this.deps.store.callSessions.findEnd(entry.c))) continue;
        const allowed = (latest.view.meta as { end?: string }).end === 'dial' ? DIAL_SILENCE_MS : silence;
        if (now.getTime() - latest.at.getTime() < allowed) continue;
        if (await this.deps.calls.closeSilentCall(entry.c)) closed += 1;
      }
    }
    if (closed > 0) this.deps.logger.info('silent calls closed', { closed });
    return closed;
  }

  /** Deletes every call of the weeks that have passed `CALL_RETENTION_DAYS`, and outbox messages past theirs. Returns how many calls. */
  async expireOldCalls(): Promise<number> {
    const now = this.now();
    const { store, config } = this.deps;
    await store.outbox.removeOlderThan(new Date(now.getTime() - config.housekeeping.outboxRetentionDays * DAY_MS));
    const horizon = now.getTime() - config.housekeeping.callRetentionDays * DAY_MS;
    let deleted = 0;
    for (let i = 1; i <= RETENTION_WEEKS_CHECKED; i += 1) {
      const week = weekKey(horizon - i * WEEK_MS);
      const weekStart = Date.parse(`${week}T00:00:00Z`);
      if (weekStart + WEEK_MS > horizon || (await store.housekeeping.exists(`retention:${week}:done`))) continue;
      if (!(await store.housekeeping.claim(`retention:${week}:${now.toISOString().slice(0, 13)}`, now))) continue;
      deleted += await this.expireWeek(weekStart);
      await store.housekeeping.claim(`retention:${week}:done`, this.now());
    }
    if (deleted > 0) this.deps.logger.info('old calls deleted', { deleted, retentionDays: config.housekeeping.callRetentionDays });
    return deleted;
  }

  /** Deletes the calls that started in one week and every index page of that week (all by `_id`). */
  private async expireWeek(weekStart: number): Promise<number> {
    const { store } = this.deps;
    const indexKeys = new Set<string>();
    let deleted = 0;
    for (let day = weekStart; day < weekStart + WEEK_MS; day += DAY_MS) {
      const families = ['s:', 't:', ...OUTCOME_FAMILIES.map((outcome) => `o:${outcome}:`)];
      const hours = new Set<string>();
      for (const family of families) {
        const directory = INDEX_KEYS.hours(family, dayKey(day));
        for (const hour of await store.callIndex.read(directory)) hours.add(`${family}${hour}`);
        indexKeys.add(directory);
      }
      const calls = new Map<string, IndexEntry>();
      for (const key of hours) {
        indexKeys.add(key);
        if (!hourlyKey(key) || !(key.startsWith('s:') || key.startsWith('t:'))) continue;
        for (const entry of mergeEntries(await store.callIndex.read(key))) calls.set(entry.c, entry);
      }
      let batch = 0;
      for (const callSid of calls.keys()) {
        const end = await store.callSessions.findEnd(callSid);
        if (end) for (const [key] of endPostings(end)) indexKeys.add(key);
        await this.removeCall(callSid, end?.steps ?? 0);
        if (end?.idHash) await this.removeCardRecords(end.idHash, end.startedAt, end.endedAt);
        deleted += 1;
        if (++batch % RETENTION_BATCH === 0) await sleep(100);
      }
    }
    for (const key of indexKeys) await store.callIndex.remove(key);
    return deleted;
  }

  /** Deletes what a call left on its card: the codes sent during it, with their uses and entries, and that day's failure slots. */
  private async removeCardRecords(idHash: string, from: Date, to: Date): Promise<void> {
    const { store, config } = this.deps;
    await store.oneTimeCodes.removeSentBetween(idHash, from, to, { windowMinutes: config.otp.sendWindowMinutes, maxSends: config.otp.maxSends, maxWrong: CODE_MAX_ATTEMPTS });
    await store.cardGuards.removeDaySlots(idHash, from, to, config.lock.maxFailuresPerDay);
  }

  /** Deletes one call's documents everywhere they are kept (by `_id`). */
  private async removeCall(callSid: string, steps: number): Promise<void> {
    const { store } = this.deps;
    await store.callSessions.remove(callSid, steps);
    await Promise.all([
      store.callLogs.remove(callSid),
      store.passwordChanges.remove(callSid),
      store.callSecrets.forget(callSid),
      store.callbacks.removeClosed(callSid),
      store.turnClaims.removeForCall(callSid, Math.max(steps, 1)),
    ]);
  }
}
