import { insertOnce } from './insert-once.ts';
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

  /**
   * Stores a new code and voids the card's older open codes (never a newer one, so two sends racing from two
   * calls leave the newer code standing). The insert comes first (unique send key), so a repeated delivery
   * of the same send neither issues a second code nor voids the one that was sent.
   */
  async issue(code: Omit<OneTimeCodeDoc, 'usedAt' | 'voidedAt'>): Promise<boolean> {
    let createdId: unknown;
    const issued = await insertOnce(async () => {
      createdId = (await this.models.OneTimeCode.create({ ...code, usedAt: null, voidedAt: null }))._id;
    });
    if (!issued) return false;
    await this.models.OneTimeCode.updateMany(
      { idHash: code.idHash, _id: { $lt: createdId }, usedAt: null, voidedAt: null },
      { $set: { voidedAt: code.createdAt } },
    );
    return true;
  }

  /** The card's newest code that is neither used, voided nor expired. */
  async findOpen(idHash: string, now: Date): Promise<OneTimeCode | null> {
    const doc = await this.models.OneTimeCode.findOne({ idHash, usedAt: null, voidedAt: null, expiresAt: { $gt: now } })
      .sort({ createdAt: -1 })
      .lean();
    return doc ? { ...doc, id: String(doc._id) } : null;
  }

  /**
   * Uses a code once. The use is a unique-key insert (atomic on MongoDB and FerretDB), so of two turns only
   * one wins; true also when this same turn (`turnKey`) already used it (a repeated delivery).
   */
  async consume(id: string, turnKey: string, now: Date): Promise<boolean> {
    if (!(await insertOnce(() => this.models.OneTimeCodeUse.create({ _id: id, turnKey, at: now })))) {
      const use = await this.models.OneTimeCodeUse.findById(id).lean();
      return use?.turnKey === turnKey;
    }
    await this.models.OneTimeCode.updateOne({ _id: id }, { $set: { usedAt: now } });
    return true;
  }

  /** True when this turn already used a code: a repeated delivery of a correct entry. */
  async usedByTurn(turnKey: string): Promise<boolean> {
    return (await this.models.OneTimeCodeUse.exists({ turnKey })) !== null;
  }

  /** Voids a code (after too many wrong entries). */
  async void(id: string, now: Date): Promise<void> {
    await this.models.OneTimeCode.updateOne({ _id: id, voidedAt: null }, { $set: { voidedAt: now } });
  }

  /** Forgets every code of a card, so the send limit starts afresh (QA set-up only). */
  async forgetCard(idHash: string): Promise<void> {
    await this.models.OneTimeCode.deleteMany({ idHash });
  }
}
