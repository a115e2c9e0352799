import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { constants as fsConstants, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DryMongoBinary, MongoMemoryServer } from 'mongodb-memory-server-core';
import mongoose from 'mongoose';
import { GO_MINIMUM_VERSION, resolveGo, run, type RunResult } from './go-toolchain.ts';

/** A running MongoDB-compatible server that the app can connect to. */
export interface EmbeddedDatabase {
  uri: string;
  engine: 'mongodb-memory-server' | 'ferretdb';
  /** The server's process id (the benchmark reads its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

/** Options: where data lives (persistent folder for `npm start`, fresh temp folder for tests), cache folder for built binaries, and a logger-ish callback. */
export interface EmbeddedDatabaseOptions {
  dataDir: string;
  cacheDir: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  engine?: 'auto' | 'mongodb-memory-server' | 'ferretdb';
  /** A fixed loopback port (to restart a server where clients expect it); a free one is picked when absent. */
  port?: number;
  /** FerretDB's log level (`debug` logs every SQL statement it runs); `warn` by default. */
  ferretDbLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Receives FerretDB's output as it comes (tests read the SQL it runs). */
  onOutput?: (chunk: string) => void;
}

type Log = NonNullable<EmbeddedDatabaseOptions['log']>;

const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const MONGODB_DOWNLOAD_TIMEOUT_MS = 60_000;
const REACHABILITY_TIMEOUT_MS = 3_000;
const FERRETDB_READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const BUILD_LOCK_STALE_MS = 15 * 60_000;
const BUILD_LOCK_WAIT_MS = 20 * 60_000;
const OUTPUT_TAIL_CHARS = 8_000;

/**
 * The project's patches to FerretDB's source and to the modules it is built with (why: see each file's header),
 * applied in this order before every build; a dependency's patch applies to its copy under `third_party/`.
 */
export const FERRETDB_PATCHES = ['ferretdb-v1.24.2-sqlite-id-index.patch', 'ferretdb-v1.24.2-sqlite-serial-writes.patch', 'modernc-memory-v1.8.0-keep-empty-page.patch'].map((name) =>
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../patches', name),
);

/** Modules FerretDB is built with that a patch changes: copied from the Go module cache into `third_party/<module>` and put in its go.mod's place. */
const PATCHED_DEPENDENCIES = [{ module: 'modernc.org/memory', version: 'v1.8.0' }];

const noop: Log = () => undefined;

/** Starts MongoDB (via mongodb-memory-server) or, failing that, a locally built FerretDB on SQLite, and returns its URI. */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? noop;
  const dataDir = path.resolve(options.dataDir);
  const cacheDir = path.resolve(options.cacheDir);
  const engine = options.engine ?? 'auto';

  if (engine === 'mongodb-memory-server') {
    return startMongoMemoryServer(dataDir, cacheDir, log, options.port);
  }
  if (engine === 'auto') {
    const reason = await mongoBinaryUnavailableReason(cacheDir);
    if (reason === undefined) {
      try {
        return await startMongoMemoryServer(dataDir, cacheDir, log, options.port);
      } catch (error) {
        log('MongoDB binary could not be started; falling back to FerretDB', { error: errorMessage(error) });
      }
    } else {
      log('MongoDB binary not available; falling back to FerretDB', { reason });
    }
  }
  const binary = await ensureFerretDbBinary(cacheDir, log);
  return startFerretDb(binary, dataDir, log, { port: options.port, logLevel: options.ferretDbLogLevel ?? 'warn', onOutput: options.onOutput });
}

async function startMongoMemoryServer(dataDir: string, cacheDir: string, log: Log, port?: number): Promise<EmbeddedDatabase> {
  const dbPath = path.join(dataDir, 'mongodb');
  await fs.mkdir(dbPath, { recursive: true });
  log('Starting MongoDB via mongodb-memory-server', { dbPath });
  const creation = MongoMemoryServer.create({
    instance: { dbPath, storageEngine: 'wiredTiger', ip: '127.0.0.1', port },
    binary: { downloadDir: path.join(cacheDir, 'mongodb-binaries') },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`mongodb-memory-server did not start within ${MONGODB_DOWNLOAD_TIMEOUT_MS / 1000} s`)),
      MONGODB_DOWNLOAD_TIMEOUT_MS,
    );
  });
  let server: MongoMemoryServer;
  try {
    server = await Promise.race([creation, timeout]);
  } catch (error) {
    // If it finishes starting after we gave up, do not leave a mongod behind.
    creation.then((late) => late.stop()).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const uri = server.getUri();
  log('MongoDB started', { uri });
  return {
    uri,
    engine: 'mongodb-memory-server',
    stop: async () => {
      await server.stop();
    },
  };
}

/** Returns why downloading/using MongoDB's own binary is pointless right now, or undefined if it is worth trying. */
async function mongoBinaryUnavailableReason(cacheDir: string): Promise<string | undefined> {
  const downloadDir = path.join(cacheDir, 'mongodb-binaries');
  try {
    const version = DryMongoBinary.getEnsuredOptions({ downloadDir }).version;
    if ((await DryMongoBinary.locateBinary({ version, downloadDir })) !== undefined) return undefined;
  } catch (error) {
    return `cannot locate a cached MongoDB binary: ${errorMessage(error)}`;
  }
  const proxy = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].some(
    (name) => (process.env[name] ?? '') !== '',
  );
  if (proxy) return undefined;
  const { host, port } = mongoDownloadEndpoint();
  try {
    await withTimeout(canConnect(host, port), REACHABILITY_TIMEOUT_MS, `connecting to ${host}:${port} timed out`);
    return undefined;
  } catch (error) {
    return `no cached binary and download host ${host} is unreachable (${errorMessage(error)})`;
  }
}

function mongoDownloadEndpoint(): { host: string; port: number } {
  const configured = process.env.MONGOMS_DOWNLOAD_URL || process.env.MONGOMS_DOWNLOAD_MIRROR || 'https://fastdl.mongodb.org';
  try {
    const url = new URL(configured);
    return { host: url.hostname, port: Number(url.port) || (url.protocol === 'http:' ? 80 : 443) };
  } catch {
    return { host: 'fastdl.mongodb.org', port: 443 };
  }
}

async function canConnect(host: string, port: number): Promise<void> {
  const { address } = await dns.lookup(host);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timeout'));
    }, REACHABILITY_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Go's garbage collector target for the embedded FerretDB: its live heap is a few megabytes and every statement
 * allocates, so at Go's default (100) it collected many times a second; at 400 a read by `_id` plus an insert of a
 * call turn's size cost it about a third less CPU (0.58-0.64 against 0.87-0.95 ms, alternating rounds) for about
 * 12 MB more memory (800 saved no more and took 20 MB more).
 */
const FERRETDB_GOGC = '400';

/** The environment the embedded FerretDB runs in: this process's, with Go's GC target raised unless GOGC is set. */
export function ferretDbEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { GOGC: FERRETDB_GOGC, ...env, DO_NOT_TRACK: '1' };
}

/** Where the patched FerretDB binary is cached: the folder names the version and the patches' content hash, so a changed patch rebuilds. */
export async function ferretDbBinaryPath(cacheDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const patch of FERRETDB_PATCHES) hash.update(await fs.readFile(patch));
  for (const { module, version } of PATCHED_DEPENDENCIES) hash.update(`${module}@${version}\n`);
  const tag = hash.digest('hex').slice(0, 12);
  return path.join(path.resolve(cacheDir), 'ferretdb', `${FERRETDB_VERSION}-${tag}`, 'ferretdb');
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Builds the patched FerretDB into the cache unless it is there already, and returns its path. */
export async function ensureFerretDbBinary(cacheDir: string, log: Log = noop): Promise<string> {
  const target = await ferretDbBinaryPath(cacheDir);
  if (await isExecutable(target)) return target;
  await fs.mkdir(path.dirname(target), { recursive: true });
  const release = await acquireLock(`${target}.lock`, log);
  try {
    if (await isExecutable(target)) return target;
    await buildFerretDb(target, path.resolve(cacheDir), log);
    return target;
  } finally {
    await release();
  }
}

async function acquireLock(lockPath: string, log: Log): Promise<() => Promise<void>> {
  const deadline = Date.now() + BUILD_LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await fs.rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStaleLock(lockPath)) {
      log('Removing stale FerretDB build lock', { lockPath });
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for FerretDB build lock ${lockPath}`);
    if (!announced) {
      log('Another process is building FerretDB; waiting', { lockPath });
      announced = true;
    }
    await delay(500);
  }
}

async function isStaleLock(lockPath: string): Promise<boolean> {
  try {
    const [content, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    if (Date.now() - stat.mtimeMs > BUILD_LOCK_STALE_MS) return true;
    const pid = Number.parseInt(content.trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - stat.mtimeMs > 5_000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false;
  }
}

function noEngineError(detail: string): Error {
  return new Error(
    `No embedded MongoDB-compatible database is available: ${detail}\n` +
      'Choose one of:\n' +
      '  1. set MONGODB_URI to a running MongoDB (e.g. mongodb://127.0.0.1:27017/);\n' +
      '  2. allow mongodb-memory-server to download MongoDB (needs access to https://fastdl.mongodb.org, or set MONGOMS_DOWNLOAD_MIRROR);\n' +
      `  3. let FerretDB be built: the build uses \`go\` >= ${GO_MINIMUM_VERSION} from PATH, or else fetches the Go toolchain from the Go module proxy ` +
      `(GOPROXY, default https://proxy.golang.org; needs network access to it), then runs \`go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION}\` ` +
      `and \`go build ./cmd/ferretdb\`; retry with \`npx tsx scripts/prepare-database.ts\`, or install Go from https://go.dev/dl/.`,
  );
}

async function buildFerretDb(target: string, cacheDir: string, log: Log): Promise<void> {
  let go: Awaited<ReturnType<typeof resolveGo>>;
  try {
    go = await resolveGo(cacheDir, log, process.env);
  } catch (error) {
    throw noEngineError(errorMessage(error));
  }
  const started = Date.now();
  log('Building FerretDB from source (first run only; about a minute)', { version: FERRETDB_VERSION, target, go: go.version, goSource: go.source });
  const env = { ...go.env, GOFLAGS: [go.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') };
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferretdb-build-'));
  const tempTarget = `${target}.tmp-${process.pid}`;
  try {
    let download: RunResult;
    try {
      download = await run(go.command, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { cwd: workDir, env });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw noEngineError('`go` is not on PATH.');
      throw error;
    }
    if (download.code !== 0) {
      throw noEngineError(`\`go mod download\` failed (exit ${download.code}):\n${download.stdout}${download.stderr}`);
    }
    const sourceDir = path.join(workDir, 'src');
    await fs.cp(moduleDirOf(download), sourceDir, { recursive: true });
    await makeWritable(sourceDir);
    await fs.writeFile(path.join(sourceDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    for (const { module, version } of PATCHED_DEPENDENCIES) {
      const fetched = await run(go.command, ['mod', 'download', '-json', `${module}@${version}`], { cwd: workDir, env });
      if (fetched.code !== 0) throw noEngineError(`\`go mod download ${module}@${version}\` failed (exit ${fetched.code}):\n${fetched.stdout}${fetched.stderr}`);
      const copy = path.join(sourceDir, 'third_party', module);
      await fs.cp(moduleDirOf(fetched), copy, { recursive: true });
      await makeWritable(copy);
      const replaced = await run(go.command, ['mod', 'edit', `-replace=${module}=./third_party/${module}`], { cwd: sourceDir, env });
      if (replaced.code !== 0) throw noEngineError(`\`go mod edit -replace\` for ${module} failed (exit ${replaced.code}):\n${replaced.stderr}`);
    }
    for (const patch of FERRETDB_PATCHES) {
      const patched = await run('git', ['apply', '--verbose', patch], { cwd: sourceDir, env }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('`git` is needed to apply the FerretDB patches before building; install git.');
        throw error;
      });
      if (patched.code !== 0) {
        throw new Error(`The FerretDB patch ${path.basename(patch)} no longer applies to ${FERRETDB_MODULE}@${FERRETDB_VERSION} (exit ${patched.code}):\n${patched.stderr}`);
      }
      log('FerretDB source patched', { patch: path.basename(patch) });
    }

    const build = await run(go.command, ['build', '-o', tempTarget, './cmd/ferretdb'], { cwd: sourceDir, env });
    if (build.code !== 0) {
      throw noEngineError(`\`go build\` of FerretDB failed (exit ${build.code}):\n${build.stderr.slice(-OUTPUT_TAIL_CHARS)}`);
    }
    await fs.chmod(tempTarget, 0o755);
    await fs.rename(tempTarget, target);
    log('FerretDB built', { target, seconds: Math.round((Date.now() - started) / 100) / 10 });
  } finally {
    await fs.rm(tempTarget, { force: true });
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/** The folder `go mod download -json` put a module in. */
function moduleDirOf(download: RunResult): string {
  let moduleDir: unknown;
  try {
    moduleDir = (JSON.parse(download.stdout) as { Dir?: unknown }).Dir;
  } catch {
    moduleDir = undefined;
  }
  if (typeof moduleDir !== 'string' || moduleDir === '') throw noEngineError(`\`go mod download\` printed no module Dir:\n${download.stdout}`);
  return moduleDir;
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(full);
    else if (entry.isFile()) await fs.chmod(full, 0o644);
  }
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('Could not pick a free port'))));
    });
  });
}

interface LaunchOptions {
  port?: number;
  logLevel: NonNullable<EmbeddedDatabaseOptions['ferretDbLogLevel']>;
  onOutput?: (chunk: string) => void;
}

async function startFerretDb(binary: string, dataDir: string, log: Log, launch: LaunchOptions): Promise<EmbeddedDatabase> {
  const fixedPort = launch.port;
  const sqliteDir = path.join(dataDir, 'ferretdb');
  const stateDir = path.join(dataDir, 'ferretdb-state');
  await fs.mkdir(sqliteDir, { recursive: true });
  await fs.mkdir(stateDir, { recursive: true });
  if (fixedPort) return launchFerretDb(binary, sqliteDir, stateDir, fixedPort, log, launch);
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launchFerretDb(binary, sqliteDir, stateDir, port, log, launch);
    } catch (error) {
      lastError = error;
      // Another process may have grabbed the port between our probe and FerretDB's bind; retry on a new one.
      if (!/address already in use/i.test(errorMessage(error))) throw error;
      log('FerretDB port was taken; retrying', { port, attempt });
    }
  }
  throw lastError;
}

async function launchFerretDb(
  binary: string,
  sqliteDir: string,
  stateDir: string,
  port: number,
  log: Log,
  launch: LaunchOptions,
): Promise<EmbeddedDatabase> {
  const started = Date.now();
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${sqliteDir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    '--telemetry=disable',
    `--log-level=${launch.logLevel}`,
    `--state-dir=${stateDir}`,
    '--debug-addr=-',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: ferretDbEnv(process.env) });
  let output = '';
  const capture = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_TAIL_CHARS);
    launch.onOutput?.(chunk);
  };
  child.stdout.setEncoding('utf8').on('data', capture);
  child.stderr.setEncoding('utf8').on('data', capture);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);

  const killOnExit = (): void => {
    if (!hasExited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const stop = async (): Promise<void> => {
    if (!hasExited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!hasExited) child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
  };

  const exitedEarly = exited.then(({ code, signal }) => {
    throw new Error(`FerretDB exited during start-up (code ${code}, signal ${signal}):\n${output.trim()}`);
  });
  exitedEarly.catch(() => undefined);

  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    await Promise.race([waitForPing(uri, port, () => hasExited), spawnError, exitedEarly]);
  } catch (error) {
    await stop();
    const message = errorMessage(error);
    throw new Error(message.includes(output.trim()) ? message : `${message}\nFerretDB output:\n${output.trim()}`, {
      cause: error,
    });
  }
  log('FerretDB started', { uri, pid: child.pid, ms: Date.now() - started });
  return { uri, engine: 'ferretdb', pid: child.pid, stop };
}

async function waitForPing(uri: string, port: number, gaveUp: () => boolean): Promise<void> {
  const deadline = Date.now() + FERRETDB_READY_TIMEOUT_MS;
  let lastError: unknown;
  while (!gaveUp()) {
    if (Date.now() > deadline) {
      throw new Error(`FerretDB did not answer ping within ${FERRETDB_READY_TIMEOUT_MS / 1000} s: ${errorMessage(lastError)}`);
    }
    if (!(await portAcceptsConnections(port))) {
      await delay(25);
      continue;
    }
    const client = new mongoose.mongo.MongoClient(uri, {
      serverSelectionTimeoutMS: 1_000,
      connectTimeoutMS: 1_000,
      directConnection: true,
    });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await client.close().catch(() => undefined);
    }
    await delay(100);
  }
  // The caller's race reports the exit; this just stops polling.
  await new Promise<never>(() => undefined);
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
