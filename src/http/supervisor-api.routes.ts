import express, { Router } from 'express';
import { z } from 'zod';
import { formatLocal } from '../domain/local-time.ts';
import type { AccessLogService } from '../services/access-log.service.ts';
import { withLocalTimes, type CallReviewService } from '../services/call-review.service.ts';
import type { CallbackQueueService } from '../services/callback-queue.service.ts';
import type { CardReviewService } from '../services/card-review.service.ts';
import type { DashboardService } from '../services/dashboard.service.ts';
import type { PasswordAuditService } from '../services/password-audit.service.ts';
import type { SupervisorAccountService } from '../services/supervisor-account.service.ts';
import type { SupervisorAuthService } from '../services/supervisor-auth.service.ts';
import { AppError } from './app-error.ts';
import { consoleHeaders, requirePermission, requireSameOrigin, requireSupervisor, sessionToken, setSessionCookie, userOf } from './supervisor-auth.middleware.ts';

const loginBody = z.object({ username: z.string().trim().toLowerCase().max(64), password: z.string().max(256) });
const languageBody = z.object({ language: z.string().max(10) });
const roleBody = z.object({ role: z.string().max(20) });

/** What the console's pages and JSON API are built from. */
export interface ConsoleDeps {
  auth: SupervisorAuthService;
  accounts: SupervisorAccountService;
  review: CallReviewService;
  access: AccessLogService;
  callbacks: CallbackQueueService;
  cards: CardReviewService;
  dashboard: DashboardService;
  audit: PasswordAuditService;
  publicBaseUrl: string;
  timeZone: string;
}

/** The console's JSON API under /api/supervisor (same session cookie as the pages; 401 without it, 403 when the role may not). */
export function supervisorApiRoutes(deps: ConsoleDeps): Router {
  const { auth, accounts, review, access, timeZone } = deps;
  const secure = deps.publicBaseUrl.startsWith('https:');
  const router = Router();
  router.use(consoleHeaders, requireSameOrigin(deps.publicBaseUrl));
  const json = express.json({ limit: '4kb' });

  router.post('/login', json, async (req, res) => {
    const body = loginBody.safeParse(req.body ?? {});
    if (!body.success) throw new AppError(400, 'bad-request', 'username and password are required');
    const result = await auth.login(body.data.username, body.data.password, req.ip ?? 'unknown');
    if (!result.ok) {
      if (result.reason === 'wrong') throw new AppError(401, 'wrong-credentials', 'Wrong username or password');
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      throw result.reason === 'busy'
        ? new AppError(429, 'busy', 'Too many sign-ins at once; try again in a moment')
        : new AppError(429, 'too-many-attempts', `Too many failed sign-ins; try again in ${result.retryAfterSeconds} s`);
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

  router.use(requireSupervisor(auth, accounts, 'api'));

  router.get('/me', (_req, res) => {
    const user = userOf(res);
    res.json({ supervisor: user.username, role: user.role, language: user.language, timeZone });
  });

  router.post('/me/language', json, async (req, res) => {
    const body = languageBody.safeParse(req.body ?? {});
    if (!body.success) throw new AppError(400, 'bad-request', 'language: zh-CN or en-US');
    res.json({ language: await accounts.setLanguage(userOf(res).username, body.data.language) });
  });

  router.get('/dashboard', requirePermission('calls', 'api'), async (_req, res) => {
    const d = await deps.dashboard.today();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...d, timeZone, hours: d.hours.map((h) => ({ ...h, startLocal: formatLocal(h.start, timeZone) })) });
  });

  router.get('/calls', requirePermission('calls', 'api'), async (req, res) => {
    const parsed = review.parseSearch(req.query);
    res.json(await review.searchAs(userOf(res), parsed, 'api'));
  });

  router.get('/calls.csv', requirePermission('calls', 'api'), async (req, res) => {
    const parsed = review.parseSearch(req.query);
    const csv = await review.csv(parsed);
    await review.logExport(userOf(res), parsed);
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="calls.csv"');
    res.send(csv);
  });

  router.get('/calls/:callSid', requirePermission('calls', 'api'), async (req, res) => {
    res.json(withLocalTimes(await review.viewCall(userOf(res), String(req.params.callSid).slice(0, 64), 'api'), timeZone));
  });

  router.get('/calls/:callSid/timeline.json', requirePermission('calls', 'api'), async (req, res) => {
    const callSid = String(req.params.callSid).slice(0, 64);
    const timeline = await review.viewCall(userOf(res), callSid, 'json');
    res.setHeader('Content-Disposition', `attachment; filename="call-${callSid.replace(/[^A-Za-z0-9]/g, '')}.json"`);
    res.type('application/json').send(JSON.stringify(withLocalTimes(timeline, timeZone), null, 2));
  });

  router.get('/calls/:callSid/card', requirePermission('calls', 'api'), async (req, res) => {
    const ref = await deps.cards.refOfCall(String(req.params.callSid).slice(0, 64));
    res.json({ timeZone, card: await deps.cards.viewCard(userOf(res), ref, {}, 'api') });
  });

  router.get('/cards', requirePermission('calls', 'api'), async (req, res) => {
    const found = await deps.cards.lookup(userOf(res), req.query, 'api');
    if (!found) throw new AppError(400, 'bad-request', 'id: the full 18-character number, or the masked form (1101**********002X)');
    if (found.kind === 'card') res.json({ kind: 'card', timeZone, card: await deps.cards.viewCard(userOf(res), found.ref, {}, 'api') });
    else res.json(found);
  });

  router.get('/cards/:ref', requirePermission('calls', 'api'), async (req, res) => {
    res.json({ timeZone, card: await deps.cards.viewCard(userOf(res), String(req.params.ref), req.query, 'api') });
  });

  router.post('/cards/:ref/unlock', requirePermission('unlock', 'api'), express.json({ limit: '2kb' }), async (req, res) => {
    res.json(await deps.cards.unlock(userOf(res), String(req.params.ref), req.body, 'api'));
  });

  router.get('/flow', requirePermission('calls', 'api'), async (req, res) => {
    const { from, to } = review.parseRange(req.query);
    res.json(await review.flow({ from, to }));
  });

  router.get('/funnel', requirePermission('calls', 'api'), async (req, res) => {
    const { from, to } = review.parseRange(req.query);
    res.json({ from, to, steps: await review.funnel({ from, to }) });
  });

  router.get('/access-log', requirePermission('audit', 'api'), async (req, res) => {
    const q = access.parseQuery(req.query);
    const read = await access.read(q);
    res.json({
      from: q.from,
      to: q.to,
      timeZone,
      entries: read.entries.map(({ _id, ...e }) => ({ ...e, atLocal: formatLocal(e.at, timeZone) })),
      scanned: read.scanned,
      more: read.more,
      readBackTo: read.readBackTo,
    });
  });

  router.get('/access-log.csv', requirePermission('audit', 'api'), async (req, res) => {
    const q = access.parseQuery(req.query);
    const csv = await access.csv(q);
    await access.record(userOf(res), { what: 'export-access-log', how: 'csv', detail: Object.entries(q.form).map(([k, v]) => `${k}=${v}`).join('&') });
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="access-log.csv"');
    res.send(csv);
  });

  router.get('/password-changes', requirePermission('audit', 'api'), async (req, res) => {
    const q = deps.audit.parseQuery(req.query);
    const page = await deps.audit.readAs(userOf(res), q, 'api');
    res.json({ from: q.from, to: q.to, match: q.match, timeZone, ...page, changes: page.changes.map((c) => ({ ...c, atLocal: formatLocal(c.at, timeZone) })) });
  });

  router.get('/password-changes.csv', requirePermission('audit', 'api'), async (req, res) => {
    const csv = await deps.audit.csvAs(userOf(res), deps.audit.parseQuery(req.query));
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="password-changes.csv"');
    res.send(csv);
  });

  router.get('/accounts', requirePermission('accounts', 'api'), async (_req, res) => {
    res.json({ accounts: await accounts.list() });
  });

  router.post('/accounts/:username/role', requirePermission('accounts', 'api'), json, async (req, res) => {
    const body = roleBody.safeParse(req.body ?? {});
    if (!body.success) throw new AppError(400, 'bad-request', 'role: supervisor, auditor or admin');
    const username = String(req.params.username).slice(0, 64);
    const role = await accounts.setRole(userOf(res), username, body.data.role, 'api');
    res.json({ username, role });
  });

  router.get('/callbacks', requirePermission('calls', 'api'), async (_req, res) => {
    res.json({ open: await deps.callbacks.open() });
  });

  router.post('/callbacks/:callSid/close', requirePermission('calls', 'api'), express.json({ limit: '1kb' }), async (req, res) => {
    res.json(await deps.callbacks.close(userOf(res).username, String(req.params.callSid), req.body));
  });

  return router;
}
