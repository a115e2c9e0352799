import { insertOnce } from './insert-once.ts';
import type { Models } from './models.ts';

/** How often a repeated delivery looks for the outcome of the delivery that claimed the turn. */
const POLL_MS = 25;

/** What a turn's claims are for (the first part of their key): a code send, a verification, a new-PIN screening. */
export const CLAIM_PURPOSES = ['send', 'verify', 'screen'] as const;

/** Side effects claimed once per turn (a code send, a verification attempt), with the outcome a repeated delivery reuses. */
export class TurnClaimRepository {
  constructor(private readonly models: Models) {}

  /** Claims `key` (unique-key insert): true for the first delivery, false for a repeated one. */
  async claim(key: string, at: Date): Promise<boolean> {
    return insertOnce(() => this.models.TurnClaim.collection.insertOne({ _id: key, at, outcome: null } as never));
  }

  /** Records the outcome of a claimed side effect. */
  async settle(key: string, outcome: string): Promise<void> {
    await this.models.TurnClaim.updateOne({ _id: key }, { $set: { outcome } });
  }

  /**
   * The outcome of a claim, waiting (polling by `_id`, at most `ms`) while the claiming delivery is still at work:
   * `outcome` null when there is none by then (that delivery died or is stuck), the claim itself null if absent.
   */
  async outcome(key: string, ms: number): Promise<{ outcome: string | null; at: Date } | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const claim = await this.models.TurnClaim.findById(key, { outcome: 1, at: 1 }).lean();
      if (!claim || claim.outcome || Date.now() >= deadline) return claim ? { outcome: claim.outcome ?? null, at: claim.at } : null;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Deletes the claims of a call's turns (retention): `<purpose>:<CallSid>:<step>` and its retries, by `_id` only. */
  async removeForCall(callSid: string, steps: number): Promise<void> {
    const ids: string[] = [];
    for (let step = 0; step < steps; step += 1) {
      for (const purpose of CLAIM_PURPOSES) for (const retry of ['', '#1', '#2']) ids.push(`${purpose}:${callSid}:${step}${retry}`);
    }
    for (let i = 0; i < ids.length; i += 50) {
      await this.models.TurnClaim.collection.bulkWrite(ids.slice(i, i + 50).map((_id) => ({ deleteOne: { filter: { _id } } })) as never[], { ordered: false });
    }
  }
}
