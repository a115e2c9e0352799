import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkCharacter } from '../src/domain/citizen-id.ts';
import { startEmbeddedDatabase } from '../src/storage/embedded-database.ts';
import { openStore } from '../src/storage/store.ts';
import { hashPin } from '../src/security/secrets.ts';
import { prepareCitizens } from '../src/services/citizen-seed.service.ts';
import { percentile, processUsage, promSample, promTotal, spawnUntil, watchMemory, type Spawned } from './bench-support.ts';
import { benchJourney, type TurnSample, type JourneyTarget } from './bench-journey.ts';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '10,50,200,500' },
    seconds: { type: 'string', default: '20' },
    'think-ms': { type: 'string', default: '1000' },
    target: { type: 'string' },
    'auth-token': { type: 'string' },
    'qa-token': { type: 'string' },
    'metrics-token': { type: 'string' },
    'skip-baseline': { type: 'boolean', default: false },
    'skip-burst': { type: 'boolean', default: false },
    citizens: { type: 'string', default: '1200' },
    'mongodb-uri': { type: 'string' },
    'app-node-args': { type: 'string', default: '' },
  },
});

const levels = args.levels.split(',').map(Number).filter((n) => n > 0);
const seconds = Number(args.seconds);
const thinkMs = Number(args['think-ms']);
const PEPPER = 'bench-pepper-0123456789abcdef';
const AUTH_TOKEN = args['auth-token'] ?? 'bench-auth-token-0123456789';
const QA_TOKEN = args['qa-token'] ?? 'bench-qa-token';
const METRICS_TOKEN = args['metrics-token'] ?? 'bench-metrics-token';
const PUBLIC_BASE_URL = 'http://bench.hotline.local';
const BENCH_PIN = '520746';

/** Synthetic citizens with valid GB 11643 numbers and unique mobiles, so no card hits the per-card code limit. */
function syntheticCitizens(count: number): Array<{ id: string; mobile: string }> {
  return Array.from({ length: count }, (_, i) => {
    const first17 = `110101${1960 + (i % 40)}${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}`;
    return { id: `${first17}${checkCharacter(first17)}`, mobile: `+86139${String(10_000_000 + i).slice(-8)}` };
  }).filter((c, i, all) => all.findIndex((o) => o.id === c.id) === i);
}

interface LevelResult {
  label: string;
  concurrency: number;
  turns: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  p99NoFloor: number;
  errors: number;
  cpuPercent: number;
  rssMiB: number;
  roundTrips: number | null;
  samples: TurnSample[];
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

async function scrape(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return res.ok ? res.text() : '';
}

function summarise(label: string, concurrency: number, samples: TurnSample[], elapsed: number, cpuSeconds: number, rss: number, roundTrips: number | null): LevelResult {
  const ok = samples.filter((s) => s.ok);
  const all = ok.map((s) => s.ms).sort((a, b) => a - b);
  const noFloor = ok.filter((s) => !s.floored).map((s) => s.ms).sort((a, b) => a - b);
  return {
    label,
    concurrency,
    turns: ok.length,
    perSecond: ok.length / elapsed,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    p99NoFloor: percentile(noFloor, 99),
    errors: samples.length - ok.length,
    cpuPercent: (cpuSeconds / elapsed) * 100,
    rssMiB: rss / 2 ** 20,
    roundTrips,
    samples,
  };
}

/** p50/p99 per journey step of one run, to see which turns cost what. */
function printSteps(row: LevelResult): void {
  const steps = [...new Set(row.samples.map((s) => s.step))];
  console.log(`\nPer step, ${row.label} at ${row.concurrency} calls:\n`);
  console.log('| step (prompt answered) | turns | p50 ms | p99 ms |');
  console.log('| --- | --- | --- | --- |');
  for (const step of steps) {
    const ms = row.samples.filter((s) => s.step === step && s.ok).map((s) => s.ms).sort((a, b) => a - b);
    console.log(`| ${step} | ${ms.length} | ${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 99).toFixed(1)} |`);
  }
}

function printRows(rows: LevelResult[]): void {
  const head = ['run', 'calls', 'turns', 'turns/s', 'p50 ms', 'p95 ms', 'p99 ms', 'p99 w/o floor', 'errors', 'CPU %', 'RSS MiB', 'DB trips/turn'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) {
    const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
    console.log(
      `| ${r.label} | ${r.concurrency} | ${r.turns} | ${f(r.perSecond)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.p99NoFloor)} | ${r.errors} | ${f(r.cpuPercent, 0)} | ${f(r.rssMiB, 0)} | ${r.roundTrips === null ? '–' : f(r.roundTrips, 2)} |`,
    );
  }
}

/** Runs `concurrency` simulated callers, each doing whole journeys back to back, for `seconds`. */
async function driveCalls(
  target: JourneyTarget,
  concurrency: number,
  pool: Array<{ id: string; mobile: string }>,
  next: { i: number },
  think: number,
): Promise<{ samples: TurnSample[]; elapsed: number; drained: TurnSample[] }> {
  const samples: TurnSample[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_v, worker) => {
      await new Promise((r) => setTimeout(r, (worker * Math.max(think, 5)) / concurrency));
      while (performance.now() < deadline) {
        const citizen = pool[next.i++ % pool.length];
        samples.push(...(await benchJourney(target, citizen, BENCH_PIN, think, deadline)));
      }
    }),
  );
  return { samples: samples.filter((s) => s.at <= deadline), elapsed: seconds, drained: samples.filter((s) => s.at > deadline) };
}

/** Runs `concurrency` bare clients against the baseline server, closed loop, for `seconds`. */
async function driveBaseline(base: string, concurrency: number): Promise<{ samples: TurnSample[]; elapsed: number }> {
  const samples: TurnSample[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let callNo = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const callSid = `CAbase${process.pid}x${callNo++}`;
        for (let turn = 0; turn < 10 && performance.now() < deadline; turn++) {
          const t0 = performance.now();
          const res = await fetch(`${base}/turn`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `CallSid=${callSid}&Digits=1`,
            signal: AbortSignal.timeout(30_000),
          }).catch(() => null);
          const body = res ? await res.text().catch(() => '') : '';
          samples.push({ ms: performance.now() - t0, ok: Boolean(res?.ok && body.includes('<Gather')), floored: false, step: 'baseline', at: performance.now() });
        }
      }
    }),
  );
  return { samples: samples.filter((s) => s.at <= deadline), elapsed: seconds };
}

async function main(): Promise<void> {
  console.log(`machine: ${machine}`);
  console.log(`levels ${levels.join(', ')} concurrent calls, ${seconds} s each, think time ${thinkMs} ms between a prompt and the caller's keys`);
  let dataDir: string | null = null;
  let stopDatabase: () => Promise<void> = async () => undefined;
  let app: Spawned | null = null;
  let baseUrl = args.target?.replace(/\/$/, '');
  const dbName = `bench_${Date.now()}`;
  let mongoUri = '';
  const pool = syntheticCitizens(Number(args.citizens));

  if (!baseUrl) {
    if (args['mongodb-uri']) {
      mongoUri = args['mongodb-uri'];
      console.log(`database: ${mongoUri.replace(/\/\/[^@/]*@/, '//…@')} (database ${dbName}, dropped at the end)`);
    } else {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-bench-'));
      const database = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache') });
      stopDatabase = () => database.stop();
      mongoUri = database.uri;
      console.log(`database: embedded ${database.engine} at ${mongoUri}`);
    }
    const store = await openStore(mongoUri, dbName);
    const pinHash = await hashPin('602481', PEPPER);
    const citizens = await prepareCitizens(
      pool.map((c, i) => ({ idNumber: c.id, name: `Bench ${i}`, mobile: c.mobile })),
      PEPPER,
    );
    await store.models.Citizen.insertMany(citizens.map((citizen) => ({ ...citizen, pinHash, pinSetAt: new Date() })));
    await store.close();
    app = await spawnUntil(
      process.execPath,
      [...args['app-node-args'].split(' ').filter(Boolean), '--import', 'tsx', 'src/server.ts'],
      {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        MONGODB_URI: mongoUri,
        MONGODB_DB: dbName,
        LOAD_DEMO_DATA: 'false',
        PUBLIC_BASE_URL,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        PIN_PEPPER: PEPPER,
        QA_TOKEN,
        METRICS_TOKEN,
        OTP_MAX_SENDS: '20',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      },
      /"message":"hotline listening".*?"port":(\d+)|"port":(\d+).*?"message":"hotline listening"/,
    );
    baseUrl = `http://127.0.0.1:${app.match[1] ?? app.match[2]}`;
    console.log(`app: pid ${app.child.pid} at ${baseUrl}`);
  }
  const target: JourneyTarget = { baseUrl: baseUrl!, publicBaseUrl: args.target ? baseUrl! : PUBLIC_BASE_URL, authToken: AUTH_TOKEN, qaToken: QA_TOKEN };
  const next = { i: 0 };
  const appRows: LevelResult[] = [];
  const saturatedRows: LevelResult[] = [];

  const measure = async (label: string, concurrency: number, think: number, into: LevelResult[]) => {
    const before = await scrape(baseUrl!);
    const usage0 = app ? await processUsage(app.child.pid!) : null;
    const memory = watchMemory(app?.child.pid);
    const { samples, elapsed, drained } = await driveCalls(target, concurrency, pool, next, think);
    const peak = memory.stop();
    const after = await scrape(baseUrl!);
    const usage1 = app ? await processUsage(app.child.pid!) : null;
    const cpu = usage0 && usage1 ? usage1.cpuSeconds - usage0.cpuSeconds : promTotal(after, 'hotline_process_cpu_seconds_total') - promTotal(before, 'hotline_process_cpu_seconds_total');
    const rss = peak || promSample(after, 'hotline_process_resident_memory_bytes');
    const turns = promTotal(after, 'hotline_turns_total') - promTotal(before, 'hotline_turns_total');
    const commands = promTotal(after, 'hotline_database_commands_total') - promTotal(before, 'hotline_database_commands_total');
    const row = summarise(label, concurrency, samples, elapsed, cpu, rss, turns > 0 && commands > 0 ? commands / turns : null);
    into.push(row);
    process.stdout.write(
      `  ${label} ${concurrency}: ${row.turns} turns in ${elapsed.toFixed(1)} s = ${row.perSecond.toFixed(1)}/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, errors ${row.errors}, CPU ${row.cpuPercent.toFixed(0)} % (+${drained.length} answered after the window, not counted)\n`,
    );
  };

  console.log('\n== paced calls (the hotline: whole password resets, signed webhooks, real database)');
  for (const level of levels) await measure('paced', level, thinkMs, appRows);
  console.log('\n== saturation (no think time) for the throughput comparison');
  for (const level of levels) await measure('hotline', level, 0, saturatedRows);

  const baselineRows: LevelResult[] = [];
  if (!args['skip-baseline'] && mongoUri) {
    await runBaseline(mongoUri, dbName, baselineRows).catch((error: unknown) => console.log(`  baseline not measured: ${(error as Error).message.split('\n')[0]}`));
  }
  let burst: string[] = [];
  if (!args['skip-burst']) burst = await hashBurst(target, pool, next).catch((error: unknown) => [`Hash burst not measured: ${(error as Error).message}`]);

  console.log(`\nmachine: ${machine}\n`);
  console.log(`Paced calls (${thinkMs} ms think time per prompt; "floor" = the deliberate ${'CODE_SEND_FLOOR_MS'} wait on a code request):\n`);
  printRows(appRows);
  const widest = appRows[appRows.length - 1];
  if (widest) printSteps(widest);
  console.log('\nSaturation, hotline vs baseline (closed loop, no think time; baseline = bare Express, one read + one conditional write):\n');
  printRows([...saturatedRows, ...baselineRows]);
  if (baselineRows.length) {
    console.log('\n| calls | hotline turns/s | baseline req/s | ratio |');
    console.log('| --- | --- | --- | --- |');
    for (const row of saturatedRows) {
      const base = baselineRows.find((b) => b.concurrency === row.concurrency);
      if (base) console.log(`| ${row.concurrency} | ${row.perSecond.toFixed(1)} | ${base.perSecond.toFixed(1)} | ${((row.perSecond / base.perSecond) * 100).toFixed(0)} % |`);
    }
  }
  if (burst.length) console.log(`\n${burst.join('\n')}`);

  await app?.stop();
  if (args['mongodb-uri']) {
    const store = await openStore(mongoUri, dbName);
    await store.drop();
    await store.close();
  }
  await stopDatabase();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

/** Measures the bare baseline server on the same database at every level. */
async function runBaseline(mongoUri: string, dbName: string, rows: LevelResult[]): Promise<void> {
  const baseline = await spawnUntil(process.execPath, ['--import', 'tsx', 'scripts/bench-baseline.server.ts', mongoUri, dbName], process.env, /listening (\d+)/);
  const baselineUrl = `http://127.0.0.1:${baseline.match[1]}`;
  try {
    for (const level of levels) {
      const usage0 = await processUsage(baseline.child.pid!);
      const memory = watchMemory(baseline.child.pid);
      const { samples, elapsed } = await driveBaseline(baselineUrl, level);
      const peak = memory.stop();
      const usage1 = await processUsage(baseline.child.pid!);
      const row = summarise('baseline', level, samples, elapsed, (usage1?.cpuSeconds ?? 0) - (usage0?.cpuSeconds ?? 0), peak, 2);
      rows.push(row);
      process.stdout.write(`  baseline ${level}: ${row.turns} requests = ${row.perSecond.toFixed(1)}/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, errors ${row.errors}\n`);
    }
  } finally {
    await baseline.stop();
  }
}

/** Many password commits at once while other callers walk menus: do the menu turns wait on the hashing? */
async function hashBurst(target: JourneyTarget, pool: Array<{ id: string; mobile: string }>, next: { i: number }): Promise<string[]> {
  const { prepareToConfirm, menuTurns } = await import('./bench-journey.ts');
  const committers = 40;
  const prepared = await Promise.all(
    Array.from({ length: committers }, () => prepareToConfirm(target, pool[next.i++ % pool.length], BENCH_PIN).catch(() => null)),
  );
  const ready = prepared.filter((confirm): confirm is () => Promise<number> => confirm !== null);
  if (ready.length === 0) throw new Error('no caller reached the confirmation');
  const quiet = await menuTurns(target, 20, 3_000);
  let commitsDone = false;
  const commits = Promise.all(ready.map((confirm) => confirm())).then((r) => {
    commitsDone = true;
    return r;
  });
  const during = await menuTurns(target, 20, 10_000, () => commitsDone);
  const commitMs = (await commits).sort((a, b) => a - b);
  const q = quiet.sort((a, b) => a - b);
  const d = during.sort((a, b) => a - b);
  return [
    `Hash burst: ${ready.length} callers confirm a new password at the same instant (each an Argon2id hash, at most 2 at a time per instance) while 20 other callers walk menus:`,
    '',
    '| measure | p50 ms | p99 ms | max ms |',
    '| --- | --- | --- | --- |',
    `| menu turn, no burst | ${percentile(q, 50).toFixed(1)} | ${percentile(q, 99).toFixed(1)} | ${q[q.length - 1]?.toFixed(1)} |`,
    `| menu turn, during the burst | ${percentile(d, 50).toFixed(1)} | ${percentile(d, 99).toFixed(1)} | ${d[d.length - 1]?.toFixed(1)} |`,
    `| password commit turn (in the burst) | ${percentile(commitMs, 50).toFixed(1)} | ${percentile(commitMs, 99).toFixed(1)} | ${commitMs[commitMs.length - 1]?.toFixed(1)} |`,
  ];
}


main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
