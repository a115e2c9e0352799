import express, { type Express, type RequestHandler } from 'express';
import { callMachine } from '../flows/call.machine.ts';
import { promptParams, realDeliveryConfigured, type Config } from './config.ts';
import { AppError } from './http/app-error.ts';
import { audioRoutes } from './http/audio.routes.ts';
import { bearerMatches } from './http/bearer-token.ts';
import { errorMiddleware } from './http/error.middleware.ts';
import { requireJambonzSignature } from './http/jambonz-signature.middleware.ts';
import { jambonzRoutes } from './http/jambonz.routes.ts';
import { qaRoutes } from './http/qa.routes.ts';
import { ConsoleBound } from './http/console-bound.middleware.ts';
import { supervisorApiRoutes } from './http/supervisor-api.routes.ts';
import { supervisorRoutes } from './http/supervisor.routes.ts';
import { requireTwilioSignature } from './http/twilio-signature.middleware.ts';
import { voiceRoutes } from './http/voice.routes.ts';
import { attachCallLog } from './logging/call-log.transport.ts';
import type { Logger } from './logging/logger.ts';
import { meteredMessenger, type Messenger } from './messaging/messenger.ts';
import { HotlineMetrics, isDatabaseError } from './observability/hotline.metrics.ts';
import { AccessLogService } from './services/access-log.service.ts';
import { CallRecorder } from './services/call-recorder.service.ts';
import { CallReviewService } from './services/call-review.service.ts';
import { CallTurnService } from './services/call-turn.service.ts';
import { CallbackQueueService } from './services/callback-queue.service.ts';
import { CardReviewService } from './services/card-review.service.ts';
import { DashboardService } from './services/dashboard.service.ts';
import { Housekeeper } from './services/housekeeping.service.ts';
import { PasswordAuditService } from './services/password-audit.service.ts';
import { jambonzSpeechFor, PromptAudio, speechFor } from './services/prompt-audio.service.ts';
import { SupervisorAccountService } from './services/supervisor-account.service.ts';
import { Semaphore } from './security/semaphore.ts';
import { SupervisorAuthService } from './services/supervisor-auth.service.ts';
import type { Store } from './storage/store.ts';

/** What the app is built from; tests pass their own store, logger, messenger and clock. */
export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  messenger: Messenger;
  now?: () => Date;
  /** Counters behind `/metrics`; one is made when absent. */
  metrics?: HotlineMetrics;
  /** Built prompt audio, loaded once at start; without it every prompt is spoken with `<Say>`. */
  promptAudio?: PromptAudio;
  /** The call statechart (tests pass a deliberately altered one); the real one by default. */
  machine?: typeof callMachine;
  /** Keeps the console's call index and counters; one is made (and closed with the server) when absent. */
  recorder?: CallRecorder;
  /** After how long a call's log lines that no turn took are stored on their own (ms; tests shorten it). */
  lateLogMs?: number;
  /** The hashing bounds: callers' (queued, 2 at once) and the console's (never queued; full → 429). Made when absent. */
  hashing?: { calls: Semaphore; console: Semaphore };
}

function metricsHandler(config: Config, metrics: HotlineMetrics): RequestHandler {
  return async (req, res) => {
    if (config.metricsToken && !bearerMatches(req.header('authorization'), config.metricsToken)) throw new AppError(401, 'unauthorized', 'metrics token required');
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  };
}

/** The app served on the internal `METRICS_PORT`: only `GET /metrics` (bearer `METRICS_TOKEN` when set). */
export function createMetricsApp(config: Config, metrics: HotlineMetrics, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(config, metrics));
  app.use((req, _res, next) => next(new AppError(404, 'not-found', `No route for ${req.method} ${req.path}`)));
  app.use(errorMiddleware(logger));
  return app;
}

/** Builds the Express app (no listening here): voice webhooks (Twilio; jambonz when its secret is set), prompt audio, QA routes (outbox, timeline, script set-up), supervisor console, health. */
export function createApp(deps: AppDeps): Express {
  const { config, store, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // No ETags: a webhook's answer is never revalidated and console data is sent no-store, so hashing every body
  // (a SHA-1 per call turn) bought nothing.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', config.trustProxy);

  const logCapture = attachCallLog(logger, {
    appendLate: (callSid, lines) => store.callLogs.appendLate(callSid, lines),
    callExists: async (callSid) => (await store.callSessions.findTurn(callSid, 0, { lean: true })) !== null,
  }, deps.lateLogMs);
  const metrics = deps.metrics ?? new HotlineMetrics({ processMetrics: false });
  const promptAudio = deps.promptAudio ?? PromptAudio.none();
  const speech = speechFor(config, promptAudio);
  const jambonzSpeech = jambonzSpeechFor(config, promptAudio);
  const hashing = deps.hashing ?? {
    calls: new Semaphore(2, () => metrics.hashQueued('calls')),
    console: new Semaphore(config.supervisor.hashConcurrency, () => metrics.hashQueued('console')),
  };
  const recorder = deps.recorder ?? new CallRecorder({ store, logger });
  app.locals.recorder = recorder;
  app.locals.logCapture = logCapture;
  const calls = new CallTurnService({
    store,
    config,
    logger,
    messenger: meteredMessenger(deps.messenger, metrics),
    now: deps.now,
    machine: deps.machine,
    metrics,
    recorder,
    logCapture,
    hashing: hashing.calls,
  });
  // The console's services read on the console's own connections (store.console), never queued in front of a turn.
  const consoleStore = store.console;
  const auth = new SupervisorAuthService({ store: consoleStore, config, logger, now: deps.now, hashing: hashing.console });
  const access = new AccessLogService({ store: consoleStore, config, now: deps.now });
  const accounts = new SupervisorAccountService({ store: consoleStore, access });
  const review = new CallReviewService({ store: consoleStore, config, access, now: deps.now });
  const callbacks = new CallbackQueueService({ store: consoleStore, logger, now: deps.now });
  const cards = new CardReviewService({ store: consoleStore, config, access, now: deps.now });
  const dashboard = new DashboardService({ store: consoleStore, config, now: deps.now });
  const audit = new PasswordAuditService({ store: consoleStore, config, access, now: deps.now });
  app.locals.housekeeper = new Housekeeper({ store, config, logger, calls, now: deps.now });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ status: 'ready' });
    } catch (error) {
      if (isDatabaseError(error)) metrics.databaseError('readyz');
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  if (config.metricsPort === undefined) app.get('/metrics', metricsHandler(config, metrics));

  app.use(
    '/voice',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 100 }),
    requireTwilioSignature({
      authToken: config.twilio.authToken,
      publicBaseUrl: config.publicBaseUrl,
      enabled: config.twilio.signatureCheck,
      logger,
    }),
    voiceRoutes(calls, { agentNumber: config.agentNumber, timeouts: config.gatherTimeouts, params: promptParams(config), speech }),
  );
  // jambonz answers only where the operator gave its webhook secret: without one there is nothing to check signatures with.
  if (config.jambonz.webhookSecret) {
    app.use(
      '/jambonz',
      ...requireJambonzSignature({ secret: config.jambonz.webhookSecret, logger }),
      jambonzRoutes(calls, { agentNumber: config.agentNumber, timeouts: config.gatherTimeouts, params: promptParams(config), speech: jambonzSpeech }),
    );
  }
  app.use('/audio', audioRoutes(promptAudio.dir ?? config.audio.dir));

  if (config.qaToken && !realDeliveryConfigured(config)) {
    const now = deps.now ?? (() => new Date());
    app.use('/qa', qaRoutes(store, { qaToken: config.qaToken, pepper: config.pinPepper, now, allowCitizenSetup: config.env !== 'production', lockRules: config.lock }));
  }

  const timeZone = config.console.timeZone;
  const consoleBound = new ConsoleBound(config.console, { load: (running, waiting) => metrics.consoleLoad(running, waiting), refused: () => metrics.consoleRefused() });
  app.locals.consoleBound = consoleBound;
  const consoleDeps = { auth, accounts, review, access, callbacks, cards, dashboard, audit, publicBaseUrl: config.publicBaseUrl, timeZone };
  // Sign-in is not queued behind supervisors' reads: it has its own bound (a login hash slot, or 429 at once).
  const bounded: RequestHandler = (req, res, next) => (req.method === 'POST' && req.path === '/login' ? next() : consoleBound.middleware(req, res, next));
  app.use('/supervisor', bounded, supervisorRoutes({ ...consoleDeps, now: deps.now }));
  app.use('/api/supervisor', bounded, supervisorApiRoutes(consoleDeps));

  app.use((req, _res, next) => next(new AppError(404, 'not-found', `No route for ${req.method} ${req.path}`)));
  app.use(errorMiddleware(logger, speech, jambonzSpeech));
  return app;
}
