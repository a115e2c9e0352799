import { readFileSync } from 'node:fs';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from './app-error.ts';
import { accessLogPage, accountsPage, passwordAuditPage } from './audit-pages.renderer.ts';
import { cardLookupPage, cardPage } from './card-pages.renderer.ts';
import type { PageContext } from './console-layout.renderer.ts';
import { dashboardPage } from './dashboard-page.renderer.ts';
import { DEFAULT_CONSOLE_LANGUAGE, isConsoleLanguage, msg, type ConsoleLanguage } from './console-messages.catalogue.ts';
import { consoleHeaders, requirePermission, requireSameOrigin, requireSupervisor, sessionToken, setSessionCookie, userOf } from './supervisor-auth.middleware.ts';
import { callbacksPage, callPage, flowPage, loginPage, searchPage } from './supervisor-pages.renderer.ts';
import type { ConsoleDeps } from './supervisor-api.routes.ts';

const CSS = readFileSync(new URL('./assets/console.css', import.meta.url), 'utf8');

const loginForm = z.object({
  username: z.string().trim().toLowerCase().max(64).default(''),
  password: z.string().max(256).default(''),
  next: z.string().max(500).optional(),
  lang: z.string().max(10).optional(),
});

const languageForm = z.object({ language: z.string().max(10), back: z.string().max(500).optional() });
const roleForm = z.object({ role: z.string().max(20) });

/** Where to go after signing in or switching language: only a console path, never another site. */
function safeNext(next: string | undefined): string {
  return next && /^\/supervisor(\/|$|\?)/.test(next) && !next.startsWith('//') && !next.includes('\\') ? next : '/supervisor/dashboard';
}

/** How long to wait, in words: seconds under two minutes, else minutes. */
function waitText(language: ConsoleLanguage, seconds: number): string {
  return seconds >= 120 ? msg(language, 'wait.minutes', { n: Math.ceil(seconds / 60) }) : msg(language, 'wait.seconds', { n: seconds });
}

/** The language of a page shown before sign-in: `?lang=` (or the login form's field), Chinese by default. */
function loginLanguage(value: unknown): ConsoleLanguage {
  return isConsoleLanguage(value) ? value : DEFAULT_CONSOLE_LANGUAGE;
}

const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

/** The supervisor console's pages under /supervisor: login, today's dashboard, call search, call detail, flow view, callback queue, access log, accounts. */
export function supervisorRoutes(deps: ConsoleDeps & { now?: () => Date }): Router {
  const { auth, accounts, review, access } = deps;
  const now = deps.now ?? (() => new Date());
  const secure = deps.publicBaseUrl.startsWith('https:');
  const router = Router();
  router.use(consoleHeaders, requireSameOrigin(deps.publicBaseUrl));
  const ctx = (req: Request, res: Response): PageContext => {
    const user = userOf(res);
    return { language: user.language, user, path: req.originalUrl, timeZone: deps.timeZone };
  };

  router.get('/assets/console.css', (_req, res) => {
    res.type('text/css').setHeader('Cache-Control', 'public, max-age=3600');
    res.send(CSS);
  });

  router.get('/login', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const next = typeof req.query.next === 'string' ? safeNext(req.query.next) : undefined;
    res.type('html').send(loginPage({ language: loginLanguage(req.query.lang), languageChosen: isConsoleLanguage(req.query.lang), path: req.originalUrl }, { next }));
  });

  router.post('/login', form, async (req, res) => {
    const parsedForm = loginForm.safeParse(req.body ?? {});
    if (!parsedForm.success) throw new AppError(400, 'bad-request', 'username and password are required');
    const f = parsedForm.data;
    const language = loginLanguage(f.lang);
    const result = await auth.login(f.username, f.password, req.ip ?? 'unknown');
    res.setHeader('Cache-Control', 'no-store');
    if (!result.ok) {
      if (result.reason !== 'wrong') res.setHeader('Retry-After', String(result.retryAfterSeconds));
      const error =
        result.reason === 'throttled'
          ? msg(language, 'login.throttled', { wait: waitText(language, result.retryAfterSeconds) })
          : result.reason === 'busy'
            ? msg(language, 'login.busy')
            : msg(language, 'login.wrong');
      res
        .status(result.reason === 'wrong' ? 401 : 429)
        .type('html')
        .send(loginPage({ language, languageChosen: isConsoleLanguage(f.lang), path: '/supervisor/login' }, { error, username: f.username, next: f.next }));
      return;
    }
    if (isConsoleLanguage(f.lang)) await accounts.adoptLanguage(result.username, f.lang);
    setSessionCookie(res, result.token, { secure });
    res.redirect(303, safeNext(f.next));
  });

  router.post('/logout', async (req, res) => {
    await auth.logout(sessionToken(req));
    setSessionCookie(res, null, { secure });
    res.redirect(303, '/supervisor/login');
  });

  router.use(requireSupervisor(auth, accounts, 'page'));

  router.post('/language', form, async (req, res) => {
    const parsed = languageForm.safeParse(req.body ?? {});
    if (!parsed.success) throw new AppError(400, 'bad-request', 'language: zh-CN or en-US');
    await accounts.setLanguage(userOf(res).username, parsed.data.language);
    res.redirect(303, safeNext(parsed.data.back));
  });

  router.get('/', (_req, res) => res.redirect(303, '/supervisor/dashboard'));

  router.get('/dashboard', requirePermission('calls', 'page'), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(dashboardPage(ctx(req, res), await deps.dashboard.today()));
  });

  router.get('/calls', requirePermission('calls', 'page'), async (req, res) => {
    const parsed = review.parseSearch(req.query);
    const page = await review.searchAs(userOf(res), parsed, 'page');
    res.type('html').send(searchPage(ctx(req, res), parsed, page, now()));
  });

  router.get('/calls/:callSid', requirePermission('calls', 'page'), async (req, res) => {
    const timeline = await review.viewCall(userOf(res), String(req.params.callSid).slice(0, 64), 'page');
    res.type('html').send(callPage(ctx(req, res), timeline));
  });

  router.get('/calls/:callSid/card', requirePermission('calls', 'page'), async (req, res) => {
    res.redirect(303, `/supervisor/cards/${await deps.cards.refOfCall(String(req.params.callSid).slice(0, 64))}`);
  });

  router.get('/cards', requirePermission('calls', 'page'), async (req, res) => {
    const found = await deps.cards.lookup(userOf(res), req.query, 'page');
    if (found?.kind === 'card') {
      res.redirect(303, `/supervisor/cards/${found.ref}`);
      return;
    }
    res.type('html').send(cardLookupPage(ctx(req, res), typeof req.query.id === 'string' ? req.query.id.slice(0, 32) : '', found));
  });

  router.get('/cards/:ref', requirePermission('calls', 'page'), async (req, res) => {
    const { unlocked, ...rest } = req.query;
    const card = await deps.cards.viewCard(userOf(res), String(req.params.ref), rest, 'page');
    res.type('html').send(cardPage(ctx(req, res), card, { unlocked: unlocked === '1' }));
  });

  router.post('/cards/:ref/unlock', requirePermission('unlock', 'page'), express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 }), async (req, res) => {
    const ref = String(req.params.ref);
    await deps.cards.unlock(userOf(res), ref, req.body, 'page');
    res.redirect(303, `/supervisor/cards/${ref}?unlocked=1`);
  });

  router.get('/flow', requirePermission('calls', 'page'), async (req, res) => {
    const range = review.parseRange(req.query);
    const [view, funnel] = await Promise.all([review.flow(range), review.funnel(range)]);
    res.type('html').send(await flowPage(ctx(req, res), view, range.form, funnel, now()));
  });

  router.get('/access-log', requirePermission('audit', 'page'), async (req, res) => {
    const q = access.parseQuery(req.query);
    res.type('html').send(accessLogPage(ctx(req, res), q, await access.read(q), now()));
  });

  router.get('/password-changes', requirePermission('audit', 'page'), async (req, res) => {
    const q = deps.audit.parseQuery(req.query);
    res.type('html').send(passwordAuditPage(ctx(req, res), q, await deps.audit.readAs(userOf(res), q, 'page'), now()));
  });

  router.get('/accounts', requirePermission('accounts', 'page'), async (req, res) => {
    res.type('html').send(accountsPage(ctx(req, res), await accounts.list()));
  });

  router.post('/accounts/:username/role', requirePermission('accounts', 'page'), form, async (req, res) => {
    const parsed = roleForm.safeParse(req.body ?? {});
    if (!parsed.success) throw new AppError(400, 'bad-request', 'role: supervisor, auditor or admin');
    const username = String(req.params.username).slice(0, 64);
    await accounts.setRole(userOf(res), username, parsed.data.role, 'page');
    res.redirect(303, '/supervisor/accounts');
  });

  router.get('/callbacks', requirePermission('calls', 'page'), async (req, res) => {
    res.type('html').send(callbacksPage(ctx(req, res), await deps.callbacks.open()));
  });

  router.post('/callbacks/:callSid/close', requirePermission('calls', 'page'), express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 }), async (req, res) => {
    await deps.callbacks.close(userOf(res).username, String(req.params.callSid), req.body);
    res.redirect(303, '/supervisor/callbacks');
  });

  return router;
}
