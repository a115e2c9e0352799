import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { can, PERMISSION_ROLE, type Permission } from '../domain/supervisor-role.policy.ts';
import type { ConsoleUser, SupervisorAccountService } from '../services/supervisor-account.service.ts';
import type { SupervisorAuthService } from '../services/supervisor-auth.service.ts';
import { AppError } from './app-error.ts';
import { labelOf, msg, ROLE_LABELS } from './console-messages.catalogue.ts';

/** The name of the console's session cookie. */
export const SESSION_COOKIE = 'hotline_supervisor';

/** The session token from the request's cookie, if any. */
export function sessionToken(req: Request): string | undefined {
  const header = req.header('cookie') ?? '';
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/**
 * Sets (or, with a null token, clears) the session cookie: HttpOnly, SameSite=Strict, Secure when the public URL is
 * https. A browser-session cookie: the expiry is enforced by the server (the app's clock), not by the browser.
 */
export function setSessionCookie(res: Response, token: string | null, options: { secure: boolean }): void {
  const parts = [`${SESSION_COOKIE}=${token ? encodeURIComponent(token) : ''}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  if (!token) parts.push('Max-Age=0');
  res.append('Set-Cookie', parts.join('; '));
}

/** The signed-in supervisor of a request (set by requireSupervisor). */
export function supervisorOf(res: Response): string {
  return userOf(res).username;
}

/** The signed-in supervisor's name, role and console language (set by requireSupervisor). */
export function userOf(res: Response): ConsoleUser {
  return res.locals.user as ConsoleUser;
}

/**
 * Lets a request through only with a live session of an existing account: the API answers 401, pages redirect to
 * the login form. Puts the account's role and language on the response for the routes and the error page.
 */
export function requireSupervisor(auth: SupervisorAuthService, accounts: SupervisorAccountService, mode: 'page' | 'api'): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const username = await auth.authenticate(sessionToken(req));
    const user = username ? await accounts.profile(username) : null;
    if (!user) {
      if (mode === 'api') throw new AppError(401, 'unauthorized', 'Sign in to the supervisor console first');
      const back = req.originalUrl.startsWith('/supervisor') ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
      res.redirect(303, `/supervisor/login${back}`);
      return;
    }
    res.locals.user = user;
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/**
 * Lets a request through only when the signed-in supervisor's role has the permission; otherwise 403 saying which
 * role it needs (pages in the supervisor's language, the API in English).
 */
export function requirePermission(permission: Permission, mode: 'page' | 'api'): RequestHandler {
  return (_req, res, next) => {
    const user = userOf(res);
    if (!can(user.role, permission)) {
      const language = mode === 'api' ? 'en-US' : user.language;
      const needed = labelOf(ROLE_LABELS, language, PERMISSION_ROLE[permission]);
      throw new AppError(403, 'forbidden', msg(language, 'error.forbidden', { needed, role: labelOf(ROLE_LABELS, language, user.role) }));
    }
    next();
  };
}

/** Refuses state-changing requests whose Origin (or Referer) is not the console's own: CSRF defence next to SameSite=Strict. */
export function requireSameOrigin(publicBaseUrl: string): RequestHandler {
  const configured = new URL(publicBaseUrl).origin;
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const given = req.header('origin') ?? originOf(req.header('referer'));
    const own = `${req.protocol}://${req.get('host') ?? ''}`;
    if (!given || (given !== configured && given !== own)) throw new AppError(403, 'bad-origin', 'Cross-site request refused');
    next();
  };
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Headers for every console response: no framing, no sniffing, scripts none, styles and images from the app only. */
export const consoleHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
};
