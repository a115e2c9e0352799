import { insertOnce, takeFirstFree } from './insert-once.ts';
import type { Models, OneTimeCodeDoc } from './models.ts';

/** A one-time code record (hash only) as the services see it. */
export type OneTimeCode = Omit<OneTimeCodeDoc, '_id'> & { id: string };

/** A new code to issue (the send slot and its state are the repository's). */
export type NewOneTimeCode = Omit<OneTimeCodeDoc, '_id' | 'usedAt' | 'voidedAt'>;

/**
 * Issues, checks and voids one-time codes; never sees a code in clear. Every limit is a series of unique `_id`
 * slots (exact under concurrency on MongoDB and FerretDB) and every look-up is by `_id`: a code *is* its send slot
 * `<card>:<bucket>:<k>` (k below the sends allowed per time bucket), the card's newest code is found through its head
 * document, and each wrong entry of a code takes a slot `code:<codeId>:<k>` before it is checked.
 */
export class OneTimeCodeRepository {
  constructor(private readonly models: Models) {}

  /**
   * Stores a new code in the first free send slot of its time bucket (`windowMinutes` long, `maxSends` slots) and makes
   * it the card's newest code, voiding the one before (never a newer one). Null when the bucket is full.
   */
  async issue(code: NewOneTimeCode, limits: { maxSends: number; windowMinutes: number }): Promise<string | null> {
    const bucket = Math.floor(code.createdAt.getTime() / (limits.windowMinutes * 60_000));
    const ids = Array.from({ length: limits.maxSends }, (_x, k) => `${code.idHash}:${bucket}:${k}`);
    const k = await takeFirstFree(ids, (id) => this.models.OneTimeCode.collection.insertOne({ ...code, _id: id, usedAt: null, voidedAt: null } as never));
    if (k < 0) return null;
    const id = ids[k];
    const head = await this.models.OneTimeCodeHead.findById(code.idHash).lean();
    if (head && head.createdAt > code.createdAt) {
      await this.void(id, code.createdAt);
      return id;
    }
    await this.models.OneTimeCodeHead.updateOne({ _id: code.idHash }, { $set: { codeId: id, createdAt: code.createdAt } }, { upsert: true }).catch((error: { code?: number }) => {
      if (error.code !== 11000) throw error;
    });
    if (head && head.codeId !== id) await this.void(head.codeId, code.createdAt);
    return id;
  }

  /** The card's newest code if it is neither used, voided nor expired. */
  async findOpen(idHash: string, now: Date): Promise<OneTimeCode | null> {
    const head = await this.models.OneTimeCodeHead.findById(idHash).lean();
    if (!head) return null;
    const doc = await this.models.OneTimeCode.findById(head.codeId).lean();
    if (!doc || doc.usedAt || doc.voidedAt || doc.expiresAt <= now) return null;
    const { _id, ...rest } = doc;
    return { ...rest, id: _id };
  }

  /**
   * Reserves one entry against a code before it is checked (a slot kept if the entry was wrong); null when the
   * code's `maxWrong` entries are used up, i.e. the code is void.
   */
  async reserveEntry(code: Pick<OneTimeCode, 'id' | 'idHash'>, owner: { callSid: string; turnKey: string }, at: Date, maxWrong: number): Promise<{ slotId: string; index: number } | null> {
    const ids = Array.from({ length: maxWrong }, (_x, k) => `code:${code.id}:${k}`);
    const k = await takeFirstFree(ids, (id) =>
      this.models.VerificationSlot.collection.insertOne({ _id: id, idHash: code.idHash, factor: 'code', at, callSid: owner.callSid, turnKey: owner.turnKey } as never),
    );
    if (k < 0) return null;
    return { slotId: ids[k], index: k };
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

  /**
   * The codes a card was sent in some send buckets (`<card>:<bucket>:<k>`, probed by `_id`: a bucket's slots fill from
   * 0 and are never given back, so the first missing one ends it), oldest first, each with the entries checked against it counted
   * from its entry slots (`code:<id>:<k>`, k below `maxWrong`).
   */
  async inBuckets(idHash: string, buckets: number[], limits: { maxSends: number; maxWrong: number }): Promise<Array<OneTimeCode & { entries: number }>> {
    const found: OneTimeCode[] = [];
    const unique = [...new Set(buckets)].sort((a, b) => a - b);
    for (let i = 0; i < unique.length; i += 16) {
      const batch = await Promise.all(
        unique.slice(i, i + 16).map(async (bucket) => {
          const codes: OneTimeCode[] = [];
          for (let k = 0; k < limits.maxSends; k += 1) {
            const doc = await this.models.OneTimeCode.collection.findOne({ _id: `${idHash}:${bucket}:${k}` } as never);
            if (!doc) break;
            const { _id, ...rest } = doc as unknown as OneTimeCodeDoc;
            codes.push({ ...rest, id: _id });
          }
          return codes;
        }),
      );
      found.push(...batch.flat());
    }
    return Promise.all(
      found.map(async (code) => {
        const entries = await Promise.all(Array.from({ length: limits.maxWrong }, (_x, k) => this.models.VerificationSlot.findById(`code:${code.id}:${k}`, { _id: 1 }).lean()));
        return { ...code, entries: entries.filter((e) => e !== null).length };
      }),
    );
  }

  /** Marks a code void (a newer code replaced it, or its wrong entries are used up). */
  async void(id: string, now: Date): Promise<void> {
    await this.models.OneTimeCode.updateOne({ _id: id, voidedAt: null }, { $set: { voidedAt: now } });
  }

  /** Forgets every code of a card, so the send limit starts afresh (QA set-up only). */
  async forgetCard(idHash: string): Promise<void> {
    // A code's use is keyed by the code's slot, which the next code in the same bucket takes again: forget both.
    const codes = await this.models.OneTimeCode.find({ idHash }, { _id: 1 }).lean();
    if (codes.length > 0) await this.models.OneTimeCodeUse.deleteMany({ _id: { $in: codes.map((code) => code._id) } });
    await this.models.OneTimeCode.deleteMany({ idHash });
    await this.models.OneTimeCodeHead.deleteOne({ _id: idHash });
  }

  /**
   * Deletes a card's codes sent between two moments, with their uses and entry slots (retention, by `_id`: the send
   * slots of each time bucket in the range), and its newest-code pointer when it names one of them.
   */
  async removeSentBetween(idHash: string, from: Date, to: Date, limits: { windowMinutes: number; maxSends: number; maxWrong: number }): Promise<void> {
    const window = limits.windowMinutes * 60_000;
    const codeIds: string[] = [];
    for (let bucket = Math.floor(from.getTime() / window); bucket <= Math.floor(to.getTime() / window); bucket += 1) {
      for (let k = 0; k < limits.maxSends; k += 1) codeIds.push(`${idHash}:${bucket}:${k}`);
    }
    const head = await this.models.OneTimeCodeHead.findById(idHash).lean();
    if (head && codeIds.includes(head.codeId)) await this.models.OneTimeCodeHead.deleteOne({ _id: idHash });
    const deletes = (ids: string[]) => ids.map((_id) => ({ deleteOne: { filter: { _id } } })) as never[];
    for (let i = 0; i < codeIds.length; i += 10) {
      const chunk = codeIds.slice(i, i + 10);
      const entries = chunk.flatMap((id) => Array.from({ length: limits.maxWrong }, (_x, k) => `code:${id}:${k}`));
      await this.models.VerificationSlot.collection.bulkWrite(deletes(entries), { ordered: false });
      await this.models.OneTimeCodeUse.collection.bulkWrite(deletes(chunk), { ordered: false });
      await this.models.OneTimeCode.collection.bulkWrite(deletes(chunk), { ordered: false });
    }
  }
}
