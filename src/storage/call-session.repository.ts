import { sequenceLength } from './dense-sequence.ts';
import { insertOnce } from './insert-once.ts';
import type { CallEndDoc, CallFactDoc, CallIdentityDoc, CallRefusalDoc, CallTurnDoc, Models, TurnViewDoc } from './models.ts';

/** One turn of a call as stored: the timeline entry plus the state it left the call in. */
export type CallTurn = CallTurnDoc;

/** How a call ended (its digest for search and rollups). */
export type CallEnd = CallEndDoc;

/** A fact recorded about a call outside its turns. */
export type CallFact = CallFactDoc;

/** A call as the services, QA and tests see it: composed from its newest turn, its end record and its facts. */
export interface CallSession extends CallIdentityDoc {
  _id: string;
  /** The step the next gather answer will carry (the newest turn's step + 1). */
  step: number;
  state: string;
  status: 'active' | 'ended';
  outcome: string | null;
  language: string;
  idHash: string | null;
  idMasked: string | null;
  endedAt: Date | null;
  endedIn: string | null;
  hadTrouble: boolean;
  carrierStatus: string | null;
  durationSeconds: number | null;
  dialCallStatus: string | null;
  /** The last entry refused because the card was locked (known once the call's end is recorded). */
  refused: CallRefusalDoc | null;
  /** How the newest turn answered (what a resumed call hears again). */
  view: TurnViewDoc;
}

/** The id of a call's turn document. */
export const turnId = (callSid: string, step: number) => `${callSid}:${step}`;

/** Turns read at once when a whole call is read (a call has a few dozen turns). */
const TURN_BATCH = 16;

/** No call has more turns than this (a loop guard for reads). */
export const MAX_TURNS = 2000;

/** Calls whose newest turn an instance remembers as a hint (the least recently read is forgotten first). */
const NEWEST_TURNS_KEPT = 2_000;

/** Turns read forward, one by one, from a remembered newest turn before searching by doubling instead. */
const FORWARD_READS = 3;

/**
 * What a restore leaves out: the timeline part of a packed turn, and the same fields of a turn stored before turns
 * were packed (both forms are read, so a `.data/` folder from an earlier version keeps working).
 */
const RESTORE_FIELDS = { t: 0, log: 0, path: 0, prompts: 0, notes: 0 } as const;

/**
 * A turn as stored: its `_id` and the rest as two JSON strings, `v` (what the next turn restores from: snapshot,
 * answer, identity, outcome) and `t` (what only the timeline shows: log lines, path, prompts, notes). The embedded
 * FerretDB converts every field of every document it stores and returns (in and out of its SQLite JSON, in Go), so
 * two strings cost it about what a bare `{_id, state}` does, where the same turn as ~20 fields and nested documents
 * cost it a third more per command; the driver's BSON does the same for one string as for a word.
 */
type PackedTurn = { _id: string; v: string; t?: string };

/** A turn as stored before turns were packed: top-level fields, with the snapshot, answer, log and notes as JSON text. */
type LegacyTurn = Omit<CallTurn, 'snapshot' | 'view' | 'log' | 'notes'> & { snapshot: string; view: string; log?: string; notes?: string };

type Revived<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
type StoredLogLine = Revived<CallTurn['log'][number]>;
type StoredNote = Revived<NonNullable<CallTurn['notes']>[number]>;

/** The timeline part of a packed turn (`t`), as written and as parsed back (dates as ISO text). */
type StoredTimeline = { log: StoredLogLine[]; path: string[]; prompts: string[]; notes?: StoredNote[] };

/** A turn in its stored form (see `PackedTurn`). */
export function storedTurn(turn: CallTurn): PackedTurn {
  const { _id, log, path, prompts, notes, ...rest } = turn;
  const timeline: Pick<CallTurn, keyof StoredTimeline> = { log, path, prompts, ...(notes && notes.length > 0 ? { notes } : {}) };
  return { _id, v: JSON.stringify(rest), t: JSON.stringify(timeline) };
}

const logFrom = (lines: StoredLogLine[]): CallTurn['log'] => lines.map((line) => ({ ...line, at: new Date(line.at) }));
const notesFrom = (notes: StoredNote[]): NonNullable<CallTurn['notes']> => notes.map((note) => ({ ...note, until: note.until === null ? null : new Date(note.until) }));

/** A stored turn (packed, or in the form before packing) as the services see it; without its timeline part when it was read lean. */
export function turnFromStored(doc: PackedTurn | LegacyTurn | null): CallTurn | null {
  if (!doc) return null;
  if (typeof (doc as PackedTurn).v === 'string') {
    const packed = doc as PackedTurn;
    const rest = JSON.parse(packed.v) as Omit<CallTurn, '_id' | 'at' | 'call' | keyof StoredTimeline> & { at: string; call: Revived<CallTurn['call']> };
    const turn = { _id: packed._id, ...rest, at: new Date(rest.at), call: { ...rest.call, startedAt: new Date(rest.call.startedAt) } };
    if (!packed.t) return { ...turn, log: [] } as unknown as CallTurn;
    const timeline = JSON.parse(packed.t) as StoredTimeline;
    return { ...turn, log: logFrom(timeline.log), path: timeline.path, prompts: timeline.prompts, ...(timeline.notes ? { notes: notesFrom(timeline.notes) } : {}) };
  }
  const { notes: storedNotes, log: storedLog, ...rest } = doc as LegacyTurn;
  const log = storedLog ? logFrom(JSON.parse(storedLog) as StoredLogLine[]) : [];
  const notes = storedNotes ? notesFrom(JSON.parse(storedNotes) as StoredNote[]) : undefined;
  return { ...rest, snapshot: JSON.parse(rest.snapshot) as CallTurn['snapshot'], view: JSON.parse(rest.view) as CallTurn['view'], log, ...(notes ? { notes } : {}) };
}

/** Whether the outcome of a call's last turn, its facts and its password change say it met a technical problem. */
export function troubleIn(turns: Array<Pick<CallTurn, 'path'>>): boolean {
  return turns.some((turn) => turn.path?.includes('trouble'));
}

/** The last entry of a call refused because the card was locked or its day's failures used up (from its turns' notes), or null. */
export function refusalIn(turns: Array<Pick<CallTurn, 'notes'>>): CallRefusalDoc | null {
  let refusal: CallRefusalDoc | null = null;
  for (const turn of turns) {
    for (const note of turn.notes ?? []) {
      if (note.kind === 'verification-refused' && (note.reason === 'locked' || note.reason === 'daily-cap') && note.until) refusal = { factor: note.factor, reason: note.reason, until: note.until };
    }
  }
  return refusal;
}

/** The outcome a call has so far: the recovery path and an unanswered agent line override what the flow said; null while it runs. */
export function outcomeOf(latest: Pick<CallTurn, 'ended' | 'outcome'>, facts: { dial?: CallFact | null; recovery?: CallFact | null }): string | null {
  if (facts.recovery) return facts.recovery.value;
  if (latest.ended && latest.outcome === 'transferred' && facts.dial) return 'agent-unavailable';
  return latest.ended ? latest.outcome : null;
}

/**
 * A call's turns, end record and facts, every one read and written by `_id` only: a turn is claimed by inserting
 * `CallSid:step` (the loser of a race reads the winner's), the end of a call by inserting its end record.
 */
export class CallSessionRepository {
  /**
   * The newest turn this instance read of each recently read call: a hint only (a call's turns only grow, and every
   * hint is checked), though a sure one, since a stored turn is never changed. The same object is handed to every
   * reader of `latestTurn`, so no reader may modify a turn it gets.
   */
  private readonly newest = new Map<string, CallTurn>();

  constructor(private readonly models: Models) {}

  /** Claims a turn; false when another delivery of the same step got there first. */
  async claimTurn(turn: CallTurn): Promise<boolean> {
    return insertOnce(() => this.models.CallTurn.collection.insertOne(storedTurn(turn) as never));
  }

  /** The stored turn of a call at a step, or null (without its log lines and timeline path when `lean`). */
  async findTurn(callSid: string, step: number, options: { lean?: boolean } = {}): Promise<CallTurn | null> {
    return turnFromStored((await this.models.CallTurn.collection.findOne({ _id: turnId(callSid, step) } as never, options.lean ? { projection: RESTORE_FIELDS } : {})) as PackedTurn | LegacyTurn | null);
  }

  private async hasTurn(callSid: string, step: number): Promise<boolean> {
    return (await this.models.CallTurn.collection.findOne({ _id: turnId(callSid, step) } as never, { projection: { _id: 1 } })) !== null;
  }

  /**
   * The newest turn of a call, or null when the call never started (or was deleted). From the newest turn this
   * instance read of it, the next turns are read forward whole — a running call the console refreshes has moved a
   * step or two, so that is one read a step and one for the step not there yet, plus one to check the remembered
   * turn still exists when nothing newer does; otherwise the length of its dense run of steps is searched (see
   * dense-sequence.ts) and its last turn read. The turn returned is shared with other readers: never modify it.
   */
  async latestTurn(callSid: string): Promise<CallTurn | null> {
    const hint = this.newest.get(callSid);
    this.newest.delete(callSid);
    if (hint) {
      let latest = hint;
      for (let read = 0; read < FORWARD_READS; read += 1) {
        const next = await this.findTurn(callSid, latest.step + 1);
        if (!next) {
          if (latest !== hint || (await this.hasTurn(callSid, hint.step))) return this.remember(callSid, latest);
          return this.remember(callSid, await this.searchLatest(callSid, 0));
        }
        latest = next;
      }
      return this.remember(callSid, (await this.searchLatest(callSid, latest.step + 1)) ?? latest);
    }
    return this.remember(callSid, await this.searchLatest(callSid, 0));
  }

  /** The newest turn of a call whose steps before `from` exist, when it has any from `from` on (found by doubling, then read). */
  private async searchLatest(callSid: string, from: number): Promise<CallTurn | null> {
    const count = from + (await sequenceLength((k) => this.hasTurn(callSid, from + k), MAX_TURNS - from));
    return count > from ? this.findTurn(callSid, count - 1) : null;
  }

  private remember(callSid: string, latest: CallTurn | null): CallTurn | null {
    if (!latest) return null;
    this.newest.set(callSid, latest);
    if (this.newest.size > NEWEST_TURNS_KEPT) this.newest.delete(this.newest.keys().next().value as string);
    return latest;
  }

  /** Every turn of a call in order (read by `_id`: all at once when the count is known, else a batch at a time up to the first missing step). */
  async turns(callSid: string, count?: number): Promise<CallTurn[]> {
    if (count !== undefined && count > 0 && count <= MAX_TURNS) {
      const known = await Promise.all(Array.from({ length: count }, (_, step) => this.findTurn(callSid, step)));
      const gap = known.indexOf(null);
      if (gap === -1) return known as CallTurn[];
    }
    const turns: CallTurn[] = [];
    for (let from = 0; from < MAX_TURNS; from += TURN_BATCH) {
      const batch = await Promise.all(Array.from({ length: TURN_BATCH }, (_, i) => this.findTurn(callSid, from + i)));
      const gap = batch.indexOf(null);
      turns.push(...(batch.slice(0, gap === -1 ? TURN_BATCH : gap) as CallTurn[]));
      if (gap !== -1) break;
    }
    return turns;
  }

  /** Records how a call ended; false when it was already recorded (the end of a call is processed once). */
  async claimEnd(end: CallEnd): Promise<boolean> {
    return insertOnce(() => this.models.CallEnd.collection.insertOne(end as never));
  }

  /** The end record of a call, or null while it runs. */
  async findEnd(callSid: string): Promise<CallEnd | null> {
    return (await this.models.CallEnd.collection.findOne({ _id: callSid } as never)) as CallEnd | null;
  }

  /** Records a fact about a call once (a repeated delivery keeps the first). */
  async recordFact(fact: Omit<CallFact, '_id'>): Promise<void> {
    await insertOnce(() => this.models.CallFact.collection.insertOne({ _id: `${fact.callSid}:${fact.kind}`, ...fact } as never));
  }

  /** The facts recorded about a call. */
  async facts(callSid: string): Promise<{ dial: CallFact | null; recovery: CallFact | null }> {
    const [dial, recovery] = await Promise.all([this.fact(callSid, 'dial'), this.fact(callSid, 'recovery')]);
    return { dial, recovery };
  }

  private async fact(callSid: string, kind: CallFact['kind']): Promise<CallFact | null> {
    return (await this.models.CallFact.collection.findOne({ _id: `${callSid}:${kind}` } as never)) as CallFact | null;
  }

  /**
   * Deletes a call's documents (retention): its turns (`count` of them, and any beyond it), end record, facts and late
   * log lines, each by `_id`, at most 50 deletes to a command.
   */
  async remove(callSid: string, count: number): Promise<void> {
    this.newest.delete(callSid);
    let steps = count;
    while (steps < MAX_TURNS && (await this.hasTurn(callSid, steps))) steps += 1;
    const deletes = (ids: string[]) => ids.map((_id) => ({ deleteOne: { filter: { _id } } })) as never[];
    const turnIds = Array.from({ length: steps }, (_, step) => turnId(callSid, step));
    for (let i = 0; i < turnIds.length; i += 50) await this.models.CallTurn.collection.bulkWrite(deletes(turnIds.slice(i, i + 50)), { ordered: false });
    await this.models.CallFact.collection.bulkWrite(deletes([`${callSid}:dial`, `${callSid}:recovery`]), { ordered: false });
    await this.models.CallEnd.collection.deleteOne({ _id: callSid } as never);
  }

  /** A call as it stands: its newest turn, with what its end record (`end` when already read) and facts add; null when there is no such call. */
  async find(callSid: string, known?: { end: CallEnd | null }): Promise<CallSession | null> {
    const latest = await this.latestTurn(callSid);
    if (!latest) return null;
    // Once the end is recorded it says how the call ended (the recovery fact is read beside it only while that is not
    // known). An agent's line is dialled only from a call's final turn or the recovery path, so for a call still in the
    // menu the dial result is not read: its session shows none until its end record (which reads every fact) is made.
    const [end, recovery] = await Promise.all([known ? known.end : this.findEnd(callSid), known?.end ? null : this.fact(callSid, 'recovery')]);
    const dial = end || latest.ended || recovery ? await this.fact(callSid, 'dial') : null;
    const facts = { dial, recovery };
    const ended = end !== null || latest.ended || facts.recovery !== null;
    return {
      ...latest.call,
      _id: callSid,
      step: latest.step + 1,
      state: latest.to,
      status: ended ? 'ended' : 'active',
      outcome: end?.outcome ?? outcomeOf(latest, facts),
      language: latest.language,
      idHash: latest.idHash ?? end?.idHash ?? null,
      idMasked: latest.idMasked ?? end?.idMasked ?? null,
      endedAt: end?.endedAt ?? (latest.ended ? latest.at : (facts.recovery?.at ?? null)),
      endedIn: end?.endedIn ?? (latest.ended ? (latest.event === 'HANGUP' ? latest.from : latest.to) : null),
      hadTrouble: end?.hadTrouble ?? (latest.path?.includes('trouble') || facts.recovery !== null),
      carrierStatus: end?.carrierStatus ?? null,
      durationSeconds: end?.durationSeconds ?? null,
      dialCallStatus: end?.dialCallStatus ?? facts.dial?.value ?? null,
      refused: end?.refused ?? null,
      view: latest.view,
    };
  }
}
