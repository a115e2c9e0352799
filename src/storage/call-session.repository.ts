import type { CallSessionDoc, Models, TimelineEntryDoc } from './models.ts';

/** A call session as the services see it (plain object). */
export type CallSession = CallSessionDoc;

/** What one turn writes back: the new snapshot and the response for that step. */
export interface TurnWrite {
  snapshot: string;
  state: string;
  language: string;
  lastTwiml: string;
  outcome: string | null;
  idHash: string | null;
  idMasked: string | null;
  entry: TimelineEntryDoc;
  ended: boolean;
}

/** Loads and saves call sessions; every save is conditional on the step it read. */
export class CallSessionRepository {
  constructor(private readonly models: Models) {}

  /** The session for a CallSid, or null. */
  async find(callSid: string): Promise<CallSession | null> {
    return this.models.CallSession.findById(callSid).lean<CallSession>();
  }

  /** Creates the session at step 1; returns false when it already exists (a repeated first webhook). */
  async create(session: Omit<CallSession, 'step'>): Promise<boolean> {
    try {
      await this.models.CallSession.collection.insertOne({ ...session, step: 1 } as never);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }

  /** Saves a turn if nobody else advanced the call from `fromStep`; returns whether this write won. */
  async advance(callSid: string, fromStep: number, write: TurnWrite, now: Date): Promise<boolean> {
    const set: Record<string, unknown> = {
      snapshot: write.snapshot,
      state: write.state,
      language: write.language,
      lastTwiml: write.lastTwiml,
      updatedAt: now,
    };
    if (write.outcome) set.outcome = write.outcome;
    if (write.idHash) set.idHash = write.idHash;
    if (write.idMasked) set.idMasked = write.idMasked;
    if (write.ended) {
      set.status = 'ended';
      set.endedAt = now;
    }
    const result = await this.models.CallSession.collection.updateOne(
      { _id: callSid, step: fromStep } as never,
      { $set: set, $inc: { step: 1 }, $push: { timeline: write.entry } } as never,
    );
    return result.modifiedCount === 1;
  }

  /** Records Twilio's final call status; fills the outcome (abandoned) only if the flow did not set one. */
  async recordEnd(callSid: string, status: string, durationSeconds: number | null, now: Date): Promise<void> {
    await this.models.CallSession.collection.updateOne(
      { _id: callSid } as never,
      { $set: { twilioStatus: status, durationSeconds, status: 'ended' } } as never,
    );
    await this.models.CallSession.collection.updateOne(
      { _id: callSid, endedAt: null } as never,
      { $set: { endedAt: now } } as never,
    );
  }
}
