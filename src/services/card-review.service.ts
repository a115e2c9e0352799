import { z } from 'zod';
import type { Config } from '../config.ts';
import { maskCitizenId } from '../domain/citizen-id.ts';
import { maskEmail, maskFreeText, maskPhone } from '../domain/masking.ts';
import { AppError } from '../http/app-error.ts';
import { keyedHash, openCardRef, sealCardRef } from '../security/secrets.ts';
import { type CardLock, type Factor, type FactorStatus, type LockRecord } from '../storage/card-guard.repository.ts';
import type { CallSearchPage, CallSummary } from '../storage/call-search.repository.ts';
import type { Store } from '../storage/store.ts';
import type { AccessHow, AccessLogService } from './access-log.service.ts';
import { CODE_MAX_ATTEMPTS } from './call-actors.ts';
import { passwordChangeView, type PasswordChangeView } from './call-review.service.ts';
import { parseOr400 } from './console-range.parser.ts';
import type { ConsoleUser } from './supervisor-account.service.ts';

/** Calls shown per page of a card. */
export const CARD_CALLS_PAGE = 25;

/** Password changes listed on a card at most (newest first, from its calls of the last 90 days). */
export const CARD_CHANGES_MAX = 50;

const MASKED_ID = /^[0-9]{4}\*{10}[0-9]{3}[0-9X]$/;
const FULL_ID = /^[0-9]{17}[0-9X]$/;

const lookupQuery = z.object({ id: z.string().trim().max(32).optional() });
const cardQuery = z.object({ after: z.string().max(200).optional() });
const unlockBody = z.object({
  reason: z
    .string({ message: 'a reason is required' })
    .trim()
    .min(2, 'a reason is required (at least 2 characters)')
    .max(300, 'at most 300 characters'),
});

/** A one-time code as a card page lists it: when, how, where to (masked), and what became of it; never the code or its hash. */
export interface CodeView {
  createdAt: Date;
  channel: string;
  toMasked: string | null;
  /** `used`, `void` (replaced, or its wrong entries used up), `expired`, or `open`. */
  status: 'used' | 'void' | 'expired' | 'open';
  usedAt: Date | null;
  voidedAt: Date | null;
  expiresAt: Date;
  /** Entries checked against it (the right one included). */
  entries: number;
  /** The call that asked for it. */
  callSid: string;
}

/** A lock as a card page lists it (no hashes). */
export interface LockView {
  factor: Factor;
  at: Date;
  until: Date;
  /** The call whose failure filled the run. */
  callSid: string;
  /** Lifted by an admin before its time. */
  unlock: { at: Date; by: string; reason: string } | null;
}

/** One factor of a card now: its lock in force, its failures in the current run and today, against the limits. */
export interface FactorView {
  factor: Factor;
  lock: LockView | null;
  failuresInRun: number;
  failuresToday: number;
  dailyCapUntil: Date | null;
}

/** Everything a card page shows: masked, no hash, no PIN, no code. */
export interface CardView {
  /** The opaque reference the console links the card by. */
  ref: string;
  idMasked: string;
  registered: boolean;
  contacts: { mobile: string | null; email: string | null };
  password: { set: boolean; setAt: Date | null };
  /** The latest time any factor is locked until (null when none is). */
  lockedUntil: Date | null;
  factors: FactorView[];
  limits: { afterFailures: number; maxFailuresPerDay: number; codeMaxEntries: number };
  locks: LockView[];
  /** Older epochs exist that the lock history did not read. */
  moreLocks: boolean;
  /** Codes sent on the calls of this page. */
  codes: CodeView[];
  calls: CallSummary[];
  next: string | null;
  passwordChanges: Array<PasswordChangeView & { callSid: string }>;
}

/** A card found by its masked ID: the reference to open it by, and its newest call. */
export interface CardMatch {
  ref: string;
  idMasked: string;
  lastCall: CallSummary;
  calls: number;
}

/** What a lookup by ID number found: one card (a full number), or the cards a masked number matches. */
export type CardLookup = { kind: 'card'; ref: string; idMasked: string } | { kind: 'matches'; idMasked: string; matches: CardMatch[] };

const lockView = (lock: CardLock | LockRecord): LockView => ({
  factor: lock.factor,
  at: lock.at,
  until: lock.until,
  callSid: lock.callSid,
  unlock: 'unlock' in lock && lock.unlock ? { at: lock.unlock.at, by: lock.unlock.by, reason: lock.unlock.reason } : null,
});

/**
 * A card's side of the story for the console — its password, locks and their history, codes sent, calls and password
 * changes — and the admin's unlock, every read by `_id` (the card guard's slots and locks, the codes' send slots, the
 * call index's `i:<card>:<month>` keys); views, look-ups and unlocks are recorded in the access log, masked.
 */
export class CardReviewService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; access: AccessLogService; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The card a reference stands for (its ID hash); 404 when it is not a reference this app made. */
  private idHashOf(ref: string): string {
    const idHash = openCardRef(this.deps.config.pinPepper, ref);
    if (!idHash) throw new AppError(404, 'not-found', 'No such card');
    return idHash;
  }

  /** The console's reference to a card. */
  refOf(idHash: string): string {
    return sealCardRef(this.deps.config.pinPepper, idHash);
  }

  /**
   * Finds a card by ID number, recorded in the access log as a search (masked): a full number is the card itself (its
   * keyed hash); a masked one is ambiguous, so it lists the cards that called under it in the last 90 days.
   */
  async lookup(user: ConsoleUser, query: unknown, how: AccessHow): Promise<CardLookup | null> {
    const q = parseOr400(lookupQuery, query);
    if (!q.id) return null;
    const id = q.id.toUpperCase().replace(/\s/g, '');
    if (!MASKED_ID.test(id) && !FULL_ID.test(id)) throw new AppError(400, 'bad-request', 'id: the full 18-character number, or the masked form (1101**********002X)');
    const idMasked = maskCitizenId(id);
    await this.deps.access.record(user, { what: 'search', how, subject: `ID ${idMasked}`, detail: 'card look-up' });
    if (FULL_ID.test(id)) return { kind: 'card', ref: this.refOf(keyedHash(this.deps.config.pinPepper, 'citizen-id', id)), idMasked };
    const found = await this.deps.store.callSearch.cardsByMaskedId(idMasked, this.now());
    return { kind: 'matches', idMasked, matches: found.map((card) => ({ ref: this.refOf(card.idHash), idMasked: card.idMasked, lastCall: card.lastCall, calls: card.calls })) };
  }

  /** The reference of the card a call was about; 404 when the call named no card (or there is no such call). */
  async refOfCall(callSid: string): Promise<string> {
    const card = await this.deps.store.callSearch.cardOfCall(callSid);
    if (!card) throw new AppError(404, 'not-found', 'That call did not name a card');
    return this.refOf(card.idHash);
  }

  /** A supervisor's view of a card (page or API), recorded in the access log with the masked ID. */
  async viewCard(user: ConsoleUser, ref: string, query: unknown, how: AccessHow): Promise<CardView> {
    const q = parseOr400(cardQuery, query);
    const card = await this.card(this.idHashOf(ref), q.after ?? null);
    await this.deps.access.record(user, { what: 'view-card', how, subject: `ID ${card.idMasked}` });
    return card;
  }

  /** Everything about a card, read by `_id`; `after` pages its calls (newest first). */
  async card(idHash: string, after: string | null): Promise<CardView> {
    const { store, config } = this.deps;
    const now = this.now();
    const [citizen, status, page, changes] = await Promise.all([
      store.citizens.findByIdHash(idHash),
      store.cardGuards.status(idHash, now, config.lock),
      store.callSearch.search({ idHash }, { limit: CARD_CALLS_PAGE, after, now }),
      store.callSearch.search({ idHash, outcome: 'password-changed' }, { limit: CARD_CHANGES_MAX, now }),
    ]);
    const upTo = Object.fromEntries(status.map((s) => [s.factor, s.epoch])) as Record<Factor, number>;
    const [history, codes, changeRecords] = await Promise.all([
      store.cardGuards.lockHistory(idHash, upTo),
      this.codesOf(idHash, page),
      Promise.all(changes.calls.map((call) => store.passwordChanges.findByCall(call.callSid))),
    ]);
    const idMasked =
      (citizen ? maskCitizenId(citizen.idNumber) : null) ??
      page.calls.find((c) => c.idMasked)?.idMasked ??
      history.locks.find((l) => l.idMasked !== 'unknown')?.idMasked ??
      '******************';
    const factors = status.map(
      (s: FactorStatus): FactorView => ({ factor: s.factor, lock: s.lock ? lockView(s.lock) : null, failuresInRun: s.failuresInRun, failuresToday: s.failuresToday, dailyCapUntil: s.dailyCapUntil }),
    );
    const until = factors.flatMap((f) => [f.lock?.until, f.dailyCapUntil]).filter((d): d is Date => d instanceof Date);
    return {
      ref: this.refOf(idHash),
      idMasked,
      registered: citizen !== null,
      contacts: { mobile: citizen?.mobile ? maskPhone(citizen.mobile) : null, email: citizen?.email ? maskEmail(citizen.email) : null },
      password: { set: Boolean(citizen?.pinHash), setAt: citizen?.pinSetAt ?? null },
      lockedUntil: until.length ? new Date(Math.max(...until.map((d) => d.getTime()))) : null,
      factors,
      limits: { afterFailures: config.lock.afterFailures, maxFailuresPerDay: config.lock.maxFailuresPerDay, codeMaxEntries: CODE_MAX_ATTEMPTS },
      locks: history.locks.map(lockView),
      moreLocks: history.more,
      codes,
      calls: page.calls,
      next: page.next,
      passwordChanges: changeRecords.flatMap((change) => (change ? [{ ...passwordChangeView(change), callSid: change.callSid }] : [])),
    };
  }

  /**
   * The codes sent on some calls of a card: every send bucket a call spans (codes are only sent inside calls) is probed
   * by `_id`, so no code collection is filtered; newest first.
   */
  private async codesOf(idHash: string, page: CallSearchPage): Promise<CodeView[]> {
    const { store, config } = this.deps;
    const now = this.now();
    const windowMs = config.otp.sendWindowMinutes * 60_000;
    const buckets = page.calls.flatMap((call) => {
      const first = Math.floor(call.startedAt.getTime() / windowMs);
      const last = Math.floor((call.endedAt ?? now).getTime() / windowMs);
      return Array.from({ length: Math.min(last - first + 1, 96) }, (_x, i) => first + i);
    });
    const codes = await store.oneTimeCodes.inBuckets(idHash, buckets, { maxSends: config.otp.maxSends, maxWrong: CODE_MAX_ATTEMPTS });
    return codes
      .map(
        (code): CodeView => ({
          createdAt: code.createdAt,
          channel: code.channel,
          toMasked: code.toMasked ?? null,
          status: code.usedAt ? 'used' : code.voidedAt ? 'void' : code.expiresAt <= now ? 'expired' : 'open',
          usedAt: code.usedAt ?? null,
          voidedAt: code.voidedAt ?? null,
          expiresAt: code.expiresAt,
          entries: code.entries,
          callSid: code.sendKey.split(':')[0],
        }),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /**
   * Lifts a card's locks in force (admin only; the route checks the role), with a mandatory reason, recorded in the
   * access log; 409 when nothing is locked (the day's cap, if reached, stays until midnight UTC).
   */
  async unlock(user: ConsoleUser, ref: string, body: unknown, how: AccessHow): Promise<{ idMasked: string; lifted: LockView[] }> {
    const idHash = this.idHashOf(ref);
    const parsed = unlockBody.safeParse(body ?? {});
    if (!parsed.success) throw new AppError(400, 'bad-request', `reason: ${parsed.error.issues[0].message}`);
    const reason = maskFreeText(parsed.data.reason);
    const lifted = await this.deps.store.cardGuards.unlock(idHash, this.now(), this.deps.config.lock, { username: user.username, reason });
    const citizen = await this.deps.store.citizens.findByIdHash(idHash);
    const idMasked = citizen ? maskCitizenId(citizen.idNumber) : (lifted[0]?.idMasked ?? 'unknown');
    if (lifted.length === 0) throw new AppError(409, 'not-locked', 'The card has no lock in force to lift (a day\'s cap of failures, if reached, ends at midnight UTC)');
    const what = lifted.map((lock) => `${lock.factor} until ${lock.until.toISOString()}`).join(', ');
    await this.deps.access.record(user, { what: 'unlock-card', how, subject: `ID ${idMasked}`, detail: `lifted ${what}; reason: ${reason}` });
    return { idMasked, lifted: lifted.map(lockView) };
  }
}
