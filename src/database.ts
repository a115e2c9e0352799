import path from 'node:path';
import type { Config } from './config.ts';
import type { Logger } from './logging/logger.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './storage/embedded-database.ts';
import { openStore, type Store } from './storage/store.ts';

/** An open store plus whatever embedded server was started for it. */
export interface Database {
  store: Store;
  embedded: EmbeddedDatabase | null;
  close(): Promise<void>;
}

/** Connects to MONGODB_URI, or starts the embedded server (MongoDB, else FerretDB) on the data folder. */
export async function connectDatabase(config: Config, logger: Logger, options: { onCommand?: (name: string) => void } = {}): Promise<Database> {
  let embedded: EmbeddedDatabase | null = null;
  let uri = config.mongo.uri;
  if (!uri) {
    embedded = await startEmbeddedDatabase({
      dataDir: path.resolve(config.mongo.dataDir),
      cacheDir: path.resolve(config.mongo.cacheDir),
      engine: config.mongo.embeddedEngine,
      log: (message, fields) => logger.info(message, fields),
    });
    uri = embedded.uri;
    logger.info('embedded database started', { engine: embedded.engine, dataDir: config.mongo.dataDir });
  }
  // The console reads on its own pool, one connection per console request it may run (CONSOLE_MAX_CONCURRENT).
  const store = await openStore(uri, config.mongo.dbName, { ...options, consolePoolSize: config.console.maxConcurrent });
  return {
    store,
    embedded,
    async close() {
      await store.close().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
