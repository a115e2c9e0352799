import { readFileSync } from 'node:fs';
import express, { Router } from 'express';
import { z } from 'zod';
import { AppError } from './app-error.ts';
import type { CallReviewService } from '../services/call-review.service.ts';
import type { CallbackQueueService } from '../services/callback-queue.service.ts';
import type { SupervisorAuthService } from '../services/supervisor-auth.service.ts';
import { consoleHeaders, requireSameOrigin, requireSupervisor, sessionToken, setSessionCookie, supervisorOf } from './supervisor-auth.middleware.ts';
import { callbacksPage, callPage, flowPage, loginPage, searchPage } from './supervisor-pages.renderer.ts';

const CSS = readFileSync(new URL('./assets/console.css', import.meta.url), 'utf8');

const loginForm = z.object({
  username: z.string().trim().toLowerCase().max(64).default(''),
  password: z.string().max(256).default(''),
  next: z.string().max(500).optional(),
});

/** Where to go after signing in: only a console path, never another site. */
function safeNext(next: string | undefined): string {
  return next && /^\/supervisor(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/supervisor/calls';
}

/** The supervisor console's pages under /supervisor: login, call search, call detail, flow view, callback queue. */
export function supervisorRoutes(deps: {
  auth: SupervisorAuthService;
  review: CallReviewService;
  callbacks: CallbackQueueService;
  publicBaseUrl: string;
  lockMinutes: number;
}): Router {
  const { auth, review } = deps;
  const secure = deps.publicBaseUrl.startsWith('https:');
  const router = Router();
  router.use(consoleHeaders, requireSameOrigin(deps.publicBaseUrl));

  router.get('/assets/console.css', (_req, res) => {
    res.type('text/css').setHeader('Cache-Control', 'public, max-age=3600');
    res.send(CSS);
  });

  router.get('/login', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(loginPage({ next: typeof req.query.next === 'string' ? safeNext(req.query.next) : undefined }));
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), async (req, res) => {
    const parsedForm = loginForm.safeParse(req.body ?? {});
    if (!parsedForm.success) throw new AppError(400, 'bad-request', 'username and password are required');
    const form = parsedForm.data;
    const result = await auth.login(form.username, form.password, req.ip ?? 'unknown');
    res.setHeader('Cache-Control', 'no-store');
    if (!result.ok) {
      const error = result.reason === 'throttled' ? `Too many failed sign-ins. Try again in ${deps.lockMinutes} minutes.` : 'Wrong username or password.';
      res.status(result.reason === 'throttled' ? 429 : 401).type('html').send(loginPage({ error, username: form.username, next: form.next }));
      return;
    }
    setSessionCookie(res, result.token, { secure });
    res.redirect(303, safeNext(form.next));
  });

  router.post('/logout', async (req, res) => {
    await auth.logout(sessionToken(req));
    setSessionCookie(res, null, { secure });
    res.redirect(303, '/supervisor/login');
  });

  router.use(requireSupervisor(auth, 'page'));

  router.get('/', (_req, res) => res.redirect(303, '/supervisor/calls'));

  router.get('/calls', async (req, res) => {
    const parsed = review.parseSearch(req.query);
    const page = await review.search(parsed);
    res.type('html').send(searchPage(parsed, page, supervisorOf(res)));
  });

  router.get('/calls/:callSid', async (req, res) => {
    const timeline = await review.viewCall(supervisorOf(res), String(req.params.callSid).slice(0, 64), 'page');
    res.type('html').send(callPage(timeline, supervisorOf(res)));
  });

  router.get('/flow', async (req, res) => {
    const range = review.parseRange(req.query);
    const [view, funnel] = await Promise.all([review.flow(range), review.funnel(range)]);
    res.type('html').send(flowPage(view, funnel, supervisorOf(res)));
  });

  router.get('/callbacks', async (_req, res) => {
    res.type('html').send(callbacksPage(await deps.callbacks.open(), supervisorOf(res)));
  });

  router.post('/callbacks/:callSid/close', express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 }), async (req, res) => {
    await deps.callbacks.close(supervisorOf(res), req.params.callSid, req.body);
    res.redirect(303, '/supervisor/callbacks');
  });

  return router;
}
