import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { AccessLogService } from '../src/services/access-log.service.ts';
import { CallReviewService } from '../src/services/call-review.service.ts';
import { CardReviewService } from '../src/services/card-review.service.ts';
import { DashboardService } from '../src/services/dashboard.service.ts';
import { PasswordAuditService } from '../src/services/password-audit.service.ts';
import { keyedHash } from '../src/security/secrets.ts';
import { encodeCursor } from '../src/storage/call-search.repository.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/storage/embedded-database.ts';
import { openStore } from '../src/storage/store.ts';
import { fillHistory } from './bench-history.ts';
import { percentile } from './bench-support.ts';

/**
 * Fills a database with N calls over 30 days (turns, end records, call index and hourly counters, written as real
 * calls write them), then times what the supervisor console asks of it: searches, a call's timeline, the flow view
 * and the funnel. Usage: npm run bench:supervisor -- [calls=100000] [runs=20] [days=30]
 * (fewer days give the per-hour density of a larger history: 200,000 calls over 6 days is 1,000,000 over 30 days).
 * Uses MONGODB_URI when set (database `bench_supervisor`, dropped first), otherwise a throw-away embedded server.
 */
const CALLS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 20);
const DAYS = Number(process.argv[4] ?? 30);
const END = new Date('2026-03-31T00:00:00Z');
const PEPPER = 'bench-pepper-0123456789abcdef';

let database: EmbeddedDatabase | null = null;
let dataDir: string | null = null;
let uri = process.env.MONGODB_URI ?? '';
if (!uri) {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-bench-sup-'));
  database = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache') });
  console.log(`database: embedded ${database.engine}`);
  uri = database.uri;
}
const store = await openStore(uri, 'bench_supervisor', { socketTimeoutMS: 600_000 });
await store.drop();
await store.close();
const filled = await openStore(uri, 'bench_supervisor', { socketTimeoutMS: 600_000 });

console.log(`filling ${CALLS.toLocaleString('en')} calls over ${DAYS} days …`);
let shown = 0;
const fill = await fillHistory(filled, {
  calls: CALLS,
  days: DAYS,
  end: END,
  pepper: PEPPER,
  onProgress: (done) => {
    if (done - shown >= CALLS / 10 || done === CALLS) {
      shown = done;
      process.stdout.write(`  ${done.toLocaleString('en')} calls\n`);
    }
  },
});
console.log(`filled ${fill.calls.toLocaleString('en')} calls and ${fill.turns.toLocaleString('en')} turns in ${fill.seconds.toFixed(0)} s (${Math.round(fill.calls / fill.seconds)} calls/s)\n`);

const config = loadConfig({ PIN_PEPPER: PEPPER, NODE_ENV: 'test' });
const now = () => END;
const access = new AccessLogService({ store: filled, config, now });
const review = new CallReviewService({ store: filled, config, access, now });
const dashboard = new DashboardService({ store: filled, config, now });
const cards = new CardReviewService({ store: filled, config, access, now });
const audit = new PasswordAuditService({ store: filled, config, access, now });
const sample = fill.samples[Math.floor(fill.samples.length / 2)];
const withId = fill.samples.find((s) => s.idNumber !== null)!;
const deep = fill.samples[Math.floor(fill.samples.length * 0.1)];
const DAY_MS = 86_400_000;
const dayBefore = (days: number) => new Date(END.getTime() - days * DAY_MS);
const oneDay = { from: dayBefore(2).toISOString().slice(0, 16), to: dayBefore(1).toISOString().slice(0, 16) };
const cursor = encodeCursor({ startedAt: deep.startedAt, callSid: deep.callSid });

const queries: Array<[string, () => Promise<number>]> = [
  ['dashboard (today so far)', async () => (await dashboard.today()).calls],
  ['newest page (no filter)', async () => (await review.search(review.parseSearch({}))).calls.length],
  ['one day (time range)', async () => (await review.search(review.parseSearch(oneDay))).calls.length],
  ['outcome = locked', async () => (await review.search(review.parseSearch({ outcome: 'locked' }))).calls.length],
  ['outcome = abandoned, language en-US', async () => (await review.search(review.parseSearch({ outcome: 'abandoned', language: 'en-US' }))).calls.length],
  ['caller last 4 digits', async () => (await review.search(review.parseSearch({ caller: sample.phone.slice(-4) }))).calls.length],
  ['caller last 2 digits', async () => (await review.search(review.parseSearch({ caller: sample.phone.slice(-2) }))).calls.length],
  ['caller full number', async () => (await review.search(review.parseSearch({ caller: sample.phone.slice(2) }))).calls.length],
  ['full ID (keyed hash)', async () => (await review.search(review.parseSearch({ id: withId.idNumber! }))).calls.length],
  ['masked ID', async () => (await review.search(review.parseSearch({ id: `${withId.idNumber!.slice(0, 4)}**********${withId.idNumber!.slice(-4)}` }))).calls.length],
  ['CallSid', async () => (await review.search(review.parseSearch({ callSid: sample.callSid }))).calls.length],
  ['deep page (cursor ~90% back)', async () => (await review.search({ ...review.parseSearch({}), after: cursor })).calls.length],
  [`no match in ${DAYS} days (outcome error)`, async () => (await review.search(review.parseSearch({ outcome: 'error' }))).calls.length],
  ['timeline of one call', async () => (await review.timeline(sample.callSid)).steps.length],
  ['flow view, one day', async () => (await review.flow({ from: dayBefore(2), to: dayBefore(1) })).counts.calls],
  ['flow view, one week', async () => (await review.flow({ from: dayBefore(7), to: END })).counts.calls],
  ['card page (by full ID)', async () => (await cards.card(keyedHash(PEPPER, 'citizen-id', withId.idNumber!), null)).calls.length],
  ['password-change audit, last 7 days', async () => (await audit.read(audit.parseQuery({}))).changes.length],
  ['funnel, one week', async () => (await review.funnel({ from: dayBefore(7), to: END }))[0].calls],
];

console.log(`| query (${RUNS} runs) | p50 ms | p95 ms | max ms | result |`);
console.log('| --- | --- | --- | --- | --- |');
for (const [label, run] of queries) {
  const times: number[] = [];
  let result = 0;
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    result = await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(`| ${label} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${times[times.length - 1].toFixed(1)} | ${result} |`);
}

await filled.close();
await database?.stop();
if (dataDir) await rm(dataDir, { recursive: true, force: true });
