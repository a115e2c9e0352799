import type { Logger } from '../logging/logger.ts';
import { eachLimited } from '../security/semaphore.ts';
import { endPostings, hourlyKey, INDEX_KEYS, startPostings } from '../storage/call-index.ts';
import { periodsOf, type Counts } from '../storage/call-rollup.repository.ts';
import type { CallEnd, CallTurn } from '../storage/call-session.repository.ts';
import type { CallIdentityDoc } from '../storage/models.ts';
import type { Store } from '../storage/store.ts';
import { addCounts, endCounts, startCounts } from './call-stats.ts';

/** How often started calls are written to the index and counters, when nothing asks sooner. */
export const RECORDER_FLUSH_MS = 500;

/** A period's counters are kept in memory this long after they last changed. */
const KEEP_PERIOD_MS = 26 * 3_600_000;

/** Hourly index keys remembered as listed in their day's directory (then listed again: harmless). */
const LISTED_HOURS = 50_000;

/** Index keys and counter hours written at once. */
const WRITE_CONCURRENCY = 8;

/**
 * Keeps the console's numbers as calls happen, off the callers' path: a call's start and end are added to this
 * instance's hourly counters and appended to the call index in memory, and written in batches (coalesced: one
 * write per key and hour however many calls changed it). A start waits for the next timed flush; an end (the
 * status callback, which nobody waits on) asks for a flush and waits for it, so a finished call is searchable once
 * its status callback is answered. If an instance dies, at most its last unflushed starts are missing from the
 * counters; ends are written before their callback is answered.
 */
export class CallRecorder {
  private pending = new Map<string, string[]>();
  private readonly periods = new Map<string, { counts: Counts; touched: number }>();
  private dirty = new Set<string>();
  private readonly listed = new Set<string>();
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: { store: Store; logger: Logger; flushMs?: number },
  ) {
    this.timer = setInterval(() => void this.flush(), deps.flushMs ?? RECORDER_FLUSH_MS);
    this.timer.unref();
  }

  /** Adds counts to the hour and the day a call started in. */
  private add(startedAt: Date, counts: Counts): void {
    const { hour, day } = periodsOf(startedAt);
    for (const period of [hour, day]) {
      const held = this.periods.get(period) ?? { counts: {}, touched: 0 };
      addCounts(held.counts, counts);
      held.touched = Date.now();
      this.periods.set(period, held);
      this.dirty.add(period);
    }
  }

  private queue(key: string, line: string): void {
    const lines = this.pending.get(key) ?? [];
    lines.push(line);
    this.pending.set(key, lines);
  }

  /** Queues index entries; an hourly key's hour is also listed in its day's directory (once per instance). */
  private post(postings: Array<[string, string]>): void {
    for (const [key, line] of postings) {
      this.queue(key, line);
      const hourly = hourlyKey(key);
      if (hourly && !this.listed.has(key)) {
        if (this.listed.size >= LISTED_HOURS) this.listed.clear();
        this.listed.add(key);
        this.queue(INDEX_KEYS.hours(hourly.family, hourly.hour.slice(0, 10)), hourly.hour);
      }
    }
  }

  /** A call has started (its first turn is claimed): counted, and listed among the running calls. */
  callStarted(callSid: string, call: CallIdentityDoc): void {
    this.add(call.startedAt, startCounts());
    this.post(startPostings(callSid, call));
  }

  /** A call has ended (its end record is claimed): counted in the hour it started, indexed; resolves once written. */
  async callEnded(end: CallEnd, turns: CallTurn[]): Promise<void> {
    this.add(end.startedAt, endCounts(end, turns));
    this.post(endPostings(end));
    await this.flush();
  }

  /** Writes everything recorded so far: the next write starts once the one under way ends, and takes all that came before it. */
  flush(): Promise<void> {
    if (this.next) return this.next;
    const after = this.running ?? Promise.resolve();
    this.next = after.then(async () => {
      this.next = null;
      if (this.pending.size === 0 && this.dirty.size === 0) return;
      this.running = this.write().finally(() => {
        this.running = null;
      });
      await this.running;
    });
    return this.next;
  }

  private async write(): Promise<void> {
    const pending = this.pending;
    const dirty = [...this.dirty];
    this.pending = new Map();
    this.dirty = new Set();
    const { store, logger } = this.deps;
    await store.callIndex.appendAll([...pending], WRITE_CONCURRENCY).catch((error: unknown) => {
      for (const [key, lines] of pending) this.pending.set(key, [...lines, ...(this.pending.get(key) ?? [])]);
      logger.warn('call index not written; will retry', { keys: pending.size, error });
    });
    await eachLimited(dirty, WRITE_CONCURRENCY, async (period) => {
      const held = this.periods.get(period);
      if (!held) return;
      await store.callRollups.write(period, { ...held.counts }).catch((error: unknown) => {
        this.dirty.add(period);
        logger.warn('call counters not written; will retry', { period, error });
      });
    });
    for (const [period, held] of this.periods) {
      if (!this.dirty.has(period) && Date.now() - held.touched > KEEP_PERIOD_MS) {
        this.periods.delete(period);
        store.callRollups.forget(period);
      }
    }
  }

  /** Stops the timer and writes what is left (the server's drain). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
