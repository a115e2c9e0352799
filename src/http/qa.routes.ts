import express, { Router } from 'express';
import { z } from 'zod';
import { recipientKey } from '../messaging/messenger.ts';
import { keyedHash, openText } from '../security/secrets.ts';
import { readCallTimeline } from '../services/call-timeline.service.ts';
import { citizenRecord, prepareCitizens } from '../services/citizen-seed.service.ts';
import type { LockRules } from '../storage/card-guard.repository.ts';
import type { Store } from '../storage/store.ts';
import { AppError } from './app-error.ts';
import { bearerMatches } from './bearer-token.ts';
import { isCallId } from '../domain/call-id.ts';

const query = z.object({ to: z.string().min(3).max(254) });
const callSid = z.string().refine(isCallId);
const citizensBody = z.object({
  citizens: z.array(citizenRecord.extend({ failedVerifications: z.number().int().min(0).max(50).optional() })).max(100),
  /** Callers whose open callback request is withdrawn, so a script replays the same way every time. */
  callers: z.array(z.string().regex(/^\+?[0-9]{3,15}$/)).max(100).optional(),
});

/** What the QA routes need: the store, the token, the pepper, the clock, and whether script set-up may write citizens. */
export interface QaRouteOptions {
  qaToken: string;
  pepper: string;
  now: () => Date;
  /** `POST /qa/citizens` exists only when this is true (never in production). */
  allowCitizenSetup: boolean;
  /** The card lock rules, to seed earlier failures the way the line counts them. */
  lockRules: LockRules;
}

/**
 * The QA routes (QA token required): the outbox of messages "sent" to a number or address, a call's timeline
 * (masked, no snapshot or TwiML), and — outside production — loading the citizens a call script declares
 * (with its callers' open callback requests withdrawn).
 */
export function qaRoutes(store: Pick<Store, 'outbox' | 'callSessions' | 'citizens' | 'cardGuards' | 'oneTimeCodes' | 'callbacks'>, options: QaRouteOptions): Router {
  const router = Router();
  router.use((req, _res, next) => {
    if (!bearerMatches(req.header('authorization'), options.qaToken)) throw new AppError(401, 'unauthorized', 'QA token required');
    next();
  });

  router.get('/outbox', async (req, res) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) throw new AppError(400, 'bad-request', 'to: a phone number or email address is required');
    const messages = await store.outbox.listFor(recipientKey(options.pepper, parsed.data.to));
    res.json({
      to: parsed.data.to,
      messages: messages.map((m) => ({ channel: m.channel, to: m.toMasked, at: m.createdAt, body: openText(options.pepper, m.sealedBody) })),
    });
  });

  router.get('/calls/:callSid/timeline', async (req, res) => {
    const sid = callSid.safeParse(req.params.callSid);
    if (!sid.success) throw new AppError(400, 'bad-request', 'callSid: must be a call id (a Twilio CallSid or a jambonz call_sid)');
    const timeline = await readCallTimeline(store, sid.data);
    if (!timeline) throw new AppError(404, 'not-found', 'no such call');
    res.json(timeline);
  });

  if (options.allowCitizenSetup) {
    router.post('/citizens', express.json({ limit: '64kb' }), async (req, res) => {
      const parsed = citizensBody.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError(400, 'bad-request', `${issue.path.join('.')}: ${issue.message}`);
      }
      const prepared = await prepareCitizens(parsed.data.citizens, options.pepper);
      const now = options.now();
      for (const [i, citizen] of prepared.entries()) {
        await store.citizens.upsertMany([{ ...citizen, pinHash: citizen.pinHash ?? null }]);
        await store.cardGuards.resetCard(citizen.idHash);
        await store.oneTimeCodes.forgetCard(citizen.idHash);
        const failures = parsed.data.citizens[i].failedVerifications ?? 0;
        if (failures > 0) await store.cardGuards.seedFailures(citizen.idHash, failures, new Date(now.getTime() - 1000), options.lockRules);
      }
      for (const caller of parsed.data.callers ?? []) await store.callbacks.withdraw(keyedHash(options.pepper, 'caller', caller.replace(/[^0-9]/g, '')));
      res.json({ loaded: prepared.length });
    });
  }
  return router;
}
