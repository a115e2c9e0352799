import express, { type RequestHandler } from 'express';
import jambonz from '@jambonz/node-client';
import type { Logger } from '../logging/logger.ts';
import { AppError } from './app-error.ts';

/** The largest webhook body jambonz sends us (call details and the SIP headers of the INVITE). */
const BODY_LIMIT = '64kb';

/** The `call_sid` a body claims, for the refusal's log line only (never under `callSid`: such a line is filed with the call). */
function claimedCallSid(raw: Buffer): string | undefined {
  try {
    const body = JSON.parse(raw.toString('utf8')) as { call_sid?: unknown };
    return typeof body.call_sid === 'string' ? body.call_sid.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a jambonz webhook: the raw body is checked with `@jambonz/node-client`'s own verification (HMAC-SHA256 of
 * the timestamp and the body under the application's webhook secret, at most 5 minutes old) before anything reads
 * it; a missing, forged or stale `Jambonz-Signature` is refused (403) and nothing else happens. Then the JSON body.
 */
export function requireJambonzSignature(options: { secret: string; logger: Logger }): RequestHandler[] {
  const verify = jambonz.WebhookResponse.verifyJambonzSignature(options.secret);
  const check: RequestHandler = (req, res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    req.body = raw;
    let verified = false;
    try {
      verify(req, res, () => {
        verified = true;
      });
    } catch (error) {
      options.logger.warn('jambonz signature rejected', {
        path: req.originalUrl.slice(0, 200),
        present: Boolean(req.header('jambonz-signature')),
        reason: (error as Error).message.slice(0, 100),
        claimedCallSid: claimedCallSid(raw),
      });
    }
    if (!verified) {
      next(new AppError(403, 'bad-signature', 'jambonz signature missing or invalid'));
      return;
    }
    try {
      req.body = JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      next(new AppError(400, 'bad-request', 'body: must be JSON'));
      return;
    }
    next();
  };
  return [express.raw({ type: () => true, limit: BODY_LIMIT }), check];
}
