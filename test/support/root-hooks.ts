import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/storage/embedded-database.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let database: EmbeddedDatabase | undefined;
let dataDir: string | undefined;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

function refuseNonLoopback(): void {
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string; path?: string } | number | string | undefined;
    const host =
      typeof first === 'object' && first !== null ? (first.path ? 'localhost' : (first.host ?? 'localhost')) : typeof args[1] === 'string' ? args[1] : 'localhost';
    if (!LOOPBACK.test(host)) throw new Error(`tests may only reach loopback, not ${host}`);
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
}

/** The URI of the MongoDB-compatible server the whole test run shares (each file uses its own database). */
export function testMongoUri(): string {
  const uri = process.env.TEST_MONGODB_URI ?? (database ? database.uri : undefined);
  if (!uri) throw new Error('test database not started');
  return uri;
}

/** Mocha root hooks: loopback-only network, one embedded database for the run. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(240_000);
    refuseNonLoopback();
    if (process.env.TEST_MONGODB_URI) return;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-test-db-'));
    database = await startEmbeddedDatabase({ dataDir, cacheDir: path.join(repoRoot, '.cache'), engine: 'auto' });
  },
  async afterAll() {
    await database?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  },
};
