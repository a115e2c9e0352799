import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logging/logger.ts';
import { JAMBONZ_SAY_ONLY, renderApology as renderJambonzApology, type JambonzSpeech } from '../jambonz/call-verbs.renderer.ts';
import { renderApology, SAY_ONLY, type Speech } from '../twiml/call-response.renderer.ts';
import { AppError } from './app-error.ts';
import type { ConsoleUser } from '../services/supervisor-account.service.ts';
import { DEFAULT_CONSOLE_LANGUAGE } from './console-messages.catalogue.ts';
import { errorPage } from './supervisor-pages.renderer.ts';

/**
 * The one error handler: voice routes answer with a spoken apology (TwiML for Twilio, verbs for jambonz), console
 * pages with HTML, everything else with JSON.
 */
export function errorMiddleware(logger: Logger, speech: Speech = SAY_ONLY, jambonzSpeech: JambonzSpeech = JAMBONZ_SAY_ONLY): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = error instanceof AppError ? error : null;
    // A body parser's error carries an excerpt of the body (a password, a PIN) in its message: only its type is logged.
    const parserType = (error as { type?: unknown }).type;
    const parserStatus = typeof parserType === 'string' ? (error as { status?: number }).status : undefined;
    const status = known?.status ?? parserStatus ?? 500;
    const code = known?.code ?? (parserStatus ? 'bad-request' : 'internal');
    const body = req.body as Record<string, unknown> | undefined;
    const claimed = body?.CallSid ?? body?.call_sid;
    const callSid = typeof claimed === 'string' ? claimed.slice(0, 64) : undefined;
    const reason = known?.message ?? (typeof parserType === 'string' ? parserType : (error as Error).message);
    if (status >= 500 && code !== 'console-busy') logger.error('request failed', { path: req.path, callSid, error: typeof parserType === 'string' ? parserType : error });
    else if (known?.code !== 'bad-signature') logger.warn('request refused', { path: req.path, status, errorCode: code, callSid, reason });
    if (res.headersSent) return;
    if (req.path.startsWith('/voice') && status !== 403) {
      res.status(status >= 500 ? 200 : status).type('text/xml').send(renderApology('both', speech));
      return;
    }
    if (req.path.startsWith('/jambonz') && status !== 403) {
      res.status(status >= 500 ? 200 : status).json(renderJambonzApology('both', jambonzSpeech));
      return;
    }
    const message = known?.message ?? (status >= 500 ? 'Internal error' : 'Bad request');
    if (req.path.startsWith('/supervisor')) {
      const user = res.locals.user as ConsoleUser | undefined;
      res.status(status).type('html').send(errorPage({ language: user?.language ?? DEFAULT_CONSOLE_LANGUAGE, user, path: req.originalUrl }, status, message));
      return;
    }
    res.status(status).json({ error: code, message });
  };
}
