import Transport from 'winston-transport';
import { eachLimited } from '../security/semaphore.ts';
import type { Logger } from './logger.ts';

/** One masked log line of a call, as stored. */
export interface CapturedLine {
  at: Date;
  level: string;
  message: string;
  fields: string;
}

/** Where lines that no turn took are stored (the call-log repository), and how to tell a real call from a forged CallSid. */
export interface LateLineSink {
  appendLate(callSid: string, lines: CapturedLine[]): Promise<void>;
  callExists(callSid: string): Promise<boolean>;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const OWN_KEYS = new Set(['level', 'message', 'timestamp', 'callSid']);

/** Lines kept per call between turns (a runaway loop cannot fill the memory). */
const MAX_LINES_PER_CALL = 200;

/** Calls with lines waiting at once. */
const MAX_CALLS = 20_000;

/**
 * Late batches stored at once: a flush of many calls (a read and an insert each) sent all at once took the whole
 * connection pool and held the callers' turns behind it for a fifth of a second.
 */
const FLUSH_CONCURRENCY = 2;

/**
 * A winston transport that keeps every line carrying a callSid (after masking) in memory until a turn of the call on
 * this instance takes them into its own document, or the call's end stores them (no write of their own), or, after
 * `lateAfterMs` with neither, stores them as a late batch — only for a call that exists, so a forged CallSid writes
 * nothing.
 */
export class CallLogCapture extends Transport {
  private readonly waiting = new Map<string, { lines: CapturedLine[]; since: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly sink: LateLineSink,
    private readonly lateAfterMs = 2_000,
  ) {
    super();
    this.timer = setInterval(() => void this.flushLate(), lateAfterMs);
    this.timer.unref();
  }

  override log(info: Record<string, unknown>, next: () => void): void {
    const callSid = info.callSid;
    if (typeof callSid === 'string' && callSid !== '') {
      const fields = Object.fromEntries(Object.entries(info).filter(([key]) => !OWN_KEYS.has(key)));
      const parsed = typeof info.timestamp === 'string' ? new Date(info.timestamp) : new Date();
      const line = { at: Number.isNaN(parsed.getTime()) ? new Date() : parsed, level: String(info.level).replace(ANSI, ''), message: String(info.message), fields: JSON.stringify(fields) };
      const entry = this.waiting.get(callSid) ?? { lines: [], since: Date.now() };
      if (entry.lines.length < MAX_LINES_PER_CALL) entry.lines.push(line);
      if (!this.waiting.has(callSid) && this.waiting.size >= MAX_CALLS) this.waiting.delete(this.waiting.keys().next().value as string);
      this.waiting.set(callSid, entry);
    }
    next();
  }

  /** Takes the lines of a call waiting so far (a turn stores them in its own document). */
  take(callSid: string): CapturedLine[] {
    const entry = this.waiting.get(callSid);
    this.waiting.delete(callSid);
    return entry?.lines ?? [];
  }

  /** Gives lines back (the turn that took them lost its claim); they are stored late unless another turn takes them. */
  giveBack(callSid: string, lines: CapturedLine[]): void {
    if (lines.length === 0) return;
    const entry = this.waiting.get(callSid) ?? { lines: [], since: Date.now() };
    entry.lines.unshift(...lines);
    this.waiting.set(callSid, entry);
  }

  /**
   * Stores every batch that has waited longer than `lateAfterMs` (all of them with `all`, after the flush under way);
   * best effort. One flush at a time: a timed one finding another under way leaves its batches for the next.
   */
  async flushLate(all = false): Promise<void> {
    if (this.flushing && !all) return;
    while (this.flushing) await this.flushing;
    const due = [...this.waiting].filter(([, entry]) => all || Date.now() - entry.since >= this.lateAfterMs);
    for (const [callSid] of due) this.waiting.delete(callSid);
    this.flushing = eachLimited(due, FLUSH_CONCURRENCY, async ([callSid, entry]) => {
      if (await this.sink.callExists(callSid).catch(() => false)) await this.sink.appendLate(callSid, entry.lines).catch(() => undefined);
    }).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  /** Stops the timer and stores what is left (after the flush under way). */
  override async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushLate(true);
  }
}

/** Adds the call-log capture to a logger once and returns it (the same one for the same logger). */
export function attachCallLog(logger: Logger, sink: LateLineSink, lateAfterMs?: number): CallLogCapture {
  const existing = logger.transports.find((transport): transport is CallLogCapture => transport instanceof CallLogCapture);
  if (existing) return existing;
  const capture = new CallLogCapture(sink, lateAfterMs);
  logger.add(capture);
  return capture;
}
