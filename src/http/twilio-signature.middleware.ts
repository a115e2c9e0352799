import type { RequestHandler } from 'express';
import twilio from 'twilio';
import type { Logger } from '../logging/logger.ts';
import { AppError } from './app-error.ts';

/** The URL Twilio signed: the public base URL plus the path and query it requested. */
export function signedUrl(publicBaseUrl: string, originalUrl: string): string {
  return `${publicBaseUrl}${originalUrl}`;
}

/** Refuses (403) any request whose X-Twilio-Signature is missing or does not match the auth token. */
export function requireTwilioSignature(options: { authToken: string; publicBaseUrl: string; enabled: boolean; logger: Logger }): RequestHandler {
  if (!options.enabled) {
    options.logger.warn('twilio signature check disabled', { setting: 'TWILIO_SIGNATURE_CHECK=false' });
    return (_req, _res, next) => next();
  }
  return (req, _res, next) => {
    const signature = req.header('x-twilio-signature');
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const url = signedUrl(options.publicBaseUrl, req.originalUrl);
    if (!signature || !twilio.validateRequest(options.authToken, signature, url, params)) {
      // Not under `callSid`: a line with that field is stored with the call, and an unsigned request must write nothing.
      const claimedCallSid = typeof params.CallSid === 'string' ? params.CallSid.slice(0, 64) : undefined;
      options.logger.warn('twilio signature rejected', { path: req.originalUrl.slice(0, 200), present: Boolean(signature), claimedCallSid });
      next(new AppError(403, 'bad-signature', 'Twilio signature missing or invalid'));
      return;
    }
    next();
  };
}
