import { randomBytes } from 'node:crypto';
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

const SUBJECTS: Record<Language, { code: string; changed: string }> = {
  'zh-CN': { code: '医保密码热线验证码', changed: '您的社保卡密码已修改' },
  'en-US': { code: 'Your verification code', changed: 'Your card password was changed' },
};

const CHANGED_TEXT: Record<Language, string> = {
  'zh-CN': '【医保密码热线】您的社保卡密码已通过电话修改。如非本人操作，请立即携带身份证原件到社会保障局前台处理。',
  'en-US':
    'Medical insurance hotline: your card password was changed by phone. If this was not you, bring your original ID card to the Social Security Bureau front desk at once.',
};

/** A keyed, salted digest of the first new-PIN entry, kept in the call only to check the second entry. */
function confirmationDigest(pepper: string, pin: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${keyedHash(pepper, `pin-confirm:${salt}`, pin)}`;
}

function matchesConfirmation(pepper: string, digest: string, pin: string): boolean {
  const [salt, hash] = digest.split(':');
  if (!salt || !hash) return false;
  return sameDigest(hash, keyedHash(pepper, `pin-confirm:${salt}`, pin));
}

/** A throwaway hash so an unknown card takes as long to check as a known one. */
let decoyHash: Promise<string> | undefined;

/** The named side effects of the call machine, bound to one turn of one call. */
export function callActors(scope: TurnScope) {
  const { store, config, logger } = scope;
  const turnKey = `${scope.callSid}:${scope.step}`;
  const pepper = config.pinPepper;

  const recordFailure = async (idHash: string, kind: 'code' | 'current-password', codeId: string | null = null): Promise<VerifyResult> => {
    const now = scope.now();
    const result = await store.cardGuards.recordFailure({
      key: turnKey,
      idHash,
      idMasked: scope.idMasked ?? 'unknown',
      callSid: scope.callSid,
      kind,
      codeId,
      threshold: config.lock.afterFailures,
      lockMinutes: config.lock.minutes,
      now,
    });
    logger.info('verification failed', { kind, failures: result.failures, card: scope.idMasked });
    if (codeId && result.codeFailures >= CODE_MAX_ATTEMPTS) {
      await store.oneTimeCodes.void(codeId, now);
      logger.info('code void after wrong entries', { wrongEntries: result.codeFailures });
    }
    if (result.lockedUntil) {
      scope.metrics?.lockout();
      logger.warn('card locked', { kind, card: scope.idMasked, lockedUntil: result.lockedUntil.toISOString(), lockMinutes: config.lock.minutes });
      return 'locked';
    }
    return 'wrong';
  };

  /** Decides whether a code goes out, issues it and hands it over for delivery (bounded by deliver). */
  const issueCode = async (input: { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }) => {
    const now = scope.now();
    const skip = (reason: string): null => {
      logger.info('code not sent', { channel: input.channel, reason });
      return null;
    };
    if (!input.citizenId) return skip('unregistered');
    if (await store.cardGuards.lockedUntil(input.idHash, now)) return skip('locked');
    const since = new Date(now.getTime() - config.otp.sendWindowMinutes * 60_000);
    if ((await store.oneTimeCodes.countSentSince(input.idHash, since)) >= config.otp.maxSends) return skip('send-limit');
    const citizen = await store.citizens.findById(input.citizenId);
    const address = input.channel === 'sms' ? citizen?.mobile : citizen?.email;
    if (!citizen || !address) return skip('no-contact');
    const code = newOneTimeCode();
    const issued = await store.oneTimeCodes.issue({
      idHash: input.idHash,
      citizenId: citizen.id,
      channel: input.channel,
      codeHash: keyedHash(pepper, `otp:${input.idHash}`, code),
      createdAt: now,
      expiresAt: new Date(now.getTime() + config.otp.ttlSeconds * 1000),
      sendKey: turnKey,
    });
    if (!issued) return skip('repeated-delivery');
    const message = { channel: input.channel, to: address, subject: SUBJECTS[input.language].code, body: SMS_TEXT[input.language](code, otpMinutes(config)) };
    return deliver(message, 'code');
  };

  /** Sends, waiting at most `waitMs`, and logs how it went (late failures too); never rejects. */
  const deliver = (message: OutgoingMessage, kind: 'code' | 'change notice', waitMs = config.messageSendTimeoutMs): Promise<void> =>
    sendWithin(scope.messenger, message, waitMs, (error) => {
      logger.error('message delivery failed late', { kind, channel: message.channel, to: message.to, error });
    })
      .then((delivery) => {
        logger.info('message sent', { kind, channel: message.channel, delivery, to: message.to });
      })
      .catch((error: unknown) => {
        logger.error('message delivery failed', { kind, channel: message.channel, to: message.to, error });
      });

  return {
    /** Queues a callback for the caller's number; a number with an open request keeps that one (one open per number). */
    queueCallback: fromPromise<CallbackResult, CallbackInput>(async ({ input }) => {
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
    }),

    identifyCaller: fromPromise<IdentifyResult, { idNumber: string }>(async ({ input }) => {
      const idHash = keyedHash(pepper, 'citizen-id', input.idNumber);
      const citizen = await store.citizens.findByIdHash(idHash);
      logger.info('caller identified', { registered: citizen !== null });
      return { idHash, idMasked: maskCitizenId(input.idNumber), citizenId: citizen?.id ?? null };
    }),

    sendCode: fromPromise<void, { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }>(async ({ input }) => {
      const started = Date.now();
      const untilFloor = () => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, config.codeSendFloorMs - (Date.now() - started))));
      const work = issueCode(input).catch((error: unknown) => {
        logger.error('code request failed', { channel: input.channel, error });
      });
      await Promise.race([work, untilFloor()]);
      await untilFloor();
    }),

    verifyCode: fromPromise<VerifyResult, { idHash: string; code: string }>(async ({ input }) => {
      const now = scope.now();
      if (await store.oneTimeCodes.usedByTurn(turnKey)) return 'ok';
      if (await store.cardGuards.lockedUntil(input.idHash, now)) {
        logger.info('verification refused', { kind: 'code', reason: 'locked' });
        return 'wrong';
      }
      const open = await store.oneTimeCodes.findOpen(input.idHash, now);
      if (open && sameDigest(open.codeHash, keyedHash(pepper, `otp:${input.idHash}`, input.code))) {
        if (await store.oneTimeCodes.consume(open.id, turnKey, now)) {
          await store.cardGuards.recordSuccess(input.idHash, now);
          logger.info('verification passed', { kind: 'code', channel: open.channel });
          return 'ok';
        }
      }
      return recordFailure(input.idHash, 'code', open?.id ?? null);
    }),

    verifyCurrentPin: fromPromise<VerifyResult, { idHash: string; citizenId: string | null; pin: string }>(async ({ input }) => {
      const now = scope.now();
      if (await store.cardGuards.lockedUntil(input.idHash, now)) {
        logger.info('verification refused', { kind: 'current-password', reason: 'locked' });
        return 'wrong';
      }
      const citizen = input.citizenId ? await store.citizens.findById(input.citizenId) : null;
      if (!citizen?.pinHash) {
        decoyHash ??= hashPin('000000', pepper);
        await scope.hashing.run(async () => verifyPin(await decoyHash!, input.pin, pepper));
        return recordFailure(input.idHash, 'current-password');
      }
      const pinHash = citizen.pinHash;
      if (await scope.hashing.run(() => verifyPin(pinHash, input.pin, pepper))) {
        await store.cardGuards.recordSuccess(input.idHash, now);
        logger.info('verification passed', { kind: 'current-password' });
        return 'ok';
      }
      return recordFailure(input.idHash, 'current-password');
    }),

    screenNewPin: fromPromise<ScreenResult, { citizenId: string; pin: string }>(async ({ input }) => {
      const citizen = await store.citizens.findById(input.citizenId);
      if (!citizen) throw new Error('verified citizen not found');
      let reason = weakPinReason(input.pin, citizen.idNumber);
      const currentHash = citizen.pinHash;
      if (!reason && currentHash && (await scope.hashing.run(() => verifyPin(currentHash, input.pin, pepper)))) reason = 'same-as-current';
      if (reason) {
        logger.info('new password refused', { reason });
        return { ok: false, reason };
      }
      return { ok: true, digest: confirmationDigest(pepper, input.pin) };
    }),

    commitNewPin: fromPromise<
      'saved' | 'mismatch',
      { citizenId: string; pin: string; firstDigest: string; verifiedBy: VerificationChannel; language: Language }
    >(async ({ input }) => {
      if (!matchesConfirmation(pepper, input.firstDigest, input.pin)) {
        logger.info('new password entries differ');
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
    }),
  };
}
