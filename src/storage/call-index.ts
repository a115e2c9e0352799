import type { CallEndDoc, CallIdentityDoc } from './models.ts';

/** One call as the search index keeps it: a compact line, masked fields and short look-up hashes only. */
export interface IndexEntry {
  /** CallSid. */
  c: string;
  /** Start, ms since the epoch. */
  s: number;
  /** End, ms (absent while the call runs). */
  e?: number;
  /** Outcome. */
  o?: string;
  /** 1 when the call met a technical problem. */
  t?: 1;
  /** The state the call ended in. */
  n?: string;
  /** Language. */
  g?: string;
  /** Caller, masked. */
  m: string;
  /** The first 16 hex digits of the caller's keyed hash (to combine filters). */
  h: string;
  /** The caller's last four digits. */
  f: string;
  /** The first 16 hex digits of the ID's keyed hash. */
  x?: string;
  /** ID, masked. */
  i?: string;
  /** Duration in seconds. */
  d?: number;
  /** Carrier. */
  r?: string;
  /** An entry was refused because the card was locked (`locked`) or its day's failures used up (`daily-cap`). */
  k?: 'locked' | 'daily-cap';
  /** Until when that lock or pause ran, ms. */
  u?: number;
}

/** The console's outcome filter values that are flags on a call rather than its stored outcome, each indexed under `o:<flag>:<hour>`. */
export const FLAG_OUTCOMES = {
  /** The call met a technical problem. */
  error: (entry: IndexEntry) => entry.t === 1,
  /** An entry of the call was refused, unchecked, because the card was locked (or its day's failures used up). */
  'refused-locked': (entry: IndexEntry) => entry.k !== undefined,
} as const;

/** The hour bucket of a moment, as written in keys (`2026-03-01T08`). */
export function hourKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** The day bucket of a moment (`2026-03-01`, UTC). */
export function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

/** The week bucket of a moment: the date of its week's Monday (`2026-02-23`, UTC). */
export function weekKey(ms: number): string {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
  return dayKey(day - sinceMonday * DAY_MS);
}

/** The index keys: calls started in an hour (running, ended), by outcome and hour, by caller, last four digits and ID per week. */
export const INDEX_KEYS = {
  started: (hour: string) => `s:${hour}`,
  ended: (hour: string) => `t:${hour}`,
  outcome: (outcome: string, hour: string) => `o:${outcome}:${hour}`,
  caller: (callerHash: string, week: string) => `c:${callerHash}:${week}`,
  last4: (last4: string, week: string) => `l:${last4}:${week}`,
  id: (idHash: string, week: string) => `i:${idHash}:${week}`,
  idMasked: (idMasked: string, week: string) => `m:${idMasked}:${week}`,
  /** The hours of a day that have entries under an hourly key family (`s:`, `t:`, `o:locked:`): read before the hours. */
  hours: (family: string, day: string) => `h:${family}${day}`,
} as const;

/** For a key bucketed by hour (`t:2026-03-01T08`), its family (`t:`) and hour; null for other keys. */
export function hourlyKey(key: string): { family: string; hour: string } | null {
  const match = /^([sto]:(?:[a-z-]+:)?)(\d{4}-\d{2}-\d{2}T\d{2})$/.exec(key);
  return match ? { family: match[1], hour: match[2] } : null;
}

/** The entry of a call that has just started (no outcome yet). */
export function startEntry(callSid: string, call: CallIdentityDoc): IndexEntry {
  return { c: callSid, s: call.startedAt.getTime(), m: call.callerMasked, h: call.callerHash.slice(0, 16), f: call.callerLast4, r: call.carrier };
}

/** The entry of a call that has ended. */
export function endEntry(end: CallEndDoc): IndexEntry {
  const entry: IndexEntry = {
    c: end._id,
    s: end.startedAt.getTime(),
    e: end.endedAt.getTime(),
    o: end.outcome,
    n: end.endedIn,
    g: end.language,
    m: end.callerMasked,
    h: end.callerHash.slice(0, 16),
    f: end.callerLast4,
    r: end.carrier,
  };
  return withCallFacts(entry, end);
}

/** Adds to a call's entry what only some calls have: a technical problem, a card, a duration, an entry refused while locked. */
export function withCallFacts(entry: IndexEntry, call: Pick<CallEndDoc, 'hadTrouble' | 'idHash' | 'idMasked' | 'durationSeconds' | 'refused'>): IndexEntry {
  if (call.hadTrouble) entry.t = 1;
  if (call.idHash) entry.x = call.idHash.slice(0, 16);
  if (call.idMasked) entry.i = call.idMasked;
  if (call.durationSeconds !== null) entry.d = call.durationSeconds;
  if (call.refused) {
    entry.k = call.refused.reason;
    entry.u = call.refused.until.getTime();
  }
  return entry;
}

/** Where a started call is indexed: every key with its entry line. */
export function startPostings(callSid: string, call: CallIdentityDoc): Array<[string, string]> {
  const line = JSON.stringify(startEntry(callSid, call));
  const at = call.startedAt.getTime();
  return [
    [INDEX_KEYS.started(hourKey(at)), line],
    [INDEX_KEYS.caller(call.callerHash, weekKey(at)), line],
    [INDEX_KEYS.last4(call.callerLast4, weekKey(at)), line],
  ];
}

/** Where an ended call is indexed: every key with its entry line (all keyed by the call's start). */
export function endPostings(end: CallEndDoc): Array<[string, string]> {
  const line = JSON.stringify(endEntry(end));
  const at = end.startedAt.getTime();
  const hour = hourKey(at);
  const week = weekKey(at);
  const keys = [INDEX_KEYS.ended(hour), INDEX_KEYS.outcome(end.outcome, hour), INDEX_KEYS.caller(end.callerHash, week), INDEX_KEYS.last4(end.callerLast4, week)];
  if (end.hadTrouble) keys.push(INDEX_KEYS.outcome('error', hour));
  if (end.refused) keys.push(INDEX_KEYS.outcome('refused-locked', hour));
  if (end.idHash) keys.push(INDEX_KEYS.id(end.idHash, week));
  if (end.idMasked) keys.push(INDEX_KEYS.idMasked(end.idMasked, week));
  return keys.map((key) => [key, line]);
}

/** Parses entry lines, keeping one entry per call: the ended one over the running one. */
export function mergeEntries(lines: string[]): IndexEntry[] {
  const byCall = new Map<string, IndexEntry>();
  for (const line of lines) {
    let entry: IndexEntry;
    try {
      entry = JSON.parse(line) as IndexEntry;
    } catch {
      continue;
    }
    const known = byCall.get(entry.c);
    if (!known || (known.e === undefined && entry.e !== undefined)) byCall.set(entry.c, entry);
  }
  return [...byCall.values()];
}
