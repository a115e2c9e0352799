import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, createMetricsApp } from './app.ts';
import { ConfigError, loadConfig, realChannels, realDeliveryConfigured } from './config.ts';
import { connectDatabase } from './database.ts';
import type { CallLogCapture } from './logging/call-log.transport.ts';
import { createLogger } from './logging/logger.ts';
import { drainDeliveries, OutboxMessenger, RealMessenger } from './messaging/messenger.ts';
import { HotlineMetrics } from './observability/hotline.metrics.ts';
import type { CallRecorder } from './services/call-recorder.service.ts';
import { seedCitizens } from './services/citizen-seed.service.ts';
import type { Housekeeper } from './services/housekeeping.service.ts';
import { PromptAudio } from './services/prompt-audio.service.ts';

const DEMO_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../data/demo-citizens.json');

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.log);
  const metrics = new HotlineMetrics();
  const database = await connectDatabase(config, logger, { onCommand: (name) => metrics.databaseCommand(name) });
  if (config.loadDemoData) {
    const result = await seedCitizens(database.store, DEMO_FILE, config.pinPepper, { keepExisting: true });
    logger.info('demo citizens loaded', result);
  }
  const outbox = new OutboxMessenger(database.store.outbox, config.pinPepper);
  const channels = realChannels(config);
  const partial = channels.sms !== channels.email;
  for (const channel of ['sms', 'email'] as const) {
    if (!channels[channel]) logger.log(partial ? 'warn' : 'info', 'channel goes to the local outbox', { channel, reason: 'not configured' });
  }
  const messenger = channels.sms || channels.email ? new RealMessenger(config, { fallback: outbox }) : outbox;
  const promptAudio = config.audio.enabled
    ? await PromptAudio.load({ dir: config.audio.dir, publicBaseUrl: config.publicBaseUrl, logger })
    : PromptAudio.none();
  const app = createApp({ config, store: database.store, logger, messenger, promptAudio, metrics });
  const housekeeper = app.locals.housekeeper as Housekeeper;
  const recorder = app.locals.recorder as CallRecorder;
  const logCapture = app.locals.logCapture as CallLogCapture;
  housekeeper.start();
  const server = app.listen(config.port, () => {
    logger.info('hotline listening', {
      port: (server.address() as AddressInfo).port,
      publicBaseUrl: config.publicBaseUrl,
      smsDelivery: channels.sms ? 'twilio' : 'outbox',
      emailDelivery: channels.email ? 'smtp' : 'outbox',
      qaOutbox: Boolean(config.qaToken) && !realDeliveryConfigured(config),
      promptAudio: config.audio.enabled ? promptAudio.size : 'disabled',
      carriers: config.jambonz.webhookSecret ? ['twilio', 'jambonz'] : ['twilio'],
    });
  });

  const metricsServer =
    config.metricsPort === undefined
      ? null
      : createMetricsApp(config, metrics, logger).listen(config.metricsPort, () => {
          logger.info('metrics listening', { port: config.metricsPort });
        });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining', { signal });
    metricsServer?.close();
    server.close(() => {
      void drainDeliveries(5_000)
        .then((pending) => logger.info('deliveries drained', { pending }))
        .then(() => housekeeper.stop())
        .then(() => recorder.close())
        .then(() => logCapture.close())
        .then(() => database.close())
        .then(() => {
          logger.info('stopped');
          process.exit(0);
        });
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`hotline failed to start: ${(error as Error).message}`);
  process.exit(1);
});
