import { Router } from 'express';
import { z } from 'zod';
import { recipientKey } from '../messaging/messenger.ts';
import { openText } from '../security/secrets.ts';
import type { OutboxRepository } from '../storage/outbox.repository.ts';
import { AppError } from './app-error.ts';
import { timingSafeEqual } from 'node:crypto';

const query = z.object({ to: z.string().min(3).max(254) });

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The QA outbox: messages the line "sent" to one number or address, newest first (QA token required). */
export function qaRoutes(outbox: OutboxRepository, options: { qaToken: string; pepper: string }): Router {
  const router = Router();
  router.get('/outbox', async (req, res) => {
    if (!tokenMatches(req.header('authorization'), options.qaToken)) throw new AppError(401, 'unauthorized', 'QA token required');
    const parsed = query.safeParse(req.query);
    if (!parsed.success) throw new AppError(400, 'bad-request', 'to: a phone number or email address is required');
    const messages = await outbox.listFor(recipientKey(options.pepper, parsed.data.to));
    res.json({
      to: parsed.data.to,
      messages: messages.map((m) => ({ channel: m.channel, to: m.toMasked, at: m.createdAt, body: openText(options.pepper, m.sealedBody) })),
    });
  });
  return router;
}
