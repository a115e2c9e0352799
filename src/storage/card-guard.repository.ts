import { insertOnce, takeFirstFree } from './insert-once.ts';
import type { CardLockDoc, Models, VerificationSlotDoc } from './models.ts';

/** What a caller can prove, each counted on its own: the current password, or a one-time code (possession). */
export type Factor = 'current-password' | 'code';

/** The card lock rules: failures per epoch, the first lock's length (doubling within 24 hours), failures per UTC day. */
export interface LockRules {
  afterFailures: number;
  minutes: number;
  maxFailuresPerDay: number;
}

/** A card lock as the services see it. */
export type CardLock = Omit<CardLockDoc, '_id'>;

/** Who reserves an attempt: the card, the call and the turn it belongs to. */
export interface AttemptOwner {
  factor: Factor;
  idHash: string;
  callSid: string;
  turnKey: string;
}

/** An attempt that may be evaluated (its slots are held), or why it may not (locked until when). */
export type Reservation =
  | { kind: 'reserved'; slotId: string; daySlotId: string; epoch: number }
  | { kind: 'refused'; reason: 'locked' | 'daily-cap'; until: Date; lock: CardLock | null; lockCreated: boolean };

const DAY_MS = 86_400_000;

const dayOf = (at: Date): string => at.toISOString().slice(0, 10).replace(/-/g, '');
const startOfDay = (at: Date): number => Math.floor(at.getTime() / DAY_MS) * DAY_MS;

/**
 * Per-card, per-factor limits on guessing, race-free on MongoDB and FerretDB alike: every attempt reserves a slot
 * (a unique `_id` insert) before the guess is evaluated, and keeps it when the guess was wrong. Epoch `e` of a
 * factor has `afterFailures` slots; when all are taken the epoch is locked (one `card_locks` insert, derived from
 * the slots, so a crash can only delay it to the next attempt), and the next epoch opens when that lock ends.
 * Each lock lasts twice as long as the one before within 24 hours (up to a day); `maxFailuresPerDay` day slots cap
 * the failures of a factor per UTC day. Every read and write is by `_id`.
 */
export class CardGuardRepository {
  constructor(private readonly models: Models) {}

  private epochSlots(owner: Pick<AttemptOwner, 'factor' | 'idHash'>, epoch: number, rules: LockRules): string[] {
    return Array.from({ length: rules.afterFailures }, (_x, k) => `${owner.factor}:${owner.idHash}:e${epoch}:${k}`);
  }

  private slotDoc(owner: AttemptOwner, at: Date) {
    return (id: string) =>
      this.models.VerificationSlot.collection.insertOne({ _id: id, idHash: owner.idHash, factor: owner.factor, at, callSid: owner.callSid, turnKey: owner.turnKey } as never);
  }

  private async epochHint(factor: Factor, idHash: string): Promise<number> {
    return (await this.models.CardGuard.findById(`${factor}:${idHash}`, { epoch: 1 }).lean())?.epoch ?? 0;
  }

  /**
   * Reserves one attempt before it is evaluated: the first free slot of the day, then of the open epoch. Refused
   * (nothing kept) while the epoch is locked, or when the day's failures are used up. The day slot comes first so
   * that attempts turned away by the daily cap never fill an epoch (and so never cause a lock).
   */
  async reserve(owner: AttemptOwner & { idMasked: string }, now: Date, rules: LockRules): Promise<Reservation> {
    const start = await this.epochHint(owner.factor, owner.idHash);
    let daySlotId: string | null = null;
    for (let epoch = start; ; epoch += 1) {
      const recorded = await this.models.CardLock.findById(`${owner.factor}:${owner.idHash}:e${epoch}`, { _id: 0 }).lean<CardLock>();
      if (recorded && now < recorded.until) {
        if (daySlotId) await this.models.VerificationSlot.deleteOne({ _id: daySlotId });
        return { kind: 'refused', reason: 'locked', until: recorded.until, lock: recorded, lockCreated: false };
      }
      if (recorded) continue;
      if (!daySlotId) {
        const dayIds = Array.from({ length: rules.maxFailuresPerDay }, (_x, i) => `${owner.factor}:${owner.idHash}:d${dayOf(now)}:${i}`);
        const d = await takeFirstFree(dayIds, this.slotDoc(owner, now));
        if (d < 0) return { kind: 'refused', reason: 'daily-cap', until: new Date(startOfDay(now) + DAY_MS), lock: null, lockCreated: false };
        daySlotId = dayIds[d];
      }
      const ids = this.epochSlots(owner, epoch, rules);
      const k = await takeFirstFree(ids, this.slotDoc(owner, now));
      if (k >= 0) {
        if (epoch !== start) await this.moveHint(owner, epoch);
        return { kind: 'reserved', slotId: ids[k], daySlotId, epoch };
      }
      const { lock, created } = await this.lockEpoch(owner, epoch, now, rules);
      if (now < lock.until) {
        await this.models.VerificationSlot.deleteOne({ _id: daySlotId });
        return { kind: 'refused', reason: 'locked', until: lock.until, lock, lockCreated: created };
      }
    }
  }

  /**
   * Gives a reserved attempt back (the guess was right): it does not count. With `endRun` (the card holder proved the
   * factor) the next attempt starts a fresh epoch, so failures count "in a row"; the daily cap still counts them all.
   */
  async release(owner: Pick<AttemptOwner, 'factor' | 'idHash'>, reservation: Extract<Reservation, { kind: 'reserved' }>, options: { endRun: boolean }): Promise<void> {
    await Promise.all([this.models.VerificationSlot.deleteOne({ _id: reservation.slotId }), this.models.VerificationSlot.deleteOne({ _id: reservation.daySlotId })]);
    if (options.endRun) await this.moveHint(owner, reservation.epoch + 1);
  }

  /**
   * After a wrong guess: when every slot of its epoch is taken, the epoch's lock (inserted once; `created` for the
   * caller whose insert made it, who tells the card holder). Null while the epoch still has room.
   */
  async lockIfFull(owner: AttemptOwner & { idMasked: string }, epoch: number, now: Date, rules: LockRules): Promise<{ lock: CardLock; created: boolean } | null> {
    const slots = await Promise.all(this.epochSlots(owner, epoch, rules).map((id) => this.models.VerificationSlot.findById(id, { at: 1 }).lean()));
    if (slots.some((slot) => slot === null)) return null;
    return this.lockEpoch(owner, epoch, now, rules);
  }

  /** The lock of a full epoch: read, or derived from its slots (started at the last one) and inserted once. */
  private async lockEpoch(owner: AttemptOwner & { idMasked: string }, epoch: number, now: Date, rules: LockRules): Promise<{ lock: CardLock; created: boolean }> {
    const lockId = `${owner.factor}:${owner.idHash}:e${epoch}`;
    const existing = await this.models.CardLock.findById(lockId, { _id: 0 }).lean<CardLock>();
    if (existing) return { lock: existing, created: false };
    const slots = await Promise.all(this.epochSlots(owner, epoch, rules).map((id) => this.models.VerificationSlot.findById(id, { at: 1 }).lean<Pick<VerificationSlotDoc, 'at'>>()));
    const at = new Date(Math.max(...slots.map((slot) => (slot ? slot.at.getTime() : now.getTime()))));
    const earlier = await this.locksSince(owner, epoch, at.getTime() - DAY_MS);
    const minutes = Math.min(rules.minutes * 2 ** earlier, Math.max(rules.minutes, 1440));
    const lock: CardLock = { idHash: owner.idHash, idMasked: owner.idMasked, factor: owner.factor, epoch, at, until: new Date(at.getTime() + minutes * 60_000), callSid: owner.callSid };
    if (await insertOnce(() => this.models.CardLock.collection.insertOne({ _id: lockId, ...lock } as never))) return { lock, created: true };
    return { lock: (await this.models.CardLock.findById(lockId, { _id: 0 }).lean<CardLock>()) ?? lock, created: false };
  }

  /** How many locks of the epochs before `epoch` started at or after `since` (walking back by `_id`). */
  private async locksSince(owner: Pick<AttemptOwner, 'factor' | 'idHash'>, epoch: number, since: number): Promise<number> {
    let count = 0;
    for (let e = epoch - 1; e >= 0; e -= 1) {
      const lock = await this.models.CardLock.findById(`${owner.factor}:${owner.idHash}:e${e}`, { at: 1 }).lean();
      if (!lock || lock.at.getTime() < since) break;
      count += 1;
    }
    return count;
  }

  private async moveHint(owner: Pick<AttemptOwner, 'factor' | 'idHash'>, epoch: number): Promise<void> {
    await this.models.CardGuard.updateOne({ _id: `${owner.factor}:${owner.idHash}` }, { $set: { idHash: owner.idHash, epoch } }, { upsert: true }).catch((error: { code?: number }) => {
      if (error.code !== 11000) throw error;
    });
  }

  /** Until when a factor of a card is locked, without reserving anything (to decide whether a code is worth sending). */
  async lockedUntil(factor: Factor, idHash: string, now: Date): Promise<Date | null> {
    const epoch = await this.epochHint(factor, idHash);
    const lock = await this.models.CardLock.findById(`${factor}:${idHash}:e${epoch}`, { until: 1 }).lean();
    return lock && lock.until > now ? lock.until : null;
  }

  /** How many locks were recorded for a card (both factors). */
  async lockCount(idHash: string): Promise<number> {
    return this.models.CardLock.countDocuments({ idHash });
  }

  /** Forgets a card's slots, locks and epochs (QA set-up only: a script starts from a known card). */
  async resetCard(idHash: string): Promise<void> {
    await this.models.VerificationSlot.deleteMany({ idHash });
    await this.models.CardLock.deleteMany({ idHash });
    await this.models.CardGuard.deleteMany({ idHash });
  }

  /** Records failures of both factors that happened "before" a script's call (QA set-up only), so a lock can be reached in one call. */
  async seedFailures(idHash: string, count: number, now: Date, rules: LockRules): Promise<void> {
    for (const factor of ['current-password', 'code'] as const) {
      const owner = { factor, idHash, callSid: 'qa-seed', turnKey: 'qa-seed' };
      for (let i = 0; i < count; i += 1) {
        await this.slotDoc(owner, now)(`${factor}:${idHash}:e${Math.floor(i / rules.afterFailures)}:${i % rules.afterFailures}`);
        await this.slotDoc(owner, now)(`${factor}:${idHash}:d${dayOf(now)}:${i}`);
      }
    }
  }

  /**
   * Deletes a card's per-day failure slots of the UTC days between two moments (retention, by `_id`). The slots of a
   * run of failures and the locks they made stay: they are the card's lock history.
   */
  async removeDaySlots(idHash: string, from: Date, to: Date, maxFailuresPerDay: number): Promise<void> {
    const ids: string[] = [];
    for (let day = Math.floor(from.getTime() / 86_400_000) * 86_400_000; day <= to.getTime(); day += 86_400_000) {
      for (const factor of ['code', 'current-password']) for (let i = 0; i < maxFailuresPerDay; i += 1) ids.push(`${factor}:${idHash}:d${dayOf(new Date(day))}:${i}`);
    }
    for (let i = 0; i < ids.length; i += 50) {
      await this.models.VerificationSlot.collection.bulkWrite(ids.slice(i, i + 50).map((_id) => ({ deleteOne: { filter: { _id } } })) as never[], { ordered: false });
    }
  }
}
