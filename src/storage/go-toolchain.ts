import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants, createWriteStream, promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpsProxyAgent } from 'https-proxy-agent';
import yauzl from 'yauzl';

/** The Go release fetched when no new enough `go` is on PATH: the `toolchain` line of FerretDB v1.24.2's go.mod. */
export const GO_TOOLCHAIN_VERSION = '1.24.3';
/** The oldest `go` on PATH that can build FerretDB v1.24.2 (its go.mod says `go 1.24`). */
export const GO_MINIMUM_VERSION = '1.24';

const TOOLCHAIN_MODULE = 'golang.org/toolchain';
const DEFAULT_GOPROXY = 'https://proxy.golang.org';
const DEFAULT_SUMDB = 'sum.golang.org';
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;

/** A `go` command to run and the environment to run it with. */
export interface GoCommand {
  command: string;
  env: NodeJS.ProcessEnv;
  version: string;
  source: 'path' | 'fetched';
}

type Log = (message: string, fields?: Record<string, unknown>) => void;

/** Reads `1.24.3` out of `go version go1.24.3 linux/amd64` (or `1.24` out of `go1.24`); undefined when there is no release number. */
export function parseGoVersion(output: string): string | undefined {
  return /\bgo(\d+\.\d+(?:\.\d+)?)\b/.exec(output)?.[1];
}

/** Whether Go release `version` is at least `minimum` (both dotted numbers, e.g. `1.26.8` and `1.24`). */
export function isGoAtLeast(version: string, minimum: string): boolean {
  const have = version.split('.').map(Number);
  const need = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(have.length, need.length); i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Go's GOOS/GOARCH for Node's platform/arch, or undefined where no toolchain is fetched automatically. */
export function goPlatform(platform: string, arch: string): { goos: string; goarch: string } | undefined {
  const goos = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[platform];
  const goarch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[arch];
  return goos && goarch ? { goos, goarch } : undefined;
}

/** The first http(s) entry of a GOPROXY list (entries split by `,` or `|`), without a trailing slash; proxy.golang.org when there is none. */
export function moduleProxyBase(goproxy: string | undefined): string {
  const entry = (goproxy ?? '')
    .split(/[,|]/)
    .map((item) => item.trim())
    .find((item) => /^https?:\/\//i.test(item));
  return (entry ?? DEFAULT_GOPROXY).replace(/\/+$/, '');
}

/** The module version under which the proxy serves a Go release, e.g. `v0.0.1-go1.24.3.linux-amd64`. */
export function toolchainModuleVersion(version: string, goos: string, goarch: string): string {
  return `v0.0.1-go${version}.${goos}-${goarch}`;
}

/** Go's `h1:` dirhash of a module zip: base64 of the SHA-256 of the sorted "<sha256 hex>  <name>\n" lines of its files. */
export function dirHash1(files: ReadonlyArray<{ name: string; sha256: string }>): string {
  const lines = files
    .map(({ name, sha256 }) => {
      if (name.includes('\n')) throw new Error(`Zip file name contains a newline: ${JSON.stringify(name)}`);
      return { name, line: `${sha256}  ${name}\n` };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ line }) => line)
    .join('');
  return `h1:${createHash('sha256').update(lines).digest('base64')}`;
}

/** The `h1:` hash a checksum-database lookup answer records for `module version` (not its go.mod line), or undefined. */
export function sumDbHash(lookupBody: string, module: string, version: string): string | undefined {
  for (const line of lookupBody.split('\n')) {
    const [name, ver, hash, ...rest] = line.trim().split(/\s+/);
    if (name === module && ver === version && hash?.startsWith('h1:') && rest.length === 0) return hash;
  }
  return undefined;
}

/** Returns a `go` that can build FerretDB (`environment` is the process's, passed through to Go): the one on PATH when it is new enough, otherwise the official toolchain fetched from the Go module proxy into `<cacheDir>/go/`. */
export async function resolveGo(cacheDir: string, log: Log, environment: NodeJS.ProcessEnv): Promise<GoCommand> {
  const onPath = await goVersionOf('go', environment);
  if (onPath.version !== undefined && isGoAtLeast(onPath.version, GO_MINIMUM_VERSION)) {
    return withWritableGoDirs({ command: 'go', env: { ...environment }, version: onPath.version, source: 'path' }, cacheDir, log);
  }
  log(
    onPath.version === undefined
      ? 'No usable `go` on PATH; using the Go toolchain from the module proxy'
      : 'The `go` on PATH is too old to build FerretDB; using the Go toolchain from the module proxy',
    { found: onPath.version ?? onPath.problem, needed: `>= ${GO_MINIMUM_VERSION}`, fetching: `go${GO_TOOLCHAIN_VERSION}` },
  );
  const goroot = await ensureGoToolchain(cacheDir, log, environment);
  const env: NodeJS.ProcessEnv = {
    ...environment,
    GOROOT: goroot,
    GOTOOLCHAIN: 'local',
    PATH: [path.join(goroot, 'bin'), environment.PATH].filter(Boolean).join(path.delimiter),
  };
  return withWritableGoDirs({ command: path.join(goroot, 'bin', 'go'), env, version: GO_TOOLCHAIN_VERSION, source: 'fetched' }, cacheDir, log);
}

async function goVersionOf(command: string, env: NodeJS.ProcessEnv): Promise<{ version?: string; problem?: string }> {
  try {
    const result = await run(command, ['version'], { env: { ...env, GOTOOLCHAIN: 'local' } });
    if (result.code !== 0) return { problem: `\`${command} version\` exited ${result.code}: ${result.stderr.trim()}` };
    const version = parseGoVersion(result.stdout);
    return version === undefined ? { problem: `unrecognised \`go version\` output: ${result.stdout.trim()}` } : { version };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { problem: 'not on PATH' };
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Points the module and build caches into `<cacheDir>/go/` when Go's defaults (under $HOME) cannot be written. */
async function withWritableGoDirs(go: GoCommand, cacheDir: string, log: Log): Promise<GoCommand> {
  const result = await run(go.command, ['env', '-json', 'GOMODCACHE', 'GOCACHE'], { env: go.env }).catch(() => undefined);
  let current: { GOMODCACHE?: string; GOCACHE?: string } = {};
  try {
    current = result?.code === 0 ? (JSON.parse(result.stdout) as typeof current) : {};
  } catch {
    current = {};
  }
  const env = { ...go.env };
  const moved: Record<string, string> = {};
  if (!(await isWritableDir(current.GOMODCACHE))) {
    env.GOPATH = path.join(cacheDir, 'go', 'path');
    env.GOMODCACHE = path.join(cacheDir, 'go', 'path', 'pkg', 'mod');
    // Module-cache files are read-only by default; this keeps `rm -rf .cache` working.
    env.GOFLAGS = [env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' ');
    moved.GOMODCACHE = env.GOMODCACHE;
  }
  if (!(await isWritableDir(current.GOCACHE))) {
    env.GOCACHE = path.join(cacheDir, 'go', 'build-cache');
    moved.GOCACHE = env.GOCACHE;
  }
  if (Object.keys(moved).length > 0) log("Go's default cache folders are not writable; using the project cache", moved);
  return { ...go, env };
}

async function isWritableDir(dir: string | undefined): Promise<boolean> {
  if (!dir || dir === 'off' || !path.isAbsolute(dir)) return false;
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the fetched toolchain lives: `<cacheDir>/go/go<version>-<goos>-<goarch>` (a GOROOT). */
export function goToolchainDir(cacheDir: string, goos: string, goarch: string): string {
  return path.join(path.resolve(cacheDir), 'go', `go${GO_TOOLCHAIN_VERSION}-${goos}-${goarch}`);
}

async function ensureGoToolchain(cacheDir: string, log: Log, environment: NodeJS.ProcessEnv): Promise<string> {
  const platform = goPlatform(process.platform, process.arch);
  if (platform === undefined) {
    throw new Error(
      `No Go toolchain is fetched automatically for ${process.platform}/${process.arch}; ` +
        `install Go >= ${GO_MINIMUM_VERSION} from https://go.dev/dl/ and put \`go\` on PATH.`,
    );
  }
  const goroot = goToolchainDir(cacheDir, platform.goos, platform.goarch);
  const cached = await goVersionOf(path.join(goroot, 'bin', 'go'), { GOROOT: goroot, PATH: environment.PATH });
  if (cached.version === GO_TOOLCHAIN_VERSION) return goroot;
  if (cached.problem !== 'not on PATH') {
    log('The cached Go toolchain is unusable; fetching it again', { goroot, problem: cached.problem ?? `reports go${cached.version}` });
  }

  const proxy = moduleProxyBase(environment.GOPROXY);
  const version = toolchainModuleVersion(GO_TOOLCHAIN_VERSION, platform.goos, platform.goarch);
  const zipUrl = `${proxy}/${TOOLCHAIN_MODULE}/@v/${version}.zip`;
  const started = Date.now();
  const staging = `${goroot}.tmp-${process.pid}`;
  const zipFile = `${staging}.zip`;
  const failure = (what: string, error: unknown): Error =>
    new Error(
      `Could not ${what} the Go toolchain go${GO_TOOLCHAIN_VERSION} (${TOOLCHAIN_MODULE}@${version}) from ${proxy}: ` +
        `${error instanceof Error ? error.message : String(error)}\n` +
        (/certificate|CERT_/i.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${String(error)}`)
          ? 'Node does not trust the TLS certificate it was shown: if a proxy re-signs TLS, point NODE_EXTRA_CA_CERTS at its CA bundle. '
          : '') +
        `Make the Go module proxy reachable (set GOPROXY to a reachable mirror, or HTTPS_PROXY), ` +
        `or install Go >= ${GO_MINIMUM_VERSION} from https://go.dev/dl/ and put \`go\` on PATH.`,
      { cause: error },
    );

  await fs.mkdir(path.dirname(goroot), { recursive: true });
  await fs.rm(staging, { recursive: true, force: true });
  try {
    log('Fetching the Go toolchain from the module proxy (first run only)', { url: zipUrl });
    try {
      await httpGet(`${proxy}/${TOOLCHAIN_MODULE}/@v/${version}.info`, environment).then(readBody);
    } catch (error) {
      throw failure('find', error);
    }
    let expected: string | undefined;
    try {
      expected = await lookUpSum(proxy, version, log, environment);
    } catch (error) {
      throw failure('look up the checksum of', error);
    }
    let bytes: number;
    try {
      bytes = await downloadTo(zipUrl, zipFile, environment);
    } catch (error) {
      throw failure('download', error);
    }
    log('Go toolchain downloaded; checking and unpacking it', { megabytes: Math.round(bytes / 1e5) / 10 });
    const files = await extractModuleZip(zipFile, `${TOOLCHAIN_MODULE}@${version}/`, staging);
    const actual = dirHash1(files);
    if (expected !== undefined && actual !== expected) {
      throw new Error(
        `The Go toolchain downloaded from ${proxy} does not match the checksum database (${expected}, got ${actual}); ` +
          'it was discarded. Check GOPROXY, or install Go from https://go.dev/dl/.',
      );
    }
    const unpacked = await goVersionOf(path.join(staging, 'bin', 'go'), { GOROOT: staging, PATH: environment.PATH });
    if (unpacked.version !== GO_TOOLCHAIN_VERSION) {
      throw new Error(
        `The fetched Go toolchain does not run here (${unpacked.problem ?? `it reports go${unpacked.version}`}); ` +
          `install Go >= ${GO_MINIMUM_VERSION} from https://go.dev/dl/ and put \`go\` on PATH.`,
      );
    }
    await fs.rm(goroot, { recursive: true, force: true });
    try {
      await fs.rename(staging, goroot);
    } catch (error) {
      // Another process may have put the same toolchain there meanwhile.
      if ((await goVersionOf(path.join(goroot, 'bin', 'go'), { GOROOT: goroot, PATH: environment.PATH })).version !== GO_TOOLCHAIN_VERSION) throw error;
    }
    log('Go toolchain ready', {
      goroot,
      checksum: expected === undefined ? 'not checked (GOSUMDB=off)' : `${actual} (matches ${DEFAULT_SUMDB})`,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    });
    return goroot;
  } finally {
    await fs.rm(zipFile, { force: true });
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** The toolchain's h1 hash from sum.golang.org (through the proxy, as the go command does, else directly); undefined when GOSUMDB=off. */
async function lookUpSum(proxy: string, version: string, log: Log, environment: NodeJS.ProcessEnv): Promise<string | undefined> {
  const sumdb = (environment.GOSUMDB ?? '').trim();
  if (sumdb === 'off') {
    log('GOSUMDB=off: the Go toolchain is not checked against the checksum database');
    return undefined;
  }
  if (sumdb !== '' && sumdb.split(/\s+/)[0]?.split('+')[0] !== DEFAULT_SUMDB) {
    throw new Error(`GOSUMDB=${sumdb} is not supported here; unset it (or set GOSUMDB=off to skip the check)`);
  }
  const lookup = `/lookup/${TOOLCHAIN_MODULE}@${version}`;
  let body: string;
  try {
    body = await readBody(await httpGet(`${proxy}/sumdb/${DEFAULT_SUMDB}${lookup}`, environment));
  } catch (viaProxy) {
    try {
      body = await readBody(await httpGet(`https://${DEFAULT_SUMDB}${lookup}`, environment));
    } catch (direct) {
      throw new Error(`${DEFAULT_SUMDB} lookup failed through the proxy (${String(viaProxy)}) and directly (${String(direct)})`, { cause: direct });
    }
  }
  const hash = sumDbHash(body, TOOLCHAIN_MODULE, version);
  if (hash === undefined) throw new Error(`${DEFAULT_SUMDB} has no h1 line for ${TOOLCHAIN_MODULE}@${version}`);
  return hash;
}

/** Unpacks the files under `prefix` in a module zip into `destination`, executables under bin/ and pkg/tool/, and returns each file's zip name and SHA-256. */
async function extractModuleZip(zipFile: string, prefix: string, destination: string): Promise<Array<{ name: string; sha256: string }>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipFile, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (error, opened) =>
      error ? reject(error) : resolve(opened),
    ),
  );
  const files: Array<{ name: string; sha256: string }> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          const name = entry.fileName;
          if (!name.startsWith(prefix)) throw new Error(`Unexpected file outside ${prefix} in the Go toolchain zip: ${name}`);
          const relative = name.slice(prefix.length);
          const target = path.join(destination, relative);
          if (relative.split('/').includes('..') || !target.startsWith(destination + path.sep)) {
            throw new Error(`Unsafe path in the Go toolchain zip: ${name}`);
          }
          if (name.endsWith('/')) {
            await fs.mkdir(target, { recursive: true });
            zip.readEntry();
            return;
          }
          await fs.mkdir(path.dirname(target), { recursive: true });
          const zipMode = (entry.externalFileAttributes >>> 16) & 0o777;
          const executable = relative.startsWith('bin/') || relative.startsWith('pkg/tool/') || (zipMode & 0o111) !== 0;
          const hash = createHash('sha256');
          const input = await new Promise<NodeJS.ReadableStream>((ok, fail) =>
            zip.openReadStream(entry, (error, stream) => (error ? fail(error) : ok(stream))),
          );
          await pipeline(input, tap((chunk) => hash.update(chunk)), createWriteStream(target, { mode: executable ? 0o755 : 0o644 }));
          files.push({ name, sha256: hash.digest('hex') });
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (!files.some((file) => file.name === `${prefix}bin/go`)) throw new Error(`The Go toolchain zip has no ${prefix}bin/go`);
  return files;
}

async function downloadTo(url: string, file: string, environment: NodeJS.ProcessEnv): Promise<number> {
  const response = await httpGet(url, environment);
  const expected = Number(response.headers['content-length']);
  let received = 0;
  await pipeline(response, tap((chunk) => (received += chunk.length)), createWriteStream(file));
  if (Number.isFinite(expected) && expected > 0 && received !== expected) {
    throw new Error(`the download was cut short (${received} of ${expected} bytes)`);
  }
  return received;
}

/** A pipeline stage that shows each chunk to `see` and passes it on unchanged. */
function tap(see: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      see(chunk);
      done(null, chunk);
    },
  });
}

function proxyAgent(url: URL, environment: NodeJS.ProcessEnv): http.Agent | undefined {
  const names = url.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'] : ['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];
  const proxy = names.map((name) => environment[name]).find((value) => value !== undefined && value !== '');
  return proxy === undefined ? undefined : new HttpsProxyAgent(proxy);
}

/** GETs a URL (following redirects, through HTTPS_PROXY/HTTP_PROXY when set) and resolves with a 200 response. */
function httpGet(url: string, environment: NodeJS.ProcessEnv, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const client = parsed.protocol === 'http:' ? http : https;
    const request = client.get(parsed, { agent: proxyAgent(parsed, environment), timeout: REQUEST_TIMEOUT_MS }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined && redirects < MAX_REDIRECTS) {
        response.resume();
        httpGet(new URL(location, parsed).toString(), environment, redirects + 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new Error(`GET ${url} answered HTTP ${status}`));
        return;
      }
      response.setTimeout(REQUEST_TIMEOUT_MS, () => response.destroy(new Error(`GET ${url} stalled for ${REQUEST_TIMEOUT_MS / 1000} s`)));
      resolve(response);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

async function readBody(response: http.IncomingMessage): Promise<string> {
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response) body += chunk as string;
  return body;
}

/** What a finished command printed and how it exited. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output (rejects only when it cannot be started, e.g. ENOENT). */
export function run(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
