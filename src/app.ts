import express, { type Express } from 'express';
import { callMachine } from '../flows/call.machine.ts';
import { realDeliveryConfigured, type Config } from './config.ts';
import { AppError } from './http/app-error.ts';
import { audioRoutes } from './http/audio.routes.ts';
import { bearerMatches } from './http/bearer-token.ts';
import { errorMiddleware } from './http/error.middleware.ts';
import { qaRoutes } from './http/qa.routes.ts';
import { supervisorApiRoutes } from './http/supervisor-api.routes.ts';
import { supervisorRoutes } from './http/supervisor.routes.ts';
import { requireTwilioSignature } from './http/twilio-signature.middleware.ts';
import { voiceRoutes } from './http/voice.routes.ts';
import { attachCallLog } from './logging/call-log.transport.ts';
import type { Logger } from './logging/logger.ts';
import { meteredMessenger, type Messenger } from './messaging/messenger.ts';
import { HotlineMetrics, isDatabaseError } from './observability/hotline.metrics.ts';
import { CallReviewService } from './services/call-review.service.ts';
import { CallTurnService } from './services/call-turn.service.ts';
import { CallbackQueueService } from './services/callback-queue.service.ts';
import { PromptAudio, speechFor } from './services/prompt-audio.service.ts';
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
}

/** Builds the Express app (no listening here): voice webhooks, prompt audio, QA routes (outbox, timeline, script set-up), supervisor console, health. */
export function createApp(deps: AppDeps): Express {
  const { config, store, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  attachCallLog(logger, store.callLogs);
  const metrics = deps.metrics ?? new HotlineMetrics({ processMetrics: false });
  const promptAudio = deps.promptAudio ?? PromptAudio.none();
  const speech = speechFor(config, promptAudio);
  const calls = new CallTurnService({ store, config, logger, messenger: meteredMessenger(deps.messenger, metrics), now: deps.now, speech, machine: deps.machine, metrics });
  const auth = new SupervisorAuthService({ store, config, logger, now: deps.now });
  const review = new CallReviewService({ store, config, now: deps.now });
  const callbacks = new CallbackQueueService({ store, logger, now: deps.now });

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
  app.get('/metrics', async (req, res) => {
    if (config.metricsToken && !bearerMatches(req.header('authorization'), config.metricsToken)) throw new AppError(401, 'unauthorized', 'metrics token required');
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });

  app.use(
    '/voice',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 100 }),
    requireTwilioSignature({
      authToken: config.twilio.authToken,
      publicBaseUrl: config.publicBaseUrl,
      enabled: config.twilio.signatureCheck,
      logger,
    }),
    voiceRoutes(calls, { agentNumber: config.agentNumber, speech }),
  );
  app.use('/audio', audioRoutes(promptAudio.dir ?? config.audio.dir));

  if (config.qaToken && !realDeliveryConfigured(config)) {
    const now = deps.now ?? (() => new Date());
    app.use('/qa', qaRoutes(store, { qaToken: config.qaToken, pepper: config.pinPepper, now, allowCitizenSetup: config.env !== 'production' }));
  }

  app.use('/supervisor', supervisorRoutes({ auth, review, callbacks, publicBaseUrl: config.publicBaseUrl, lockMinutes: config.supervisor.lockMinutes }));
  app.use('/api/supervisor', supervisorApiRoutes({ auth, review, callbacks, publicBaseUrl: config.publicBaseUrl }));

  app.use((req, _res, next) => next(new AppError(404, 'not-found', `No route for ${req.method} ${req.path}`)));
  app.use(errorMiddleware(logger, speech));
  return app;
}
