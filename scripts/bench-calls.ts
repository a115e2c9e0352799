import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { checkCharacter } from '../src/domain/citizen-id.ts';
import { createLogger } from '../src/logging/logger.ts';
import { CallReplayer, gatheredKeys, newCallSid } from '../src/qa/call-replayer.ts';
import { prepareCitizens } from '../src/services/citizen-seed.service.ts';
import { SupervisorAuthService } from '../src/services/supervisor-auth.service.ts';
import { hashPin } from '../src/security/secrets.ts';
import { startEmbeddedDatabase } from '../src/storage/embedded-database.ts';
import { openStore } from '../src/storage/store.ts';
import { monotonicUs, printComparison, printProfile, type ProfileWindow } from './cpu-profile-summary.ts';
import { fillHistory } from './bench-history.ts';
import { benchJourney, prepareToConfirm, type JourneyTarget, type TurnSample } from './bench-journey.ts';
import { freePort, machineDescription, percentile, processUsage, spawnUntil, type Spawned } from './bench-support.ts';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '50,200' },
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '4' },
    'think-ms': { type: 'string', default: '1000' },
    history: { type: 'string', default: '100000' },
    readers: { type: 'string', default: '4' },
    'reader-think-ms': { type: 'string', default: '1000' },
    citizens: { type: 'string', default: '1200' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'mongodb-uri': { type: 'string' },
    'skip-journeys': { type: 'boolean', default: false },
    'skip-history': { type: 'boolean', default: false },
  },
});

const levels = args.levels.split(',').map(Number).filter((n) => n > 0);
const seconds = Number(args.seconds);
const thinkMs = Number(args['think-ms']);
const PEPPER = 'bench-pepper-0123456789abcdef';
const AUTH_TOKEN = 'bench-auth-token-0123456789';
const QA_TOKEN = 'bench-qa-token';
const METRICS_TOKEN = 'bench-metrics-token';
const PUBLIC_BASE_URL = 'http://bench.hotline.local';
const BENCH_PIN = '520746';
const SUPERVISOR = { username: 'bench', password: 'bench supervisor passphrase' };
const machine = machineDescription();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Synthetic citizens with valid GB 11643 numbers and unique mobiles. */
function syntheticCitizens(count: number): Array<{ id: string; mobile: string }> {
  return Array.from({ length: count }, (_, i) => {
    const first17 = `110101${1960 + (i % 40)}${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}`;
    return { id: `${first17}${checkCharacter(first17)}`, mobile: `+86139${String(10_000_000 + i).slice(-8)}` };
  }).filter((c, i, all) => all.findIndex((o) => o.id === c.id) === i);
}

/** The largest file of a folder (a process's main-thread profile beside its workers'), or null. */
async function largestFile(dir: string): Promise<string | null> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const sized = await Promise.all(files.map(async (file) => ({ file, size: (await stat(path.join(dir, file))).size })));
  const largest = sized.filter((f) => f.file.endsWith('.cpuprofile')).sort((a, b) => b.size - a.size)[0];
  return largest ? path.join(dir, largest.file) : null;
}

/** Waits until the app answers `/readyz` (whatever its log level: the log is not parsed). */
async function waitReady(base: string, app: Spawned): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (app.child.exitCode !== null) throw new Error(`the app exited with ${app.child.exitCode} (its output: ${app.logFile})`);
    const res = await fetch(`${base}/readyz`).catch(() => null);
    if (res?.ok) return;
    await sleep(100);
  }
  throw new Error(`the app did not become ready in 60 s (its output: ${app.logFile})`);
}

/** CPU seconds used so far by the app, the database and this load generator. */
interface CpuMark {
  app: number;
  db: number;
  self: number;
}

async function cpuMark(appPid: number, dbPid: number | undefined): Promise<CpuMark> {
  const self = process.cpuUsage();
  const [app, db] = await Promise.all([processUsage(appPid), dbPid ? processUsage(dbPid) : Promise.resolve(null)]);
  return { app: app?.cpuSeconds ?? 0, db: db?.cpuSeconds ?? Number.NaN, self: (self.user + self.system) / 1e6 };
}

/** A measured phase: answered requests inside the window, their latencies, the CPU each side used per request. */
interface Phase {
  label: string;
  concurrency: number;
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpuMsPerTurn: { app: number; db: number; self: number };
}

function phase(label: string, concurrency: number, latencies: number[], errors: number, elapsed: number, before: CpuMark, after: CpuMark): Phase {
  const sorted = [...latencies].sort((a, b) => a - b);
  const per = (a: number, b: number) => (sorted.length > 0 ? ((b - a) * 1000) / sorted.length : Number.NaN);
  return {
    label,
    concurrency,
    count: sorted.length,
    perSecond: sorted.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors,
    cpuMsPerTurn: { app: per(before.app, after.app), db: per(before.db, after.db), self: per(before.self, after.self) },
  };
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

function printPhases(rows: Phase[]): void {
  console.log('| run | callers | answered | per s | p50 ms | p99 ms | errors | app CPU ms/turn | DB CPU ms/turn | load generator CPU ms/turn |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.concurrency} | ${r.count} | ${f(r.perSecond)} | ${f(r.p50)} | ${f(r.p99)} | ${r.errors} | ${f(r.cpuMsPerTurn.app, 2)} | ${f(r.cpuMsPerTurn.db, 2)} | ${f(r.cpuMsPerTurn.self, 2)} |`);
  }
}

/**
 * Where a phase's CPU and profile window opens and closes: by default around the whole phase; a phase that sets up
 * before its timed part (calls started) or tidies up after it (calls hung up and ended) opens it when timing starts
 * and closes it at the deadline, so the per-turn CPU is that of the turns timed.
 */
interface PhaseWindow {
  open(): void;
  close(): void;
}

const NO_WINDOW: PhaseWindow = { open: () => undefined, close: () => undefined };

/** Opens `window` now and closes it at the deadline, `ms` on; the function returned closes it at once if still open. */
function openUntilDeadline(window: PhaseWindow, ms: number): () => void {
  window.open();
  const closing = setTimeout(() => window.close(), ms);
  return () => {
    clearTimeout(closing);
    window.close();
  };
}

/**
 * A caller in the main menu pressing `*`, posted as Twilio posts it (signed, Twilio's parameters) but not followed as
 * the replayer follows TwiML: each answer must be the menu the replayer heard first, byte for byte but for the step,
 * which must be the next one. The replayer's TwiML parse, prompt matching and transcript cost about 0.3 ms a turn on
 * the two cores the hotline shares with it, which the baseline's bare clients never paid.
 */
class StarPresser {
  private step: number;
  /** The menu's answer and its gather's action, split where the step goes. */
  private readonly menu: string[];
  private readonly action: string[];
  private readonly keys: { digits: string; finishedOnKey: string };
  private readonly method: string;

  constructor(readonly call: CallReplayer) {
    const gather = call.pendingGather;
    if (!gather) throw new Error(`call ${call.callSid} is not waiting for keys`);
    this.step = Number(new URL(gather.action).searchParams.get('step'));
    this.action = gather.action.split(`step=${this.step}`);
    this.menu = call.lastAnswer.split(`step=${this.step}&amp;`);
    if (this.action.length !== 2 || this.menu.length !== 2) throw new Error(`call ${call.callSid}: the menu's gather does not post its step once`);
    this.keys = gatheredKeys('*', gather);
    this.method = gather.method;
  }

  /** Presses `*`: true when the menu came back, posting to the next step (after any other answer, the step it posts to, if any, is taken up). */
  async press(): Promise<boolean> {
    const answer = await this.call.webhook(this.action.join(`step=${this.step}`), { Digits: this.keys.digits, FinishedOnKey: this.keys.finishedOnKey }, this.method);
    if (answer === this.menu.join(`step=${this.step + 1}&amp;`)) {
      this.step += 1;
      return true;
    }
    const posted = /[?&;]step=(\d+)&amp;/.exec(answer);
    if (posted) this.step = Number(posted[1]);
    return false;
  }
}

/** `callers` calls answered and taken to the main menu (checked by the replayer), where each `*` is one menu turn (the menu again). */
async function menuCallers(target: JourneyTarget, callers: number): Promise<StarPresser[]> {
  return Promise.all(
    Array.from({ length: callers }, async (_v, i) => {
      const call = new CallReplayer(target, `+8613700${String(100_000 + i).slice(-6)}`);
      await call.start();
      const said = await call.press('2');
      if (!said.some((u) => u.promptId === 'main.menu')) throw new Error(`call ${call.callSid} did not reach the main menu: ${call.transcript.map((l) => l.text).join(' / ')}`);
      return new StarPresser(call);
    }),
  );
}

/**
 * Calls in the main menu pressing `*` for `ms`, each waiting `think` ms between turns; `window` opens when timing
 * starts and closes at the deadline. Only turns answered by the deadline count.
 */
async function pressStar(calls: StarPresser[], ms: number, think: number, window: PhaseWindow = NO_WINDOW): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + ms;
  const closeWindow = openUntilDeadline(window, ms);
  await Promise.all(
    calls.map(async (call, i) => {
      if (think > 0) await sleep((i * think) / calls.length);
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          const menu = await call.press();
          if (performance.now() <= deadline) {
            if (menu) latencies.push(performance.now() - started);
            else errors += 1;
          }
        } catch {
          errors += 1;
        }
        if (think > 0) await sleep(think * (0.5 + Math.random()));
      }
    }),
  );
  closeWindow();
  return { latencies, errors };
}

/** Runs two sides `rounds` times each, in the order a, b, b, a, a, b, …: a machine drifting meanwhile weighs on both alike. */
async function alternate(rounds: number, a: () => Promise<void>, b: () => Promise<void>): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) await a().then(b);
    else await b().then(a);
  }
}

const hangUp = (callers: StarPresser[]) => Promise.all(callers.map(({ call }) => call.hangup().catch(() => undefined)));

/**
 * `callers` callers in the main menu pressing `*` for `ms` (see `pressStar`); the calls' starts and ends fall outside
 * `window`.
 */
async function menuTurns(target: JourneyTarget, callers: number, ms: number, think: number, window: PhaseWindow = NO_WINDOW): Promise<{ latencies: number[]; errors: number }> {
  const calls = await menuCallers(target, callers);
  const result = await pressStar(calls, ms, think, window);
  await hangUp(calls);
  return result;
}

/** `clients` bare clients against the baseline server, closed loop, 10 steps a call, for `ms` (`window` closes at the deadline, as for the hotline). */
async function baselineTurns(base: string, clients: number, ms: number, window: PhaseWindow = NO_WINDOW): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + ms;
  const closeWindow = openUntilDeadline(window, ms);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        // A new random CallSid per call, as Twilio's are and as the hotline's callers get: sequential ids would give
        // the baseline a locality in the `_id` index that real calls never have (and a repeated id a cheap failed insert).
        const callSid = newCallSid();
        for (let step = 0; step < 10 && performance.now() < deadline; step += 1) {
          const started = performance.now();
          const res = await fetch(`${base}/turn?step=${step}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `CallSid=${callSid}&Digits=1` }).catch(() => null);
          const body = res ? await res.text().catch(() => '') : '';
          if (performance.now() > deadline) break;
          if (res?.ok && body.includes('<Gather')) latencies.push(performance.now() - started);
          else errors += 1;
        }
      }
    }),
  );
  closeWindow();
  return { latencies, errors };
}

/**
 * Supervisors reading the console in a loop (newest calls, a call's timeline, the week's flow view), each waiting
 * `thinkMs` between pages (0: a closed loop, a stress test rather than a supervisor), until `stop()`.
 */
function consoleReaders(base: string, cookie: string, readers: number, thinkMs: number): { stop(): Promise<{ latencies: number[]; byPage: Map<string, number[]>; errors: number }> } {
  let running = true;
  const latencies: number[] = [];
  const byPage = new Map<string, number[]>();
  let errors = 0;
  const get = async (pathAndQuery: string, page: string) => {
    if (thinkMs > 0 && running) await sleep(thinkMs * (0.5 + Math.random()));
    const started = performance.now();
    const res = await fetch(`${base}${pathAndQuery}`, { headers: { cookie } }).catch(() => null);
    const body = res ? await res.json().catch(() => null) : null;
    if (res?.ok) {
      latencies.push(performance.now() - started);
      byPage.set(page, [...(byPage.get(page) ?? []), performance.now() - started]);
    } else errors += 1;
    return body as { calls?: Array<{ callSid: string }> } | null;
  };
  const loops = Array.from({ length: readers }, async () => {
    while (running) {
      const page = await get('/api/supervisor/calls', 'newest calls');
      const sid = page?.calls?.[Math.floor(Math.random() * (page.calls.length || 1))]?.callSid;
      if (sid) await get(`/api/supervisor/calls/${sid}`, 'a call with its timeline');
      await get('/api/supervisor/flow', "the week's flow view");
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { latencies, byPage, errors };
    },
  };
}

async function main(): Promise<void> {
  console.log(`machine: ${machine}`);
  console.log(`levels ${levels.join(', ')} callers, ${seconds} s a phase, think time ${thinkMs} ms for paced callers, history ${Number(args.history).toLocaleString('en')} calls`);
  let dataDir: string | null = null;
  let stopDatabase: () => Promise<void> = async () => undefined;
  let dbPid: number | undefined;
  let mongoUri: string;
  const dbName = `bench_${Date.now()}`;
  if (args['mongodb-uri']) {
    mongoUri = args['mongodb-uri'];
    console.log(`database: ${mongoUri.replace(/\/\/[^@/]*@/, '//…@')} (database ${dbName}, dropped at the end; its CPU is not measured)`);
  } else {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-bench-'));
    const database = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache') });
    stopDatabase = () => database.stop();
    mongoUri = database.uri;
    dbPid = database.pid;
    console.log(`database: embedded ${database.engine} (pid ${dbPid ?? '?'})`);
  }

  const pool = syntheticCitizens(Number(args.citizens));
  const store = await openStore(mongoUri, dbName);
  const pinHash = await hashPin('602481', PEPPER);
  const citizens = await prepareCitizens(pool.map((c, i) => ({ idNumber: c.id, name: `Bench ${i}`, mobile: c.mobile })), PEPPER);
  await store.models.Citizen.collection.insertMany(citizens.map((c) => ({ ...c, _id: c.idHash, pinHash, pinSetAt: new Date(), createdAt: new Date(), updatedAt: new Date() })) as never[]);
  const config = loadConfig({ PIN_PEPPER: PEPPER, NODE_ENV: 'test' });
  await new SupervisorAuthService({ store, config, logger: createLogger({ level: 'error', format: 'json' }) }).addSupervisor(SUPERVISOR.username, SUPERVISOR.password);

  // A fresh folder each run (inside --profile-dir when given), so no earlier run's profile is read as this one's.
  const profileParent = args['profile-dir'] ? path.resolve(args['profile-dir']) : args.profile ? os.tmpdir() : null;
  if (profileParent) await mkdir(profileParent, { recursive: true });
  const profileDir = profileParent ? await mkdtemp(path.join(profileParent, 'hotline-profile-')) : null;
  const port = await freePort();
  const app = await spawnUntil(
    process.execPath,
    [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', 'src/server.ts'],
    {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      MONGODB_URI: mongoUri,
      MONGODB_DB: dbName,
      LOAD_DEMO_DATA: 'false',
      PUBLIC_BASE_URL,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      PIN_PEPPER: PEPPER,
      QA_TOKEN,
      METRICS_TOKEN,
      OTP_MAX_SENDS: '20',
      LOG_LEVEL: args['log-level'],
      LOG_FORMAT: 'json',
    },
    /./,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base, app);
  const appPid = app.child.pid!;
  console.log(`app: pid ${appPid} at ${base}`);
  const baselineProfileDir = profileDir ? path.join(profileDir, 'baseline') : null;
  const baseline = await spawnUntil(
    process.execPath,
    [...(baselineProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${baselineProfileDir}`] : []), '--import', 'tsx', 'scripts/bench-baseline.server.ts', mongoUri, dbName],
    process.env,
    /listening (\d+)/,
  );
  const baselineUrl = `http://127.0.0.1:${baseline.match[1]}`;
  const target: JourneyTarget = { baseUrl: base, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, qaToken: QA_TOKEN };
  const login = await fetch(`${base}/api/supervisor/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: PUBLIC_BASE_URL }, body: JSON.stringify(SUPERVISOR) });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];

  const measure = async <T extends { latencies: number[]; errors: number }>(
    label: string,
    concurrency: number,
    pid: number,
    run: (window: PhaseWindow) => Promise<T>,
    elapsed = seconds,
  ): Promise<{ row: Phase; result: T; window: ProfileWindow; cpu: { before: CpuMark; after: CpuMark } }> => {
    type Mark = { us: number; cpu: Promise<CpuMark> };
    const mark = (): Mark => ({ us: monotonicUs(), cpu: cpuMark(pid, dbPid) });
    const marks: { from: Mark; to: Mark | null } = { from: mark(), to: null };
    const result = await run({
      open: () => {
        marks.from = mark();
      },
      close: () => {
        marks.to ??= mark();
      },
    });
    const to = marks.to ?? mark();
    const window = { fromUs: marks.from.us, toUs: to.us };
    const cpu = { before: await marks.from.cpu, after: await to.cpu };
    const row = phase(label, concurrency, result.latencies, result.errors, elapsed, cpu.before, cpu.after);
    process.stdout.write(`  ${label} ${concurrency}: ${row.count} answered, ${f(row.perSecond)}/s, p50 ${f(row.p50)} ms, p99 ${f(row.p99)} ms, errors ${row.errors}${profileDir ? ` (window ${window.fromUs}–${window.toUs} µs)` : ''}\n`);
    return { row, result, window, cpu };
  };

  /** One row from several measured parts of the same phase (latencies pooled, CPU and time added up). */
  const combined = (label: string, concurrency: number, parts: Array<Awaited<ReturnType<typeof measure>>>, elapsed: number): Phase => {
    const zero: CpuMark = { app: 0, db: 0, self: 0 };
    const used = parts.reduce((sum, p) => ({ app: sum.app + p.cpu.after.app - p.cpu.before.app, db: sum.db + p.cpu.after.db - p.cpu.before.db, self: sum.self + p.cpu.after.self - p.cpu.before.self }), zero);
    return phase(label, concurrency, parts.flatMap((p) => p.result.latencies), parts.reduce((n, p) => n + p.result.errors, 0), elapsed, zero, used);
  };

  // Warm-up: JIT, connection pools, collections created.
  await menuTurns(target, 20, 3000, 0);
  await baselineTurns(baselineUrl, 20, 2000);

  console.log('\n== menu turns, saturated (closed loop), hotline and baseline on the same database');
  const fresh: Phase[] = [];
  let profileWindow: ProfileWindow | null = null;
  let profileTurns = 0;
  let baselineWindow: ProfileWindow | null = null;
  let baselineProfileTurns = 0;
  // Each level as `rounds` short stretches a side, alternating hotline, baseline, baseline, hotline, … (the hotline's
  // callers stay in their calls meanwhile): a machine that speeds up or slows down during the run (these VMs do,
  // by a third within a minute) weighs on both sides alike, so the ratio is the two programs', not the minute's.
  const rounds = Math.max(1, Number(args.rounds));
  const part = seconds / rounds;
  /** One saturated level, hotline and baseline in alternating stretches; the measured parts of each side. */
  const saturated = async (level: number, when = '') => {
    const calls = await menuCallers(target, level);
    const hot: Array<Awaited<ReturnType<typeof measure>>> = [];
    const bare: typeof hot = [];
    const hotPart = async () => {
      hot.push(await measure(`hotline menu turns${when} (${hot.length + 1}/${rounds})`, level, appPid, (window) => pressStar(calls, part * 1000, 0, window), part));
    };
    const barePart = async () => {
      bare.push(await measure(`baseline${when} (${bare.length + 1}/${rounds})`, level, baseline.child.pid!, (window) => baselineTurns(baselineUrl, level, part * 1000, window), part));
    };
    await alternate(rounds, hotPart, barePart);
    await hangUp(calls);
    return { hot, bare };
  };
  for (const level of levels) {
    const { hot, bare } = await saturated(level);
    if (!profileWindow) {
      profileWindow = hot[0].window;
      profileTurns = hot[0].row.count;
      baselineWindow = bare[0].window;
      baselineProfileTurns = bare[0].row.count;
    }
    fresh.push(combined('hotline menu turns', level, hot, seconds), combined('baseline (read + insert)', level, bare, seconds));
  }

  console.log(`\n== menu turns, paced (${thinkMs} ms think time), without and with ${args.readers} console readers (${args['reader-think-ms']} ms between pages)`);
  const pacedLevel = levels[levels.length - 1];
  // As the saturated levels: alternating stretches (without, with, with, without, …), so a minute when the VM is slow
  // weighs on both sides alike. Each stretch has its own calls (started before its window opens, ended after it
  // closes): calls that ran on through every stretch would grow to a length no caller's has, and the readers open
  // calls' timelines, which read every turn.
  const quiet: Array<Awaited<ReturnType<typeof measure>>> = [];
  const watched: typeof quiet = [];
  const read: Awaited<ReturnType<ReturnType<typeof consoleReaders>['stop']>> = { latencies: [], byPage: new Map(), errors: 0 };
  const quietPart = async () => {
    quiet.push(await measure(`hotline menu turns, paced (${quiet.length + 1}/${rounds})`, pacedLevel, appPid, (window) => menuTurns(target, pacedLevel, part * 1000, thinkMs, window), part));
  };
  const watchedPart = async () => {
    const readers = consoleReaders(base, cookie, Number(args.readers), Number(args['reader-think-ms']));
    // Readers wait 0.5–1.5 think times before their first page: started a think time early, they are reading when timing starts.
    await sleep(Number(args['reader-think-ms']));
    watched.push(await measure(`… with ${args.readers} console readers (${watched.length + 1}/${rounds})`, pacedLevel, appPid, (window) => menuTurns(target, pacedLevel, part * 1000, thinkMs, window), part));
    const stretch = await readers.stop();
    read.latencies.push(...stretch.latencies);
    read.errors += stretch.errors;
    for (const [page, times] of stretch.byPage) read.byPage.set(page, [...(read.byPage.get(page) ?? []), ...times]);
  };
  await alternate(rounds, quietPart, watchedPart);
  const paced = combined('hotline menu turns, paced', pacedLevel, quiet, seconds);
  const busy = combined(`… with ${args.readers} console readers`, pacedLevel, watched, seconds);
  const readSorted = [...read.latencies].sort((a, b) => a - b);

  const journeyRows: Phase[] = [];
  const burst: string[] = [];
  if (!args['skip-journeys']) {
    console.log('\n== whole password resets by SMS (every turn: menus, ID, code, two Argon2id hashes), saturated');
    const level = levels[0];
    const next = { i: 0 };
    const journeys = await measure('hotline reset journeys', level, appPid, async () => {
      const samples: TurnSample[] = [];
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: level }, async () => {
          while (performance.now() < deadline) samples.push(...(await benchJourney(target, pool[next.i++ % pool.length], BENCH_PIN, 0, deadline)));
        }),
      );
      const inside = samples.filter((s) => s.at <= deadline);
      return { latencies: inside.filter((s) => s.ok && !s.floored).map((s) => s.ms), errors: inside.filter((s) => !s.ok).length };
    });
    journeyRows.push(journeys.row);
    const commits = 40;
    const prepared = (await Promise.all(Array.from({ length: commits }, () => prepareToConfirm(target, pool[next.i++ % pool.length], BENCH_PIN).catch(() => null)))).filter(
      (confirm): confirm is () => Promise<number> => confirm !== null,
    );
    const before = await cpuMark(appPid, dbPid);
    const started = performance.now();
    const commitMs = (await Promise.all(prepared.map((confirm) => confirm()))).sort((a, b) => a - b);
    const elapsed = (performance.now() - started) / 1000;
    const after = await cpuMark(appPid, dbPid);
    const appCores = (after.app - before.app) / elapsed;
    burst.push(
      `Password commits: ${prepared.length} callers confirm a new password at once (an Argon2id hash each, at most 2 at a time per instance): ` +
        `${f(prepared.length / elapsed)} commits/s using ${f(appCores, 2)} cores of app CPU = ${f(prepared.length / elapsed / Math.max(appCores, 0.01))} commits/s per core; ` +
        `a commit turn p50 ${f(percentile(commitMs, 50))} ms, max ${f(commitMs[commitMs.length - 1] ?? Number.NaN)} ms.`,
    );
  }

  const decay: Phase[] = [];
  if (!args['skip-history']) {
    const history = Number(args.history);
    console.log(`\n== history: ${history.toLocaleString('en')} finished calls written into the same database, then the first level again`);
    const fill = await fillHistory(store, { calls: history, days: 30, end: new Date(), pepper: PEPPER, prefix: 'CAhist' });
    console.log(`  filled ${fill.calls.toLocaleString('en')} calls (${fill.turns.toLocaleString('en')} turns) in ${f(fill.seconds, 0)} s`);
    await menuTurns(target, 20, 2000, 0);
    // In alternating stretches as the fresh level was: the VM's drift over the minutes the history took shows in the
    // baseline beside it (its collection has no history), so the decay is also given against it.
    const level = levels[0];
    const { hot, bare } = await saturated(level, ', after history');
    decay.push(combined('hotline menu turns, after history', level, hot, seconds), combined('baseline, after history', level, bare, seconds));
  }

  await baseline.stop();
  await app.stop();
  await store.drop().catch(() => undefined);
  await store.close();
  await stopDatabase();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });

  console.log(`\nmachine: ${machine}; load generator, app and database on the same machine\n`);
  console.log('Menu turns, saturated (a caller in the main menu pressing * in a closed loop: one read and one insert a turn):\n');
  printPhases(fresh);
  console.log('\n| callers | hotline menu turns/s | baseline requests/s | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (let i = 0; i < fresh.length; i += 2) console.log(`| ${fresh[i].concurrency} | ${f(fresh[i].perSecond)} | ${f(fresh[i + 1].perSecond)} | ${f((fresh[i].perSecond / fresh[i + 1].perSecond) * 100, 0)} % |`);
  console.log(`\nMenu turns, paced (${thinkMs} ms think time), and the same with ${args.readers} supervisors reading the console at once (newest calls, a timeline, the week's flow view; a page every ${args['reader-think-ms']} ms on average each):\n`);
  printPhases([paced, busy]);
  console.log(`\nConsole reads during the paced run: ${readSorted.length} answered, p50 ${f(percentile(readSorted, 50))} ms, p95 ${f(percentile(readSorted, 95))} ms, p99 ${f(percentile(readSorted, 99))} ms, errors ${read.errors}`);
  for (const [page, times] of read.byPage) {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`  ${page}: ${sorted.length} answered, p50 ${f(percentile(sorted, 50))} ms, p95 ${f(percentile(sorted, 95))} ms`);
  }
  if (journeyRows.length > 0) {
    console.log('\nWhole password resets by SMS, saturated (every turn of the journey; the code request\'s deliberate CODE_SEND_FLOOR_MS wait left out of the latencies):\n');
    printPhases(journeyRows);
    const bare = fresh.find((r) => r.label.startsWith('baseline') && r.concurrency === journeyRows[0].concurrency);
    if (bare) console.log(`\nWhole-journey ratio at ${journeyRows[0].concurrency} callers: ${f((journeyRows[0].perSecond / bare.perSecond) * 100, 0)} % of the baseline`);
    console.log(`\n${burst.join('\n')}`);
  }
  if (decay.length > 0) {
    console.log(`\nAfter ${Number(args.history).toLocaleString('en')} historical calls (same database, same run):\n`);
    printPhases(decay);
    const before = fresh.find((r) => r.label === 'hotline menu turns' && r.concurrency === decay[0].concurrency)!;
    const bareBefore = fresh.find((r) => r.label.startsWith('baseline') && r.concurrency === decay[0].concurrency)!;
    console.log(`\nDecay: menu turns/s after history = ${f((decay[0].perSecond / before.perSecond) * 100, 0)} % of a fresh database's (p99 ${f(before.p99)} → ${f(decay[0].p99)} ms)`);
    console.log(
      `The baseline beside it (no history in its collection) moved to ${f((decay[1].perSecond / bareBefore.perSecond) * 100, 0)} % of its own; ` +
        `against the baseline, menu turns after history = ${f((decay[0].perSecond / decay[1].perSecond / (before.perSecond / bareBefore.perSecond)) * 100, 0)} % of the fresh database's ratio`,
    );
  }
  if (profileDir && profileWindow) {
    const mainThread = await largestFile(profileDir);
    if (mainThread) await printProfile(mainThread, profileTurns, profileWindow);
    const baselineFile = baselineProfileDir ? await largestFile(baselineProfileDir) : null;
    if (mainThread && baselineFile && baselineWindow) {
      await printComparison([
        { label: `hotline (${levels[0]} callers)`, file: mainThread, turns: profileTurns, window: profileWindow },
        { label: `baseline (${levels[0]} callers)`, file: baselineFile, turns: baselineProfileTurns, window: baselineWindow },
      ]);
    }
    if (args['profile-dir']) console.log(`\nprofiles kept in ${profileDir} (measured window ${profileWindow.fromUs}–${profileWindow.toUs} µs on the monotonic clock)`);
    else await rm(profileDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
