import { createHmac } from 'node:crypto';
import { fromPromise } from 'xstate';
import type { CallbackInput, CallbackResult, IdentifyResult, ScreenResult, VerificationChannel, VerifyResult } from '../../flows/call.machine.ts';
import type { Language } from '../../prompts/catalogue.ts';
import { otpMinutes, type Config } from '../config.ts';
import { maskCitizenId } from '../domain/citizen-id.ts';
import { weakPinReason } from '../domain/new-pin.policy.ts';
import type { Logger } from '../logging/logger.ts';
import type { HotlineMetrics } from '../observability/hotline.metrics.ts';
import { sendWithin, type Messenger, type OutgoingMessage } from '../messaging/messenger.ts';
import { hashPin, keyedHash, newOneTimeCode, sameDigest, verifyPin } from '../security/secrets.ts';
import type { Semaphore } from '../security/semaphore.ts';
import type { CardLock, Factor, Reservation } from '../storage/card-guard.repository.ts';
import type { Store } from '../storage/store.ts';

/** What the side effects of one turn need: the shared services and who/where the turn is. */
export interface TurnScope {
  store: Store;
  config: Config;
  messenger: Messenger;
  hashing: Semaphore;
  /** Where lockouts are counted. */
  metrics?: HotlineMetrics;
  logger: Logger;
  callSid: string;
  step: number;
  callerMasked: string;
  /** Keyed hash of the caller's number: the key of the caller's open callback request. */
  callerHash: string;
  /** The card's masked ID once the caller has entered it (for the lock record). */
  idMasked: string | null;
  now: () => Date;
}

/** Wrong entries after which a one-time code is void. */
export const CODE_MAX_ATTEMPTS = 5;

/** How long a repeated confirmation waits for the delivery that is saving the password. */
const COMMIT_WAIT_MS = 5000;

/** How long the caller waits, at most, for the change notice to be handed over before hearing "done". */
const NOTICE_WAIT_MS = 1000;

const SMS_TEXT: Record<Language, (code: string, minutes: number) => string> = {
  'zh-CN': (code, minutes) => `【医保密码热线】您的验证码是${code}，${minutes}分钟内有效。请勿告诉任何人。`,
  'en-US': (code, minutes) => `Medical insurance hotline: your code is ${code}. It is valid for ${minutes} minutes. Never share it.`,
};

const SUBJECTS: Record<Language, { code: string; changed: string; locked: string }> = {
  'zh-CN': { code: '医保密码热线验证码', changed: '您的社保卡密码已修改', locked: '社保卡电话验证已暂停 / Card verification paused' },
  'en-US': { code: 'Your verification code', changed: 'Your card password was changed', locked: 'Card verification paused' },
};

const CHANGED_TEXT: Record<Language, string> = {
  'zh-CN': '【医保密码热线】您的社保卡密码已通过电话修改。如非本人操作，请立即携带身份证原件到社会保障局前台处理。',
  'en-US':
    'Medical insurance hotline: your card password was changed by phone. If this was not you, bring your original ID card to the Social Security Bureau front desk at once.',
};

const LOCK_TEXT: Record<Factor, (minutes: number) => string> = {
  'current-password': (minutes) =>
    `【医保密码热线】您的社保卡因多次输入错误密码，电话密码验证已暂停${minutes}分钟。如非本人操作，您仍可通过短信或邮件验证码重设密码。Medical insurance hotline: after repeated wrong passwords, checking your card password by phone is paused for ${minutes} minutes. If this was not you, you can still reset it with a code sent to you.`,
  code: (minutes) =>
    `【医保密码热线】您的社保卡因多次输入错误验证码，电话验证码验证已暂停${minutes}分钟。如非本人操作，请勿向任何人透露验证码。Medical insurance hotline: after repeated wrong codes, code checks for your card by phone are paused for ${minutes} minutes. If this was not you, never share a code with anyone.`,
};

/** Marks, in the call's persisted context, that the first new-PIN entry is held in the call's secrets (the entry itself never is). */
export const FIRST_PIN_HELD = 'held-in-call-secrets';

/** How long a repeated delivery of a turn waits for the first delivery's outcome. */
const REPEAT_WAIT_MS = 5000;

/** A claim with no outcome after this long belongs to a delivery that died (a turn settles within 10 s). */
const CLAIM_STALE_MS = 15_000;

/** How long a repeated "send me a code" waits for the first delivery to say it handed its code over. */
const SEND_HANDOVER_WAIT_MS = 1_000;

/** A throwaway hash so an unknown card takes as long to check as a known one. */
let decoyHash: Promise<string> | undefined;

/** The named side effects of the call machine, bound to one turn of one call (plain functions; see effectActors). */
export function callEffects(scope: TurnScope) {
  const { store, config, logger } = scope;
  const turnKey = `${scope.callSid}:${scope.step}`;
  const pepper = config.pinPepper;
  const owner = (factor: Factor, idHash: string) => ({ factor, idHash, idMasked: scope.idMasked ?? 'unknown', callSid: scope.callSid, turnKey });

  /**
   * Runs a side effect once per turn: the first delivery claims `<what>:<turn>` and records the outcome; a repeated
   * delivery of the same turn waits for that outcome instead of evaluating (and counting) the same entry again.
   */
  const oncePerTurn = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const key = attempt === 0 ? `${what}:${turnKey}` : `${what}:${turnKey}#${attempt}`;
      if (await store.turnClaims.claim(key, scope.now())) {
        const result = await run();
        await store.turnClaims.settle(key, JSON.stringify(result));
        return result;
      }
      const first = await store.turnClaims.outcome(key, REPEAT_WAIT_MS);
      if (first?.outcome) return JSON.parse(first.outcome) as T;
      if (first && scope.now().getTime() - first.at.getTime() < CLAIM_STALE_MS) break;
    }
    throw new Error(`the first delivery of ${what} left no outcome`);
  };

  /** A lock was just recorded (once per lock): count it, log it, and tell the card holder in the background. */
  const lockRecorded = async (lock: CardLock): Promise<void> => {
    const minutes = Math.round((lock.until.getTime() - lock.at.getTime()) / 60_000);
    scope.metrics?.lockout();
    logger.warn('card locked', { kind: lock.factor, card: lock.idMasked, lockedUntil: lock.until.toISOString(), lockMinutes: minutes });
    const citizen = await store.citizens.findByIdHash(lock.idHash);
    const notice = citizen?.mobile ? { channel: 'sms' as const, to: citizen.mobile } : citizen?.email ? { channel: 'email' as const, to: citizen.email } : null;
    if (!notice) return;
    void deliver({ ...notice, subject: SUBJECTS['zh-CN'].locked, body: LOCK_TEXT[lock.factor](minutes) }, 'lock notice', 0);
  };

  /**
   * Reserves one attempt of a factor before its guess is evaluated. When it is refused (locked, or the day's
   * failures used up) the reason is logged for the console, never spoken: the caller hears a wrong entry.
   */
  const reserve = async (factor: Factor, idHash: string) => {
    const reservation = await store.cardGuards.reserve(owner(factor, idHash), scope.now(), config.lock);
    if (reservation.kind === 'refused') {
      logger.info('verification refused', { kind: factor, reason: reservation.reason, lockedUntil: reservation.until.toISOString() });
      if (reservation.lockCreated && reservation.lock) await lockRecorded(reservation.lock);
    }
    return reservation;
  };

  /** A wrong guess keeps its slot; when it fills its epoch the factor is locked (and this caller hears so). */
  const wrongGuess = async (factor: Factor, idHash: string, reservation: Extract<Reservation, { kind: 'reserved' }>, logged = true): Promise<VerifyResult> => {
    if (logged) logger.info('verification failed', { kind: factor, card: scope.idMasked });
    const full = await store.cardGuards.lockIfFull(owner(factor, idHash), reservation.epoch, scope.now(), config.lock);
    if (!full) return 'wrong';
    if (full.created) await lockRecorded(full.lock);
    return 'locked';
  };

  /** Decides whether a code goes out, issues it into a send slot and hands it over for delivery (bounded by deliver). */
  const issueCode = async (input: { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }) => {
    const now = scope.now();
    const skip = (reason: string): null => {
      logger.info('code not sent', { channel: input.channel, reason });
      return null;
    };
    if (!input.citizenId) return skip('unregistered');
    if (await store.cardGuards.lockedUntil('code', input.idHash, now)) return skip('locked');
    if (!(await claimSend(now))) return skip('repeated-delivery');
    const citizen = await store.citizens.findById(input.citizenId);
    const address = input.channel === 'sms' ? citizen?.mobile : citizen?.email;
    if (!citizen || !address) return skip('no-contact');
    const code = newOneTimeCode();
    const issued = await store.oneTimeCodes.issue(
      {
        idHash: input.idHash,
        citizenId: citizen.id,
        channel: input.channel,
        codeHash: keyedHash(pepper, `otp:${input.idHash}`, code),
        createdAt: now,
        expiresAt: new Date(now.getTime() + config.otp.ttlSeconds * 1000),
        sendKey: turnKey,
      },
      { maxSends: config.otp.maxSends, windowMinutes: config.otp.sendWindowMinutes },
    );
    if (!issued) return skip('send-limit');
    const message = { channel: input.channel, to: address, subject: SUBJECTS[input.language].code, body: SMS_TEXT[input.language](code, otpMinutes(config)) };
    const delivered = deliver(message, 'code');
    await store.turnClaims.settle(sendClaim, 'handed-over');
    return delivered;
  };

  /**
   * Claims this turn's code send. A repeated delivery finds the claim: if the first delivery handed its code over
   * (the claim says so), nothing more is sent; if the claim has no such word within a second, that delivery died
   * between claiming and handing over (an instance killed mid-turn), so this one sends a code after all, under a
   * second claim (a second repeat finds that one taken and sends nothing).
   */
  let sendClaim = `send:${turnKey}`;
  const claimSend = async (now: Date): Promise<boolean> => {
    if (await store.turnClaims.claim(sendClaim, now)) return true;
    const first = await store.turnClaims.outcome(sendClaim, SEND_HANDOVER_WAIT_MS);
    if (first?.outcome) return false;
    sendClaim = `send:${turnKey}#1`;
    if (!(await store.turnClaims.claim(sendClaim, now))) return false;
    logger.warn('code send resumed', { reason: 'the first delivery of this turn never handed its code over' });
    return true;
  };

  /** Sends, waiting at most `waitMs`, and logs how it went (late failures too); never rejects. */
  const deliver = (message: OutgoingMessage, kind: 'code' | 'change notice' | 'lock notice', waitMs = config.messageSendTimeoutMs): Promise<void> =>
    sendWithin(scope.messenger, message, waitMs, (error) => {
      logger.error('message delivery failed late', { kind, channel: message.channel, to: message.to, error });
    })
      .then((delivery) => {
        logger.info('message sent', { kind, channel: message.channel, delivery, to: message.to });
      })
      .catch((error: unknown) => {
        logger.error('message delivery failed', { kind, channel: message.channel, to: message.to, error });
      });

  /**
   * Whether a proposed PIN is the current one. After the current password was given this is free. After a code it is
   * a guess at the current password, so it takes a slot of that factor like any guess (a miss keeps it) and is skipped
   * while that factor is locked: an interceptor of the code learns nothing about the current password for free.
   */
  const sameAsCurrent = async (idHash: string, pinHash: string, pin: string, verifiedBy: VerificationChannel | null): Promise<boolean> => {
    if (verifiedBy === 'current-password') return scope.hashing.run(() => verifyPin(pinHash, pin, pepper));
    const reservation = await store.cardGuards.reserve(owner('current-password', idHash), scope.now(), config.lock);
    if (reservation.kind === 'refused') {
      logger.info('current password not compared', { reason: reservation.reason, lockedUntil: reservation.until.toISOString() });
      if (reservation.lockCreated && reservation.lock) await lockRecorded(reservation.lock);
      return false;
    }
    if (await scope.hashing.run(() => verifyPin(pinHash, pin, pepper))) {
      await store.cardGuards.release(owner('current-password', idHash), reservation, { endRun: false });
      return true;
    }
    await wrongGuess('current-password', idHash, reservation, false);
    return false;
  };

  /** The first new-PIN entry keyed with the call's random key (kept in the call's secrets, never in a snapshot). */
  const keyedEntry = (key: string, pin: string): string => createHmac('sha256', Buffer.from(key, 'base64')).update(pin).digest('hex');

  return {
    /** Queues a callback for the caller's number; a number with an open request keeps that one (one open per number). */
    queueCallback: async (input: CallbackInput): Promise<CallbackResult> => {
      const now = scope.now();
      const request = {
        callSid: scope.callSid,
        callerMasked: scope.callerMasked,
        language: input.language,
        reason: input.reason,
        state: input.state,
        agentLine: input.agentLine,
        requestedAt: now,
        dueBy: new Date(now.getTime() + config.callback.withinHours * 3_600_000),
      };
      if (await store.callbacks.open(scope.callerHash, request)) {
        logger.info('callback queued', { reason: input.reason, state: input.state, agentLine: input.agentLine });
        return 'queued';
      }
      // A repeated delivery of this very turn finds its own request: still "queued" for this caller.
      const open = await store.callbacks.findOpen(scope.callerHash);
      if (open?.callSid === scope.callSid) return 'queued';
      logger.info('callback already open for this number', { openedBy: open?.callSid ?? null });
      return 'exists';
    },

    identifyCaller: async (input: { idNumber: string }): Promise<IdentifyResult> => {
      const idHash = keyedHash(pepper, 'citizen-id', input.idNumber);
      const citizen = await store.citizens.findByIdHash(idHash);
      logger.info('caller identified', { registered: citizen !== null });
      return { idHash, idMasked: maskCitizenId(input.idNumber), citizenId: citizen?.id ?? null };
    },

    sendCode: async (input: { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }): Promise<void> => {
      const started = Date.now();
      const untilFloor = () => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, config.codeSendFloorMs - (Date.now() - started))));
      const work = issueCode(input).catch((error: unknown) => {
        logger.error('code request failed', { channel: input.channel, error });
      });
      await Promise.race([work, untilFloor()]);
      await untilFloor();
    },

    verifyCode: (input: { idHash: string; code: string }): Promise<VerifyResult> =>
      oncePerTurn('verify', async (): Promise<VerifyResult> => {
        const reservation = await reserve('code', input.idHash);
        if (reservation.kind === 'refused') return 'wrong';
        const now = scope.now();
        const open = await store.oneTimeCodes.findOpen(input.idHash, now);
        if (!open) {
          logger.info('verification refused', { kind: 'code', reason: 'no-open-code' });
          return wrongGuess('code', input.idHash, reservation, false);
        }
        const entry = await store.oneTimeCodes.reserveEntry(open, { callSid: scope.callSid, turnKey }, now, CODE_MAX_ATTEMPTS);
        if (!entry) {
          logger.info('verification refused', { kind: 'code', reason: 'code-void' });
          return wrongGuess('code', input.idHash, reservation, false);
        }
        if (sameDigest(open.codeHash, keyedHash(pepper, `otp:${input.idHash}`, input.code)) && (await store.oneTimeCodes.consume(open.id, turnKey, now))) {
          await store.cardGuards.release(owner('code', input.idHash), reservation, { endRun: true });
          logger.info('verification passed', { kind: 'code', channel: open.channel });
          return 'ok';
        }
        if (entry.index === CODE_MAX_ATTEMPTS - 1) {
          await store.oneTimeCodes.void(open.id, now);
          logger.info('code void after wrong entries', { wrongEntries: CODE_MAX_ATTEMPTS });
        }
        return wrongGuess('code', input.idHash, reservation);
      }),

    verifyCurrentPin: (input: { idHash: string; citizenId: string | null; pin: string }): Promise<VerifyResult> =>
      oncePerTurn('verify', async (): Promise<VerifyResult> => {
        const reservation = await reserve('current-password', input.idHash);
        if (reservation.kind === 'refused') return 'wrong';
        const citizen = input.citizenId ? await store.citizens.findById(input.citizenId) : null;
        const pinHash = citizen?.pinHash;
        if (!pinHash) {
          decoyHash ??= hashPin('000000', pepper);
          await scope.hashing.run(async () => verifyPin(await decoyHash!, input.pin, pepper));
          return wrongGuess('current-password', input.idHash, reservation);
        }
        if (await scope.hashing.run(() => verifyPin(pinHash, input.pin, pepper))) {
          await store.cardGuards.release(owner('current-password', input.idHash), reservation, { endRun: true });
          logger.info('verification passed', { kind: 'current-password' });
          return 'ok';
        }
        return wrongGuess('current-password', input.idHash, reservation);
      }),

    screenNewPin: (input: { citizenId: string; pin: string; verifiedBy: VerificationChannel | null }): Promise<ScreenResult> =>
      oncePerTurn('screen', async (): Promise<ScreenResult> => {
        const citizen = await store.citizens.findById(input.citizenId);
        if (!citizen) throw new Error('verified citizen not found');
        let reason = weakPinReason(input.pin, citizen.idNumber, citizen.mobile);
        if (!reason && citizen.pinHash && (await sameAsCurrent(citizen.idHash, citizen.pinHash, input.pin, input.verifiedBy))) reason = 'same-as-current';
        if (reason) {
          logger.info('new password refused', { reason });
          return { ok: false, reason };
        }
        const key = await store.callSecrets.keyFor(scope.callSid, scope.now());
        await store.callSecrets.setFirstPin(scope.callSid, keyedEntry(key, input.pin));
        return { ok: true, digest: FIRST_PIN_HELD };
      }),

    commitNewPin: async (input: { citizenId: string; pin: string; firstDigest: string; verifiedBy: VerificationChannel; language: Language }): Promise<'saved' | 'mismatch'> => {
      const secret = input.firstDigest === FIRST_PIN_HELD ? await store.callSecrets.find(scope.callSid) : null;
      if (!secret?.firstPin || !sameDigest(secret.firstPin, keyedEntry(secret.key, input.pin))) {
        logger.info('new password entries differ', { firstEntryHeld: Boolean(secret?.firstPin) });
        return 'mismatch';
      }
      const citizen = await store.citizens.findById(input.citizenId);
      if (!citizen) throw new Error('verified citizen not found');
      const now = scope.now();
      const claimed = await store.passwordChanges.claim({
        citizenId: citizen.id,
        idHash: citizen.idHash,
        idMasked: maskCitizenId(citizen.idNumber),
        at: now,
        callSid: scope.callSid,
        channel: input.verifiedBy,
        callerMasked: scope.callerMasked,
        status: 'pending',
      });
      if (!claimed) {
        logger.info('password change claimed by a concurrent delivery; waiting for it');
        if ((await store.passwordChanges.waitUntilSettled(scope.callSid, COMMIT_WAIT_MS)) === 'done') return 'saved';
        throw new Error('concurrent password change did not complete');
      }
      try {
        const pinHash = await scope.hashing.run(() => hashPin(input.pin, pepper));
        await store.citizens.setPinHash(citizen.id, pinHash, now);
      } catch (error) {
        await store.passwordChanges.settle(scope.callSid, 'failed').catch(() => undefined);
        throw error;
      }
      await store.passwordChanges.settle(scope.callSid, 'done');
      logger.info('password changed', { channel: input.verifiedBy });
      const notice = citizen.mobile
        ? { channel: 'sms' as const, to: citizen.mobile }
        : citizen.email
          ? { channel: 'email' as const, to: citizen.email }
          : null;
      if (notice) await deliver({ ...notice, subject: SUBJECTS[input.language].changed, body: CHANGED_TEXT[input.language] }, 'change notice', NOTICE_WAIT_MS);
      return 'saved';
    },
  };
}

/** The side effects of one turn, by name. */
export type CallEffects = ReturnType<typeof callEffects>;

/**
 * The machine's named actors, built once: each runs the effect of the turn its actor system belongs to (the turn
 * service registers a turn's effects for its actor's system), so the machine is provided once, not once a turn.
 */
export function effectActors(effectsFor: (system: object) => CallEffects) {
  return {
    queueCallback: fromPromise<CallbackResult, CallbackInput>(({ input, system }) => effectsFor(system).queueCallback(input)),
    identifyCaller: fromPromise<IdentifyResult, { idNumber: string }>(({ input, system }) => effectsFor(system).identifyCaller(input)),
    sendCode: fromPromise<void, { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }>(({ input, system }) => effectsFor(system).sendCode(input)),
    verifyCode: fromPromise<VerifyResult, { idHash: string; code: string }>(({ input, system }) => effectsFor(system).verifyCode(input)),
    verifyCurrentPin: fromPromise<VerifyResult, { idHash: string; citizenId: string | null; pin: string }>(({ input, system }) => effectsFor(system).verifyCurrentPin(input)),
    screenNewPin: fromPromise<ScreenResult, { citizenId: string; pin: string; verifiedBy: VerificationChannel | null }>(({ input, system }) => effectsFor(system).screenNewPin(input)),
    commitNewPin: fromPromise<'saved' | 'mismatch', { citizenId: string; pin: string; firstDigest: string; verifiedBy: VerificationChannel; language: Language }>(({ input, system }) =>
      effectsFor(system).commitNewPin(input),
    ),
  };
}
