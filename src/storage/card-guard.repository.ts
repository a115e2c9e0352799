import { insertOnce } from './insert-once.ts';
import type { Models } from './models.ts';

/** Counts failed verifications per card across calls and locks the card after too many in a row. */
export class CardGuardRepository {
  constructor(private readonly models: Models) {}

  /** When the card's lock ends, or null if it is not locked. */
  async lockedUntil(idHash: string, now: Date): Promise<Date | null> {
    const guard = await this.models.CardGuard.findById(idHash).lean();
    return guard?.lockedUntil && guard.lockedUntil > now ? guard.lockedUntil : null;
  }

  /**
   * Records one failure under a key unique to the call and step (a repeated delivery counts once) and locks
   * the card when the failures since the last reset reach the threshold. Returns the lock (if any), the run
   * length, and how many wrong entries the code (if given) has had.
   */
  async recordFailure(input: {
    key: string;
    idHash: string;
    idMasked: string;
    callSid: string;
    kind: 'code' | 'current-password';
    codeId?: string | null;
    threshold: number;
    lockMinutes: number;
    now: Date;
  }): Promise<{ lockedUntil: Date | null; failures: number; codeFailures: number }> {
    const { key, idHash, now } = input;
    await insertOnce(() =>
      this.models.VerificationFailure.create({ _id: key, idHash, at: now, callSid: input.callSid, kind: input.kind, codeId: input.codeId ?? null }),
    );
    const guard = await this.models.CardGuard.findById(idHash).lean();
    const since = guard?.countSince ?? new Date(0);
    const failures = await this.models.VerificationFailure.countDocuments({ idHash, at: { $gt: since } });
    const codeFailures = input.codeId ? await this.models.VerificationFailure.countDocuments({ codeId: input.codeId }) : 0;
    if (failures < input.threshold) return { lockedUntil: null, failures, codeFailures };
    const until = new Date(now.getTime() + input.lockMinutes * 60_000);
    const lockId = `${idHash}:${since.getTime()}`;
    const locked = await insertOnce(() => this.models.CardLock.create({ _id: lockId, idHash, idMasked: input.idMasked, at: now, until, callSid: input.callSid }));
    if (!locked) {
      const lock = await this.models.CardLock.findById(lockId).lean();
      return { lockedUntil: lock?.until ?? until, failures, codeFailures };
    }
    await this.models.CardGuard.updateOne({ _id: idHash }, { $set: { countSince: now, lockedUntil: until } }, { upsert: true });
    return { lockedUntil: until, failures, codeFailures };
  }

  /** A successful verification ends the run of failures. */
  async recordSuccess(idHash: string, now: Date): Promise<void> {
    await this.models.CardGuard.updateOne({ _id: idHash }, { $set: { countSince: now } }, { upsert: true });
  }

  /** How many locks were recorded for a card. */
  async lockCount(idHash: string): Promise<number> {
    return this.models.CardLock.countDocuments({ idHash });
  }

  /** Forgets a card's failures, lock and counting window (QA set-up only: a script starts from a known card). */
  async resetCard(idHash: string): Promise<void> {
    await this.models.VerificationFailure.deleteMany({ idHash });
    await this.models.CardLock.deleteMany({ idHash });
    await this.models.CardGuard.deleteOne({ _id: idHash });
  }

  /** Records failures that happened "before" a script's call (QA set-up only), so a lock can be reached in one call. */
  async seedFailures(idHash: string, count: number, now: Date): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await this.models.VerificationFailure.create({ _id: `qa-seed:${idHash}:${now.getTime()}:${i}`, idHash, at: now, callSid: 'qa-seed', kind: 'code', codeId: null });
    }
  }
}
