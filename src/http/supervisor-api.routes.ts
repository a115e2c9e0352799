import express, { Router } from 'express';
import { z } from 'zod';
import type { CallReviewService } from '../services/call-review.service.ts';
import type { CallbackQueueService } from '../services/callback-queue.service.ts';
import type { SupervisorAuthService } from '../services/supervisor-auth.service.ts';
import { AppError } from './app-error.ts';
import { consoleHeaders, requireSameOrigin, requireSupervisor, sessionToken, setSessionCookie, supervisorOf } from './supervisor-auth.middleware.ts';

const loginBody = z.object({ username: z.string().trim().toLowerCase().max(64), password: z.string().max(256) });
const accessQuery = z.object({ callSid: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

/** The console's JSON API under /api/supervisor (same session cookie as the pages; 401 without it). */
export function supervisorApiRoutes(deps: { auth: SupervisorAuthService; review: CallReviewService; callbacks: CallbackQueueService; publicBaseUrl: string }): Router {
  const { auth, review } = deps;
  const secure = deps.publicBaseUrl.startsWith('https:');
  const router = Router();
  router.use(consoleHeaders, requireSameOrigin(deps.publicBaseUrl));

  router.post('/login', express.json({ limit: '4kb' }), async (req, res) => {
    const body = loginBody.safeParse(req.body ?? {});
    if (!body.success) throw new AppError(400, 'bad-request', 'username and password are required');
    const result = await auth.login(body.data.username, body.data.password, req.ip ?? 'unknown');
    if (!result.ok) {
      throw result.reason === 'throttled' ? new AppError(429, 'too-many-attempts', 'Too many failed sign-ins; try again later') : new AppError(401, 'wrong-credentials', 'Wrong username or password');
    }
    setSessionCookie(res, result.token, { secure });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ supervisor: result.username, expiresAt: result.expiresAt });
  });

  router.post('/logout', async (req, res) => {
    await auth.logout(sessionToken(req));
    setSessionCookie(res, null, { secure });
    res.status(204).end();
  });

  router.use(requireSupervisor(auth, 'api'));

  router.get('/me', (_req, res) => {
    res.json({ supervisor: supervisorOf(res) });
  });

  router.get('/calls', async (req, res) => {
    const parsed = review.parseSearch(req.query);
    res.json(await review.search(parsed));
  });

  router.get('/calls.csv', async (req, res) => {
    const parsed = review.parseSearch(req.query);
    const csv = await review.csv(parsed);
    await review.logExport(supervisorOf(res), parsed);
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="calls.csv"');
    res.send(csv);
  });

  router.get('/calls/:callSid', async (req, res) => {
    res.json(await review.viewCall(supervisorOf(res), String(req.params.callSid).slice(0, 64), 'api'));
  });

  router.get('/calls/:callSid/timeline.json', async (req, res) => {
    const callSid = String(req.params.callSid).slice(0, 64);
    const timeline = await review.viewCall(supervisorOf(res), callSid, 'export-json');
    res.setHeader('Content-Disposition', `attachment; filename="call-${callSid.replace(/[^A-Za-z0-9]/g, '')}.json"`);
    res.type('application/json').send(JSON.stringify(timeline, null, 2));
  });

  router.get('/flow', async (req, res) => {
    res.json(await review.flow(review.parseRange(req.query)));
  });

  router.get('/funnel', async (req, res) => {
    const range = review.parseRange(req.query);
    res.json({ ...range, steps: await review.funnel(range) });
  });

  router.get('/callbacks', async (_req, res) => {
    res.json({ open: await deps.callbacks.open() });
  });

  router.post('/callbacks/:callSid/close', express.json({ limit: '1kb' }), async (req, res) => {
    res.json(await deps.callbacks.close(supervisorOf(res), req.params.callSid, req.body));
  });

  router.get('/access-log', async (req, res) => {
    const q = accessQuery.safeParse(req.query);
    if (!q.success) throw new AppError(400, 'bad-request', 'callSid, limit (1-500)');
    res.json({ entries: await review.accessLog(q.data) });
  });

  return router;
}
