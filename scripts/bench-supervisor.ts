import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { movesOf } from '../src/storage/call-session.repository.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/storage/embedded-database.ts';
import { openStore } from '../src/storage/store.ts';
import { keyedHash } from '../src/security/secrets.ts';

/**
 * Fills a database with N calls (sessions and their turns, like real ones in size) spread over 30 days, then times
 * the supervisor console's searches and aggregates. Usage: npm run bench:supervisor -- [calls=100000] [runs=20]
 * Uses MONGODB_URI when set (database `bench_supervisor`, dropped first), otherwise a throw-away embedded server.
 */
const CALLS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 20);
const DAYS = 30;
const END = new Date('2026-03-31T00:00:00Z');
const PEPPER = 'bench-pepper-0123456789abcdef';

interface Journey {
  weight: number;
  outcome: string;
  /** The path of each turn (turn 0 opens the call). */
  turns: string[][];
  inputs: Array<string | null>;
  id: boolean;
}

const J = (weight: number, outcome: string, id: boolean, turns: string[][], inputs: Array<string | null>): Journey => ({ weight, outcome, id, turns, inputs });
const JOURNEYS: Journey[] = [
  J(30, 'password-changed', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'chooseChannel'], ['chooseChannel', 'sendingCode', 'enterCode'], ['enterCode', 'verifyingCode', 'enterNewPin'], ['enterNewPin', 'screeningNewPin', 'confirmNewPin'], ['confirmNewPin', 'committingNewPin', 'passwordChanged']], [null, '1', '1', 'ID', '1', '••••••', '••••••', '••••••']),
  J(8, 'password-changed', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterNewPin'], ['enterNewPin', 'screeningNewPin', 'confirmNewPin'], ['confirmNewPin', 'committingNewPin', 'passwordChanged']], [null, '2', '2', 'ID', '••••••', '••••••', '••••••']),
  J(15, 'abandoned', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'abandoned']], [null, '1', null]),
  J(10, 'abandoned', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'chooseChannel'], ['chooseChannel', 'abandoned']], [null, '1', '1', 'ID', null]),
  J(6, 'abandoned', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'chooseChannel'], ['chooseChannel', 'sendingCode', 'enterCode'], ['enterCode', 'abandoned']], [null, '1', '1', 'ID', '1', null]),
  J(10, 'transferred', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'agent']], [null, '1', '0']),
  J(8, 'goodbye', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'policyMenu'], ['policyMenu', 'policyArticle12'], ['policyArticle12', 'abandoned']], [null, '1', '4', '2', null]),
  J(5, 'no-input', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu'], ['mainMenu', 'noInputGoodbye']], [null, '2', null, null]),
  J(4, 'verification-failed', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'verificationFailed']], [null, '1', '2', 'ID', '••••••', '••••••', '••••••']),
  J(2, 'locked', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'cardLocked']], [null, '1', '2', 'ID', '••••••']),
  J(2, 'transferred', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId'], ['enterId'], ['enterId', 'agentAfterTrouble']], [null, '1', '1', '123', '456', '789']),
];
const TOTAL_WEIGHT = JOURNEYS.reduce((a, j) => a + j.weight, 0);

let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (): Journey => {
  let r = random() * TOTAL_WEIGHT;
  for (const j of JOURNEYS) if ((r -= j.weight) < 0) return j;
  return JOURNEYS[0];
};
const SNAPSHOT = JSON.stringify({ status: 'active', value: 'mainMenu', context: { language: 'zh-CN', notice: [], noInput: 0, invalid: 0, padding: 'x'.repeat(900) }, children: {} });
const TWIML = `<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/gather?step=3&amp;lang=zh-CN" numDigits="1" timeout="6" actionOnEmptyResult="true"><Say language="cmn-CN">${'设置或修改社保卡密码，请按1。'.repeat(8)}</Say></Gather></Response>`;

function idNumber(n: number): string {
  return `1101051990${String(n % 100_000_000).padStart(8, '0')}`.slice(0, 18);
}

async function fill(store: Awaited<ReturnType<typeof openStore>>): Promise<{ sessions: number; turns: number; seconds: number }> {
  const started = Date.now();
  const span = DAYS * 86_400_000;
  let turnsTotal = 0;
  const BATCH = 2000;
  for (let offset = 0; offset < CALLS; offset += BATCH) {
    const sessions: object[] = [];
    const turns: object[] = [];
    for (let i = offset; i < Math.min(CALLS, offset + BATCH); i += 1) {
      const j = pick();
      const callSid = `CA${i.toString(16).padStart(32, '0')}`;
      const startedAt = new Date(END.getTime() - span + Math.floor((i / CALLS) * span) + Math.floor(random() * 1000));
      const phone = `86138${String(Math.floor(random() * 1e8)).padStart(8, '0')}`;
      const id = idNumber(Math.floor(random() * 50_000));
      const language = random() < 0.8 ? 'zh-CN' : 'en-US';
      const visited = [...new Set(j.turns.flat())];
      const moves = [...new Set(j.turns.flatMap(movesOf))];
      const last = j.turns[j.turns.length - 1];
      const endedAt = new Date(startedAt.getTime() + j.turns.length * 9000);
      sessions.push({
        _id: callSid,
        step: j.turns.length,
        snapshot: SNAPSHOT,
        state: last[last.length - 1],
        status: 'ended',
        outcome: j.outcome,
        language,
        callerMasked: `+86 138****${phone.slice(-4)}`,
        callerHash: keyedHash(PEPPER, 'caller', phone),
        callerLast4: phone.slice(-4),
        to: '+8610123456',
        idHash: j.id ? keyedHash(PEPPER, 'citizen-id', id) : null,
        idMasked: j.id ? `${id.slice(0, 4)}**********${id.slice(-4)}` : null,
        lastTwiml: TWIML,
        startedAt,
        updatedAt: endedAt,
        endedAt,
        twilioStatus: 'completed',
        durationSeconds: j.turns.length * 9,
        visited,
        moves,
        endedIn: j.outcome === 'abandoned' ? last[0] : last[last.length - 1],
      });
      j.turns.forEach((p, step) => {
        turns.push({
          _id: `${callSid}:${step}`,
          callSid,
          step,
          at: new Date(startedAt.getTime() + step * 9000),
          event: step === 0 ? 'CALL_START' : j.inputs[step] === null ? 'HANGUP' : 'DIGITS',
          input: j.inputs[step] === 'ID' ? `${id.slice(0, 4)}**********${id.slice(-4)}` : j.inputs[step],
          from: step === 0 ? '' : p[0],
          to: p[p.length - 1],
          path: p,
          prompts: ['main.menu'],
          durationMs: 12,
          twiml: TWIML,
          snapshot: SNAPSHOT,
          language,
          outcome: step === j.turns.length - 1 ? j.outcome : null,
          ended: step === j.turns.length - 1,
          idHash: null,
          idMasked: null,
        });
      });
    }
    await store.models.CallSession.collection.insertMany(sessions as never[], { ordered: false });
    await store.models.CallTurn.collection.insertMany(turns as never[], { ordered: false });
    turnsTotal += turns.length;
    if ((offset / BATCH) % 10 === 0) process.stderr.write(`  ${offset + sessions.length} calls…\n`);
  }
  return { sessions: CALLS, turns: turnsTotal, seconds: (Date.now() - started) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function time(label: string, runs: number, job: () => Promise<unknown>): Promise<string> {
  if (runs >= 3) await job();
  const samples: number[] = [];
  let result: unknown;
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    result = await job();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const size = Array.isArray((result as { calls?: unknown[] })?.calls) ? `${(result as { calls: unknown[] }).calls.length} rows` : typeof (result as { calls?: number })?.calls === 'number' ? `${(result as { calls: number }).calls} calls` : '';
  const row = `| ${label} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 95).toFixed(1)} | ${samples[samples.length - 1].toFixed(1)} | ${size} |`;
  console.log(row);
  return row;
}

let embedded: EmbeddedDatabase | null = null;
let dataDir: string | null = null;
let uri = process.env.MONGODB_URI;
if (!uri) {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-supervisor-'));
  embedded = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache'), engine: 'auto' });
  uri = embedded.uri;
}
const store = await openStore(uri, 'bench_supervisor', { socketTimeoutMS: 600_000 });
try {
  await store.models.CallSession.deleteMany({});
  await store.models.CallTurn.deleteMany({});
  console.log(`engine: ${embedded?.engine ?? 'MONGODB_URI'}; machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  const aggRuns = Math.max(1, Math.round(RUNS / 4));
  const filled = await fill(store);
  console.log(`filled ${filled.sessions} calls and ${filled.turns} turns over ${DAYS} days in ${filled.seconds.toFixed(0)} s`);
  console.log(`\n| query (${RUNS} runs; aggregates ${aggRuns}) | p50 ms | p95 ms | max ms | result |\n| --- | --- | --- | --- | --- |`);
  const search = store.callSearch;
  const page = { limit: 25 };
  const day = { from: new Date(END.getTime() - 15 * 86_400_000), to: new Date(END.getTime() - 14 * 86_400_000) };
  const week = { from: new Date(END.getTime() - 21 * 86_400_000), to: new Date(END.getTime() - 14 * 86_400_000) };
  const sample = (await search.search({ from: day.from }, { limit: 1 })).calls[0];
  const sampleSession = await store.models.CallSession.findById(sample.callSid).lean();
  const deep = (await search.search({ to: new Date(END.getTime() - 27 * 86_400_000) }, { limit: 1 })).calls[0];
  const deepCursor = Buffer.from(`${deep.startedAt.getTime()}|${deep.callSid}`).toString('base64url');
  const someId = idNumber(123);
  await time('newest page (no filter)', RUNS, () => search.search({}, page));
  await time('outcome = locked', RUNS, () => search.search({ outcome: 'locked' }, page));
  await time('caller last 4 digits', RUNS, () => search.search({ callerLast: sampleSession?.callerLast4 ?? '0000' }, page));
  await time('caller last 2 digits (suffix regex)', RUNS, () => search.search({ callerLast: '42' }, page));
  await time('full ID (keyed hash)', RUNS, () => search.search({ idHash: keyedHash(PEPPER, 'citizen-id', someId) }, page));
  await time('masked ID', RUNS, () => search.search({ idMasked: `${someId.slice(0, 4)}**********${someId.slice(-4)}` }, page));
  await time('CallSid', RUNS, () => search.search({ callSid: sample.callSid }, page));
  await time('one day (time range)', RUNS, () => search.search(day, page));
  await time('language en-US + outcome abandoned', RUNS, () => search.search({ language: 'en-US', outcome: 'abandoned' }, page));
  await time('deep page (keyset cursor, ~90% back)', RUNS, () => search.search({}, { ...page, after: deepCursor }));
  await time('timeline of one call (turns)', RUNS, () => search.turns(sample.callSid));
  await time('flow view, one day', aggRuns, () => search.flowCounts(day.from, day.to));
  await time('flow view, one week', aggRuns, () => search.flowCounts(week.from, week.to));
  await time('funnel, one day', aggRuns, async () => ({ calls: (await search.funnel(day.from, day.to)).called }));
  await time('funnel, one week', aggRuns, async () => ({ calls: (await search.funnel(week.from, week.to)).called }));
} finally {
  await store.close();
  await embedded?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
