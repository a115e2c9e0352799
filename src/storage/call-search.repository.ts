import { BucketLog } from './bucket-log.ts';
import { dayKey, endEntry, FLAG_OUTCOMES, INDEX_KEYS, mergeEntries, weekKey, withCallFacts, type IndexEntry } from './call-index.ts';
import { CallRollupRepository, type Counts } from './call-rollup.repository.ts';
import { CallSessionRepository, type CallTurn } from './call-session.repository.ts';
import type { Models } from './models.ts';

/** What supervisors may search calls by; every field optional, all given ones must match. */
export interface CallSearchFilter {
  /** Calls that started at or after this moment. */
  from?: Date;
  /** Calls that started before this moment. */
  to?: Date;
  /** A stored outcome (`password-changed`, `abandoned`, …), `error` (the call met a technical problem) or `refused-locked` (an entry refused while the card was locked). */
  outcome?: string;
  /** The last 1 to 4 digits of the caller's number. */
  callerLast?: string;
  /** Keyed hashes of the caller's full number (with and without the country code). */
  callerHashes?: string[];
  /** The masked ID as shown (`1101**********002X`). */
  idMasked?: string;
  /** The keyed hash of a full ID number. */
  idHash?: string;
  language?: string;
  callSid?: string;
}

/** One call in a result list: masked fields only, never the snapshot, the answer or hashes. */
export interface CallSummary {
  callSid: string;
  startedAt: Date;
  endedAt: Date | null;
  status: string;
  state: string;
  endedIn: string | null;
  outcome: string | null;
  language: string;
  callerMasked: string;
  idMasked: string | null;
  durationSeconds: number | null;
  hadTrouble: boolean;
  carrier: string;
  /** How many turns the call had, once it has ended. */
  steps?: number;
  /** An entry of the call was refused, unchecked, because the card was locked (`locked`) or its day's failures used up (`daily-cap`), until when. */
  refused: { reason: 'locked' | 'daily-cap'; until: Date } | null;
}

/** One page of results and the cursor of the next one (null on the last page). */
export interface CallSearchPage {
  calls: CallSummary[];
  next: string | null;
}

/** One step of a call's timeline as supervisors may see it (no snapshot, no answer, no hashes). */
export type TimelineTurn = Pick<CallTurn, 'step' | 'at' | 'event' | 'input' | 'from' | 'to' | 'path' | 'prompts' | 'durationMs' | 'language' | 'outcome' | 'ended' | 'idMasked' | 'log'> & {
  notes: NonNullable<CallTurn['notes']>;
};

/** How far back a search without a start goes. */
export const SEARCH_DAYS = 90;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Day directories read at once when searching by time. */
const DAY_BATCH = 4;

/** Weeks read at once when searching by caller or ID. */
const WEEK_BATCH = 4;

/**
 * Hours read at once (newest first) when searching by time: one, then twice as many each round up to this, so a busy
 * hour (a thousand calls and more) is read alone when it fills the page, and a quiet history needs few round trips.
 */
const HOUR_BATCH_MAX = 8;

/** Encodes a keyset position (start time and CallSid of the last call shown). */
export function encodeCursor(call: Pick<CallSummary, 'startedAt' | 'callSid'>): string {
  return Buffer.from(`${call.startedAt.getTime()}|${call.callSid}`).toString('base64url');
}

/** Decodes a cursor; null when it is not one of ours. */
export function decodeCursor(cursor: string): { startedAt: Date; callSid: string } | null {
  const [ms, callSid] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const time = Number(ms);
  if (!callSid || !Number.isSafeInteger(time) || !/^[A-Za-z0-9]{1,64}$/.test(callSid)) return null;
  return { startedAt: new Date(time), callSid };
}

function summaryOf(entry: IndexEntry): CallSummary {
  return {
    callSid: entry.c,
    startedAt: new Date(entry.s),
    endedAt: entry.e === undefined ? null : new Date(entry.e),
    status: entry.e === undefined ? 'active' : 'ended',
    state: entry.n ?? '',
    endedIn: entry.n ?? null,
    outcome: entry.o ?? null,
    language: entry.g ?? '',
    callerMasked: entry.m,
    idMasked: entry.i ?? null,
    durationSeconds: entry.d ?? null,
    hadTrouble: entry.t === 1,
    carrier: entry.r ?? 'twilio',
    refused: entry.k && entry.u !== undefined ? { reason: entry.k, until: new Date(entry.u) } : null,
  };
}

/** Newest first, CallSid breaking ties. */
const newestFirst = (a: IndexEntry, b: IndexEntry) => b.s - a.s || (a.c < b.c ? 1 : a.c > b.c ? -1 : 0);

/** The weeks (their Mondays) from the one holding `to` back to the one holding `from`, newest first. */
function weeksBack(from: number, to: number): string[] {
  const weeks: string[] = [];
  for (let at = Date.parse(`${weekKey(to)}T00:00:00Z`); at + 7 * DAY_MS > from && weeks.length < 1000; at -= 7 * DAY_MS) weeks.push(weekKey(at));
  return weeks;
}

/**
 * Searches calls newest first with keyset pagination, through the call index (`_id`-keyed pages written as calls
 * start and end; see call-index.ts), and reads the hourly counters: no query here filters or sorts a collection.
 */
export class CallSearchRepository {
  private readonly index: BucketLog;
  private readonly rollups: CallRollupRepository;
  private readonly sessions: CallSessionRepository;

  constructor(models: Models) {
    this.index = new BucketLog(models);
    this.rollups = new CallRollupRepository(models);
    this.sessions = new CallSessionRepository(models);
  }

  private matches(entry: IndexEntry, filter: CallSearchFilter, from: number, to: number): boolean {
    if (entry.s < from || entry.s >= to) return false;
    const flag = filter.outcome && Object.hasOwn(FLAG_OUTCOMES, filter.outcome) ? FLAG_OUTCOMES[filter.outcome as keyof typeof FLAG_OUTCOMES] : null;
    if (flag ? !flag(entry) : filter.outcome && entry.o !== filter.outcome) return false;
    if (filter.callerLast && !entry.f.endsWith(filter.callerLast)) return false;
    if (filter.callerHashes && !filter.callerHashes.some((hash) => hash.startsWith(entry.h))) return false;
    if (filter.idHash && !(entry.x && filter.idHash.startsWith(entry.x))) return false;
    if (filter.idMasked && entry.i !== filter.idMasked) return false;
    if (filter.language && entry.g !== filter.language) return false;
    return true;
  }

  /** The index keys that hold every call matching the filter in a week (the most selective one the filter names), or null (search by time). */
  private weekKeys(filter: CallSearchFilter, week: string): string[] | null {
    if (filter.idHash) return [INDEX_KEYS.id(filter.idHash, week)];
    if (filter.callerHashes) return filter.callerHashes.map((hash) => INDEX_KEYS.caller(hash, week));
    if (filter.idMasked) return [INDEX_KEYS.idMasked(filter.idMasked, week)];
    if (filter.callerLast?.length === 4) return [INDEX_KEYS.last4(filter.callerLast, week)];
    return null;
  }

  /** The hourly key families that hold every call matching the filter (by outcome, or every ended and running call). */
  private families(filter: CallSearchFilter): string[] {
    return filter.outcome ? [`o:${filter.outcome}:`] : ['t:', 's:'];
  }

  /** The hours (newest first) of a day that have entries under some hourly families, within the range, as their keys. */
  private async hoursOf(families: string[], day: number, from: number, to: number): Promise<Array<{ start: number; keys: string[] }>> {
    const byHour = new Map<number, string[]>();
    const listed = await Promise.all(families.map(async (family) => [family, await this.index.read(INDEX_KEYS.hours(family, dayKey(day)))] as const));
    for (const [family, hours] of listed) {
      for (const hour of new Set(hours)) {
        const start = Date.parse(`${hour}:00:00Z`);
        if (start + HOUR_MS <= from || start >= to) continue;
        byHour.set(start, [...(byHour.get(start) ?? []), `${family}${hour}`]);
      }
    }
    return [...byHour].sort((a, b) => b[0] - a[0]).map(([start, keys]) => ({ start, keys }));
  }

  private async entriesOf(keys: string[]): Promise<IndexEntry[]> {
    const lines = await Promise.all(keys.map((key) => this.index.read(key)));
    return mergeEntries(lines.flat());
  }

  /** One page of calls matching the filter, newest first, after the cursor's position (`now` bounds an open range). */
  async search(filter: CallSearchFilter, options: { limit: number; after?: string | null; now: Date }): Promise<CallSearchPage> {
    const after = options.after ? decodeCursor(options.after) : null;
    const to = Math.min(filter.to?.getTime() ?? options.now.getTime() + HOUR_MS, after ? after.startedAt.getTime() + 1 : Infinity);
    const from = filter.from?.getTime() ?? to - SEARCH_DAYS * 24 * HOUR_MS;
    const beyondCursor = (entry: IndexEntry) => !after || entry.s < after.startedAt.getTime() || (entry.s === after.startedAt.getTime() && entry.c < after.callSid);
    const wanted = options.limit + 1;
    const found: IndexEntry[] = [];
    const keep = (entries: IndexEntry[]) => {
      for (const entry of entries) if (this.matches(entry, filter, from, to) && beyondCursor(entry)) found.push(entry);
    };

    if (filter.callSid) {
      const entry = await this.entryOf(filter.callSid);
      if (entry) keep([entry]);
    } else if (this.weekKeys(filter, '') !== null) {
      const weeks = weeksBack(from, to - 1);
      for (let i = 0; i < weeks.length; i += WEEK_BATCH) {
        const batch = weeks.slice(i, i + WEEK_BATCH);
        (await Promise.all(batch.map((week) => this.entriesOf(this.weekKeys(filter, week)!)))).forEach(keep);
        if (found.filter((entry) => entry.s >= Date.parse(`${batch[batch.length - 1]}T00:00:00Z`)).length >= wanted) break;
      }
    } else {
      const families = this.families(filter);
      const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
      search: for (let day = Math.floor((to - 1) / DAY_MS) * DAY_MS; day >= firstDay; day -= DAY_BATCH * DAY_MS) {
        const days = Array.from({ length: DAY_BATCH }, (_, i) => day - i * DAY_MS).filter((d) => d >= firstDay);
        const hours = (await Promise.all(days.map((d) => this.hoursOf(families, d, from, to)))).flat();
        for (let i = 0, size = 1; i < hours.length; i += size, size = Math.min(size * 2, HOUR_BATCH_MAX)) {
          const batch = hours.slice(i, i + size);
          keep(await this.entriesOf(batch.flatMap((hour) => hour.keys)));
          if (found.filter((entry) => entry.s >= batch[batch.length - 1].start).length >= wanted) break search;
        }
      }
    }
    const page = found.sort(newestFirst).slice(0, wanted);
    const calls = await Promise.all(page.slice(0, options.limit).map((entry) => this.withLiveState(summaryOf(entry))));
    const next = page.length > options.limit ? encodeCursor(calls[calls.length - 1]) : null;
    return { calls, next };
  }

  /** A running call's row shows the state it is in now (read from its newest turn). */
  private async withLiveState(call: CallSummary): Promise<CallSummary> {
    if (call.status !== 'active') return call;
    const live = await this.summary(call.callSid);
    return live ?? call;
  }

  /** A call as an index entry, read from its turns and end record (the search by CallSid). */
  private async entryOf(callSid: string): Promise<IndexEntry | null> {
    const session = await this.sessions.find(callSid);
    if (!session) return null;
    const entry: IndexEntry = { c: callSid, s: session.startedAt.getTime(), m: session.callerMasked, h: session.callerHash.slice(0, 16), f: session.callerLast4, g: session.language, r: session.carrier };
    if (session.status === 'ended') {
      entry.e = (session.endedAt ?? session.startedAt).getTime();
      entry.o = session.outcome ?? 'abandoned';
      entry.n = session.endedIn ?? session.state;
    }
    return withCallFacts(entry, session);
  }

  /** One call's summary (its end record, or its newest turn while it runs), or null. */
  async summary(callSid: string): Promise<CallSummary | null> {
    const end = await this.sessions.findEnd(callSid);
    if (end) return { ...summaryOf(endEntry(end)), state: end.endedIn, steps: end.steps } as CallSummary;
    const session = await this.sessions.find(callSid, { end: null });
    if (!session) return null;
    return {
      callSid,
      startedAt: session.startedAt,
      endedAt: session.endedAt,
      status: session.status,
      state: session.state,
      endedIn: session.endedIn,
      outcome: session.outcome,
      language: session.language,
      callerMasked: session.callerMasked,
      idMasked: session.idMasked,
      durationSeconds: session.durationSeconds,
      hadTrouble: session.hadTrouble,
      carrier: session.carrier,
      refused: session.refused ? { reason: session.refused.reason, until: session.refused.until } : null,
    };
  }

  /** The turns of a call in order, without snapshot, answer or hashes (read by `CallSid:step`, never a scan; `count` when known). */
  async turns(callSid: string, count?: number): Promise<TimelineTurn[]> {
    const turns = await this.sessions.turns(callSid, count);
    return turns.map((t) => ({
      step: t.step,
      at: t.at,
      event: t.event,
      input: t.input ?? null,
      from: t.from,
      to: t.to,
      path: t.path,
      prompts: t.prompts,
      durationMs: t.durationMs,
      language: t.language,
      outcome: t.outcome,
      ended: t.ended,
      idMasked: t.idMasked,
      log: t.log ?? [],
      notes: t.notes ?? [],
    }));
  }

  /**
   * The cards that called under a masked ID (`1101**********002X`) in the last SEARCH_DAYS, newest call first: the
   * week keys of the masked ID give the calls, their short ID hashes tell the cards apart, and each card's full ID
   * hash is read from the end record of its newest call. Every read is by `_id`; a card that never called is not found.
   */
  async cardsByMaskedId(idMasked: string, now: Date): Promise<Array<{ idHash: string; idMasked: string; lastCall: CallSummary; calls: number }>> {
    const to = now.getTime() + HOUR_MS;
    const entries: IndexEntry[] = [];
    const weeks = weeksBack(to - SEARCH_DAYS * DAY_MS, to - 1);
    for (let i = 0; i < weeks.length; i += WEEK_BATCH) entries.push(...(await this.entriesOf(weeks.slice(i, i + WEEK_BATCH).map((week) => INDEX_KEYS.idMasked(idMasked, week)))));
    const byCard = new Map<string, IndexEntry[]>();
    for (const entry of entries) {
      if (!entry.x || entry.i !== idMasked) continue;
      byCard.set(entry.x, [...(byCard.get(entry.x) ?? []), entry]);
    }
    const cards = await Promise.all(
      [...byCard.values()].map(async (calls) => {
        const newest = calls.sort(newestFirst)[0];
        const end = await this.sessions.findEnd(newest.c);
        return end?.idHash ? { idHash: end.idHash, idMasked, lastCall: summaryOf(newest), calls: calls.length } : null;
      }),
    );
    return cards.filter((card) => card !== null).sort((a, b) => b.lastCall.startedAt.getTime() - a.lastCall.startedAt.getTime());
  }

  /** The ID hash and masked ID of the card a call was about (its end record, or its newest turn while it runs); null when it named none. */
  async cardOfCall(callSid: string): Promise<{ idHash: string; idMasked: string | null } | null> {
    const end = await this.sessions.findEnd(callSid);
    if (end) return end.idHash ? { idHash: end.idHash, idMasked: end.idMasked } : null;
    const latest = await this.sessions.latestTurn(callSid);
    return latest?.idHash ? { idHash: latest.idHash, idMasked: latest.idMasked } : null;
  }

  /** The counters (added up over instances) of the calls that started from `from` to `to`. */
  async counts(from: Date, to: Date): Promise<Counts> {
    return this.rollups.total(from, to);
  }

  /** The same counters hour by hour (hours with no calls absent). */
  async hourlyCounts(from: Date, to: Date): Promise<Map<number, Counts>> {
    return this.rollups.hourly(from, to);
  }
}
