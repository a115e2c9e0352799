import { insertOnce } from './insert-once.ts';
import type { CallSessionDoc, CallTurnDoc, Models } from './models.ts';

/** A call session as the services see it (plain object). */
export type CallSession = CallSessionDoc;

/** One turn of a call as stored: the timeline entry plus what it produced. */
export type CallTurn = CallTurnDoc;

/** Who and when a call is, fixed when it starts; everything else in the session comes from its turns. */
export type CallIdentity = Pick<CallSession, '_id' | 'callerMasked' | 'callerHash' | 'callerLast4' | 'to' | 'startedAt'>;

/** The session fields a turn decides: the next step, the snapshot and answer it produced, and what it learnt. */
function fieldsFrom(turn: CallTurn): Record<string, unknown> {
  const set: Record<string, unknown> = {
    step: turn.step + 1,
    snapshot: turn.snapshot,
    state: turn.to,
    language: turn.language,
    lastTwiml: turn.twiml,
  };
  if (turn.outcome) set.outcome = turn.outcome;
  if (turn.idHash) set.idHash = turn.idHash;
  if (turn.idMasked) set.idMasked = turn.idMasked;
  if (turn.path.includes('trouble')) set.hadTrouble = true;
  if (turn.ended) {
    set.status = 'ended';
    set.endedAt = turn.at;
    set.endedIn = turn.event === 'HANGUP' ? turn.from : turn.to;
  }
  return set;
}

/** The transitions a turn took, as `from>to`, from the states it passed through. */
export function movesOf(path: string[]): string[] {
  const moves: string[] = [];
  for (let i = 1; i < path.length; i += 1) moves.push(`${path[i - 1]}>${path[i]}`);
  return moves;
}

/** The id of a call's turn document. */
export const turnId = (callSid: string, step: number) => `${callSid}:${step}`;

/** Loads and saves call sessions: a turn is claimed by a unique `CallSid:step` insert, then applied with idempotent `$set`s. */
export class CallSessionRepository {
  constructor(private readonly models: Models) {}

  /** The session for a CallSid, or null. */
  async find(callSid: string): Promise<CallSession | null> {
    return this.models.CallSession.findById(callSid).lean<CallSession>();
  }

  /** Creates the session from its opening turn (step 0); false when it already exists (a repeated first webhook). */
  async create(identity: CallIdentity, opening: CallTurn): Promise<boolean> {
    const session = {
      ...identity,
      status: 'active',
      outcome: null,
      idHash: null,
      idMasked: null,
      endedAt: null,
      updatedAt: identity.startedAt,
      ...fieldsFrom(opening),
      visited: [...new Set(opening.path)],
      moves: [...new Set(movesOf(opening.path))],
    };
    if (!(await insertOnce(() => this.models.CallSession.collection.insertOne(session as never)))) return false;
    await this.claimTurn(opening);
    return true;
  }

  /** Claims a turn; false when another delivery of the same step got there first. */
  async claimTurn(turn: CallTurn): Promise<boolean> {
    return insertOnce(() => this.models.CallTurn.collection.insertOne(turn as never));
  }

  /** The stored turn of a call at a step, or null. */
  async findTurn(callSid: string, step: number): Promise<CallTurn | null> {
    return this.models.CallTurn.findById(turnId(callSid, step)).lean<CallTurn>();
  }

  /** Moves the session to the state a claimed turn produced, adding the states and transitions it passed (idempotent). */
  async applyTurn(turn: CallTurn, now: Date): Promise<void> {
    await this.models.CallSession.collection.updateOne(
      { _id: turn.callSid, step: turn.step } as never,
      { $set: { ...fieldsFrom(turn), updatedAt: now }, $addToSet: { visited: { $each: turn.path }, moves: { $each: movesOf(turn.path) } } } as never,
    );
  }

  /** Every turn of a call in order: the timeline supervisors read. */
  async timeline(callSid: string): Promise<CallTurn[]> {
    return this.models.CallTurn.find({ callSid }).sort({ step: 1 }).lean<CallTurn[]>();
  }

  /** Records Twilio's final call status and marks the session ended; a call without an outcome was abandoned. */
  async recordEnd(callSid: string, status: string, durationSeconds: number | null, now: Date): Promise<void> {
    const session = await this.find(callSid);
    if (!session) return;
    await this.models.CallSession.collection.updateOne(
      { _id: callSid } as never,
      { $set: { twilioStatus: status, durationSeconds, status: 'ended', endedAt: session.endedAt ?? now, outcome: session.outcome ?? 'abandoned' } } as never,
    );
  }

  /** Marks a transferred call whose agent line was busy, unanswered or failed. */
  async recordAgentUnavailable(callSid: string, dialCallStatus: string, now: Date): Promise<void> {
    await this.models.CallSession.collection.updateOne(
      { _id: callSid } as never,
      { $set: { outcome: 'agent-unavailable', dialCallStatus, updatedAt: now } } as never,
    );
  }

  /** Ends a call with an outcome decided outside the flow (the recovery path after a failed turn). */
  async recordOutcome(callSid: string, outcome: string, now: Date): Promise<void> {
    await this.models.CallSession.collection.updateOne(
      { _id: callSid, status: 'active' } as never,
      { $set: { outcome, status: 'ended', endedAt: now, updatedAt: now, hadTrouble: true } } as never,
    );
  }
}
