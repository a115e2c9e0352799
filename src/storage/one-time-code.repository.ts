import type { Models, OneTimeCodeDoc } from './models.ts';

/** A one-time code record (hash only) as the services see it. */
export type OneTimeCode = OneTimeCodeDoc & { id: string };

/** Issues, checks and voids one-time codes; never sees a code in clear. */
export class OneTimeCodeRepository {
  constructor(private readonly models: Models) {}

  /** How many codes were sent for this card since a moment (for the send limit). */
  async countSentSince(idHash: string, since: Date): Promise<number> {
    return this.models.OneTimeCode.countDocuments({ idHash, createdAt: { $gte: since } });
  }

  /** Voids every open code of the card and stores the new one; false if this send key was already used. */
  async issue(code: Omit<OneTimeCodeDoc, 'attempts' | 'usedAt' | 'usedKey' | 'voidedAt'>): Promise<boolean> {
    const existing = await this.models.OneTimeCode.exists({ sendKey: code.sendKey });
    if (existing) return false;
    await this.models.OneTimeCode.updateMany({ idHash: code.idHash, usedAt: null, voidedAt: null }, { $set: { voidedAt: code.createdAt } });
    try {
      await this.models.OneTimeCode.create({ ...code, attempts: 0, usedAt: null, voidedAt: null });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }

  /** The card's newest code that is neither used, voided nor expired. */
  async findOpen(idHash: string, now: Date): Promise<OneTimeCode | null> {
    const doc = await this.models.OneTimeCode.findOne({ idHash, usedAt: null, voidedAt: null, expiresAt: { $gt: now } })
      .sort({ createdAt: -1 })
      .lean();
    return doc ? { ...doc, id: String(doc._id) } : null;
  }

  /** Marks a code used, once; true also when this same turn (`key`) already used it (a repeated delivery). */
  async consume(id: string, key: string, now: Date): Promise<boolean> {
    const result = await this.models.OneTimeCode.updateOne({ _id: id, usedAt: null, voidedAt: null }, { $set: { usedAt: now, usedKey: key } });
    if (result.modifiedCount === 1) return true;
    const doc = await this.models.OneTimeCode.findById(id, { usedKey: 1 }).lean();
    return doc?.usedKey === key;
  }

  /** True when this turn (`key`) already used a code of the card: a repeated delivery of a correct entry. */
  async usedByTurn(idHash: string, key: string): Promise<boolean> {
    return (await this.models.OneTimeCode.exists({ idHash, usedKey: key })) !== null;
  }

  /** Counts a wrong entry against a code and voids it at the limit. */
  async countWrongEntry(id: string, maxAttempts: number, now: Date): Promise<void> {
    const doc = await this.models.OneTimeCode.findOneAndUpdate({ _id: id }, { $inc: { attempts: 1 } }, { returnDocument: 'after' }).lean();
    if (doc && doc.attempts >= maxAttempts) {
      await this.models.OneTimeCode.updateOne({ _id: id, voidedAt: null }, { $set: { voidedAt: now } });
    }
  }
}
