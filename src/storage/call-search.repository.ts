import type { CallSessionDoc, CallTurnDoc, Models } from './models.ts';

/** What supervisors may search calls by; every field optional, all given ones must match. */
export interface CallSearchFilter {
  /** Calls that started at or after this moment. */
  from?: Date;
  /** Calls that started before this moment. */
  to?: Date;
  /** A stored outcome (`password-changed`, `abandoned`, …) or `error` (the call met a technical problem). */
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

/** One call in a result list: masked fields only, never the snapshot, TwiML or hashes. */
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
}

/** One page of results and the cursor of the next one (null on the last page). */
export interface CallSearchPage {
  calls: CallSummary[];
  next: string | null;
}

/** One step of a call's timeline as supervisors may see it (no snapshot, no TwiML, no hashes). */
export type TimelineTurn = Pick<CallTurnDoc, 'step' | 'at' | 'event' | 'input' | 'from' | 'to' | 'path' | 'prompts' | 'durationMs' | 'language' | 'outcome' | 'ended' | 'idMasked'>;

/** Counts behind the flow view for calls that started in a range. */
export interface FlowCounts {
  calls: number;
  /** Calls that passed each state. */
  states: Record<string, number>;
  /** Calls that took each transition, keyed `from>to`. */
  moves: Record<string, number>;
  /** Calls by the state they ended in (where the caller hung up, or the final state reached) and outcome. */
  endings: Array<{ state: string; outcome: string | null; calls: number }>;
}

/** The password journey: how many calls got how far. */
export interface FunnelCounts {
  called: number;
  identified: number;
  verified: number;
  passwordSet: number;
}

const SUMMARY_FIELDS = {
  _id: 1,
  startedAt: 1,
  endedAt: 1,
  status: 1,
  state: 1,
  endedIn: 1,
  outcome: 1,
  language: 1,
  callerMasked: 1,
  idMasked: 1,
  durationSeconds: 1,
  hadTrouble: 1,
} as const;

const TURN_FIELDS = { _id: 0, step: 1, at: 1, event: 1, input: 1, from: 1, to: 1, path: 1, prompts: 1, durationMs: 1, language: 1, outcome: 1, ended: 1, idMasked: 1 } as const;

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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function rangeQuery(from?: Date, to?: Date): Record<string, unknown> {
  const startedAt: Record<string, Date> = {};
  if (from) startedAt.$gte = from;
  if (to) startedAt.$lt = to;
  return Object.keys(startedAt).length > 0 ? { startedAt } : {};
}

function toSummary(doc: Partial<CallSessionDoc> & { _id: string }): CallSummary {
  return {
    callSid: doc._id,
    startedAt: doc.startedAt as Date,
    endedAt: doc.endedAt ?? null,
    status: doc.status ?? 'active',
    state: doc.state ?? '',
    endedIn: doc.endedIn ?? null,
    outcome: doc.outcome ?? null,
    language: doc.language ?? '',
    callerMasked: doc.callerMasked ?? '',
    idMasked: doc.idMasked ?? null,
    durationSeconds: doc.durationSeconds ?? null,
    hadTrouble: doc.hadTrouble === true,
  };
}

/** Searches calls newest first with keyset pagination, and counts them for the flow view and funnel. */
export class CallSearchRepository {
  constructor(private readonly models: Models) {}

  /** The query a filter stands for (exposed for the benchmark's explain output). */
  query(filter: CallSearchFilter): Record<string, unknown> {
    const query: Record<string, unknown> = rangeQuery(filter.from, filter.to);
    if (filter.callSid) query._id = filter.callSid;
    if (filter.outcome === 'error') query.hadTrouble = true;
    else if (filter.outcome) query.outcome = filter.outcome;
    if (filter.callerHashes) query.callerHash = filter.callerHashes.length === 1 ? filter.callerHashes[0] : { $in: filter.callerHashes };
    if (filter.callerLast) query.callerLast4 = filter.callerLast.length >= 4 ? filter.callerLast.slice(-4) : { $regex: `${escapeRegex(filter.callerLast)}$` };
    if (filter.idHash) query.idHash = filter.idHash;
    if (filter.idMasked) query.idMasked = filter.idMasked;
    if (filter.language) query.language = filter.language;
    return query;
  }

  /** One page of calls matching the filter, newest first, after the cursor's position. */
  async search(filter: CallSearchFilter, options: { limit: number; after?: string | null }): Promise<CallSearchPage> {
    const query = this.query(filter);
    const after = options.after ? decodeCursor(options.after) : null;
    if (after) {
      const keyset = { $or: [{ startedAt: { $lt: after.startedAt } }, { startedAt: after.startedAt, _id: { $lt: after.callSid } }] };
      Object.assign(query, '$or' in query ? { $and: [keyset] } : keyset);
    }
    const docs = await this.models.CallSession.find(query, SUMMARY_FIELDS)
      .sort({ startedAt: -1, _id: -1 })
      .limit(options.limit + 1)
      .lean<Array<Partial<CallSessionDoc> & { _id: string }>>();
    const calls = docs.slice(0, options.limit).map(toSummary);
    const next = docs.length > options.limit ? encodeCursor(calls[calls.length - 1]) : null;
    return { calls, next };
  }

  /** One call's summary, or null. */
  async summary(callSid: string): Promise<CallSummary | null> {
    const doc = await this.models.CallSession.findById(callSid, SUMMARY_FIELDS).lean<Partial<CallSessionDoc> & { _id: string }>();
    return doc ? toSummary(doc) : null;
  }

  /**
   * The turns of a call in order, without snapshot, TwiML or hashes. Read by primary key (`CallSid:step` for each step
   * up to the session's), because FerretDB 1.x's SQLite backend pushes down only `_id` equality and would otherwise
   * scan every turn of every call.
   */
  async turns(callSid: string): Promise<TimelineTurn[]> {
    const session = await this.models.CallSession.findById(callSid, { step: 1 }).lean<{ step?: number }>();
    const steps = Math.min(session?.step ?? 0, 500);
    const found = await Promise.all(Array.from({ length: steps + 1 }, (_, step) => this.models.CallTurn.findById(`${callSid}:${step}`, TURN_FIELDS).lean<TimelineTurn>()));
    return found.filter((turn): turn is TimelineTurn => turn !== null).sort((a, b) => a.step - b.step);
  }

  /** Calls that started in the range: how many passed each state and transition, and where they ended. */
  async flowCounts(from: Date, to: Date): Promise<FlowCounts> {
    const match = { $match: rangeQuery(from, to) };
    const count = async (field: 'visited' | 'moves') => {
      const rows = await this.models.CallSession.aggregate<{ _id: string; n: number }>([match, { $unwind: `$${field}` }, { $group: { _id: `$${field}`, n: { $sum: 1 } } }]);
      return Object.fromEntries(rows.map((row) => [row._id, row.n]));
    };
    const [calls, states, moves, endingRows] = await Promise.all([
      this.models.CallSession.countDocuments(rangeQuery(from, to)),
      count('visited'),
      count('moves'),
      this.models.CallSession.aggregate<{ _id: { endedIn?: string | null; state?: string; outcome?: string | null; status?: string }; n: number }>([
        match,
        { $group: { _id: { endedIn: '$endedIn', state: '$state', outcome: '$outcome', status: '$status' }, n: { $sum: 1 } } },
      ]),
    ]);
    const endings = new Map<string, { state: string; outcome: string | null; calls: number }>();
    for (const row of endingRows) {
      const ended = row._id.status === 'ended';
      const state = ended ? (row._id.endedIn ?? row._id.state ?? '?') : (row._id.state ?? '?');
      const outcome = ended ? (row._id.outcome ?? null) : 'in-progress';
      const key = `${state}|${outcome}`;
      const entry = endings.get(key) ?? { state, outcome, calls: 0 };
      entry.calls += row.n;
      endings.set(key, entry);
    }
    return { calls, states, moves, endings: [...endings.values()].sort((a, b) => b.calls - a.calls) };
  }

  /** The password journey for calls that started in the range. */
  async funnel(from: Date, to: Date): Promise<FunnelCounts> {
    const range = rangeQuery(from, to);
    const [called, identified, verified, passwordSet] = await Promise.all([
      this.models.CallSession.countDocuments(range),
      this.models.CallSession.countDocuments({ ...range, idHash: { $type: 'string' } }),
      this.models.CallSession.countDocuments({ ...range, visited: 'enterNewPin' }),
      this.models.CallSession.countDocuments({ ...range, outcome: 'password-changed' }),
    ]);
    return { called, identified, verified, passwordSet };
  }
}
