import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { ferretDbBinaryPath, ferretDbEnv } from '../src/storage/embedded-database.ts';
import { freePort, machineDescription, percentile, spawnUntil } from './bench-support.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '50' },
    paced: { type: 'string', default: '400' },
  },
});
const seconds = Number(args.seconds);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DOCUMENT = 'x'.repeat(1300);

/**
 * Writes against the embedded database alone, as a turn does them (read the previous step by `_id`, insert the next
 * one, a 1.3 KB document): `clients` in a closed loop, then `paced` callers each waiting 0.5–1.5 s between turns
 * while another process keeps one core busy (the app and the load generator share the box with the database).
 */
async function measure(uri: string, callers: number, paced: boolean): Promise<{ perSecond: number; p50: number; p99: number; max: number }> {
  const client = new mongoose.mongo.MongoClient(uri, { maxPoolSize: 20 });
  await client.connect();
  const turns = client.db(`writes_${Date.now()}`).collection<{ _id: string; v: string }>('turns');
  await turns.insertOne({ _id: 'warm', v: DOCUMENT });
  const hog = paced ? await spawnUntil(process.execPath, ['-e', `console.log('busy'); const end = Date.now() + ${seconds * 1000 + 2000}; while (Date.now() < end);`], process.env, /busy/) : null;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_v, i) => {
      if (paced) await sleep((i * 1000) / callers);
      const callSid = `CA${randomBytes(16).toString('hex')}`;
      for (let step = 0; performance.now() < deadline; step += 1) {
        const started = performance.now();
        if (step > 0) await turns.findOne({ _id: `${callSid}:${step - 1}` });
        await turns.insertOne({ _id: `${callSid}:${step}`, v: DOCUMENT });
        if (performance.now() <= deadline) latencies.push(performance.now() - started);
        if (paced) await sleep(500 + Math.random() * 1000);
      }
    }),
  );
  await hog?.stop();
  await client.close();
  const sorted = latencies.sort((a, b) => a - b);
  return { perSecond: sorted.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** One FerretDB binary on a fresh SQLite folder, measured closed-loop and paced. */
async function run(binary: string): Promise<Array<{ perSecond: number; p50: number; p99: number; max: number }>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hotline-writes-'));
  const port = await freePort();
  const server = await spawnUntil(
    binary,
    ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', `--state-dir=${dir}`, '--debug-addr=-', '--log-level=info'],
    ferretDbEnv(process.env),
    /Listening on/i,
  );
  try {
    const uri = `mongodb://127.0.0.1:${port}/`;
    return [await measure(uri, Number(args.clients), false), await measure(uri, Number(args.paced), true)];
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const binaries = positionals.length > 0 ? positionals.map((file) => path.resolve(file)) : [await ferretDbBinaryPath(path.resolve('.cache'))];
  const results = new Map<string, Array<Awaited<ReturnType<typeof run>>>>(binaries.map((binary) => [binary, []]));
  console.log(`machine: ${machineDescription()}; ${seconds} s a phase, ${args.rounds} rounds, binaries taking turns`);
  for (let round = 0; round < Number(args.rounds); round += 1) {
    for (const binary of round % 2 === 0 ? binaries : [...binaries].reverse()) {
      const rows = await run(binary);
      results.get(binary)!.push(rows);
      console.log(`  ${binary} (round ${round + 1}): closed loop ${rows[0].perSecond.toFixed(0)}/s p99 ${rows[0].p99.toFixed(1)} ms; paced p99 ${rows[1].p99.toFixed(1)} ms, max ${rows[1].max.toFixed(1)} ms`);
    }
  }
  const f = (n: number) => n.toFixed(1);
  console.log(`\n| FerretDB binary | ${args.clients} clients, closed loop: per s | p50 ms | p99 ms | max ms | ${args.paced} paced callers, a core busy: p50 ms | p99 ms | max ms |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  type Rounds = Array<Awaited<ReturnType<typeof run>>>;
  const meanOf = (rounds: Rounds, phase: number, key: 'perSecond' | 'p50' | 'p99' | 'max') => rounds.reduce((sum, rows) => sum + rows[phase][key], 0) / rounds.length;
  const firstPerSecond = meanOf(results.get(binaries[0])!, 0, 'perSecond');
  for (const [binary, rounds] of results) {
    const mean = (phase: number, key: 'perSecond' | 'p50' | 'p99' | 'max') => meanOf(rounds, phase, key);
    const ratio = binary === binaries[0] ? '' : ` (${f((mean(0, 'perSecond') / firstPerSecond) * 100)} % of the first)`;
    console.log(`| ${path.basename(path.dirname(binary))} | ${f(mean(0, 'perSecond'))}${ratio} | ${f(mean(0, 'p50'))} | ${f(mean(0, 'p99'))} | ${f(mean(0, 'max'))} | ${f(mean(1, 'p50'))} | ${f(mean(1, 'p99'))} | ${f(mean(1, 'max'))} |`);
  }
  console.log('\n(each figure the mean over the rounds)');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
