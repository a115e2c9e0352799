import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { startEmbeddedDatabase } from '../src/storage/embedded-database.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = loadConfig();
const cacheDir = path.resolve(repoRoot, config.mongo.cacheDir);
const dataDir = path.resolve(repoRoot, config.mongo.dataDir);

const log = (message: string, fields?: Record<string, unknown>): void => {
  console.log(`[prepare-database] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
};

if (config.mongo.uri) {
  log('MONGODB_URI is set; the app will use that server, but the embedded engine is prepared anyway for tests.');
}

const started = Date.now();
const scratch = await mkdtemp(path.join(os.tmpdir(), 'prepare-database-'));
try {
  const database = await startEmbeddedDatabase({ dataDir: scratch, cacheDir, log, engine: config.mongo.embeddedEngine });
  await database.stop();
  log(`Ready: the embedded database engine is ${database.engine}`, {
    cacheDir,
    npmStartDataDir: dataDir,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });
} catch (error) {
  console.error(`[prepare-database] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
