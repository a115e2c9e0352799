import { readFile } from 'node:fs/promises';

/** One node of a V8 `.cpuprofile` (as written by `node --cpu-prof`). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Where CPU time goes, by the part of the stack that spent it. */
export const CATEGORIES: Array<[string, RegExp]> = [
  ['MongoDB client (driver, BSON, mongoose)', /node_modules\/(mongodb|bson|mongoose|mongodb-connection-string-url|kareem|mpath|mquery|sift)\//],
  ['XState', /node_modules\/xstate\//],
  ['Express and HTTP parsing', /node_modules\/(express|body-parser|router|raw-body|qs|iconv-lite|on-finished|finalhandler|send|type-is|content-type|mime|accepts|negotiator|statuses|depd|debug|path-to-regexp|parseurl|cookie|vary|fresh|etag|forwarded|proxy-addr|serve-static)\/|node:_http|node:http\b/],
  ['TwiML (twilio, xmlbuilder)', /node_modules\/(twilio|xmlbuilder|xmlbuilder2|scmp)\//],
  ['Logging (winston)', /node_modules\/(winston|winston-transport|logform|triple-beam|readable-stream|@colors|safe-stable-stringify|fecha|one-time|kuler|fn\.name|text-hex|colorspace|simple-swizzle|is-arrayish|color-string|color-convert|color-name|enabled|@dabh|stack-trace|async)\//],
  ['Validation (zod)', /node_modules\/zod\//],
  ['Metrics (prom-client)', /node_modules\/(prom-client|tdigest|bintrees)\//],
  ['Hotline code', /\/(src|flows|prompts)\//],
  ['Node internals (net, streams, timers, crypto)', /^node:/],
];

/** A stretch of time on the monotonic clock (`process.hrtime`, in microseconds), which V8's profile timestamps share. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/** Now on the monotonic clock, in microseconds (to mark a profile window from another process on the same machine). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Self time per category (ms) from a `.cpuprofile` (only samples inside `window` when given), plus garbage collection, idle and the rest. */
export async function summariseProfile(file: string, window?: ProfileWindow): Promise<{ totalMs: number; idleMs: number; byCategory: Map<string, number> }> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const byCategory = new Map<string, number>();
  let idleMs = 0;
  let totalMs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id)!;
    const ms = us / 1000;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') {
      idleMs += name === '(idle)' ? ms : 0;
      if (name === '(idle)') continue;
    }
    totalMs += ms;
    const category = name === '(garbage collector)' ? 'Garbage collection (main thread)' : (CATEGORIES.find(([, re]) => re.test(node.callFrame.url))?.[0] ?? 'Other (V8, program, other packages)');
    byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
  }
  return { totalMs, idleMs, byCategory };
}

/** Prints a per-turn CPU breakdown table of a profile (of the samples inside `window` when given). */
export async function printProfile(file: string, turns: number, window?: ProfileWindow): Promise<void> {
  const { totalMs, byCategory } = await summariseProfile(file, window);
  console.log(`\nCPU on the app's main thread (${file.split('/').pop()}): ${totalMs.toFixed(0)} ms for ${turns} turns = ${(totalMs / turns).toFixed(2)} ms per turn\n`);
  console.log('| where | ms per turn | share |');
  console.log('| --- | --- | --- |');
  for (const [category, ms] of [...byCategory].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${category} | ${(ms / turns).toFixed(2)} | ${((ms / totalMs) * 100).toFixed(0)} % |`);
  }
}

/** One process's profile of a measured window, with the turns it answered in it. */
export interface ProfiledRun {
  label: string;
  file: string;
  turns: number;
  window: ProfileWindow;
}

/** Prints per-turn main-thread CPU by category for several runs side by side (e.g. the hotline and the baseline). */
export async function printComparison(runs: ProfiledRun[]): Promise<void> {
  const summaries = await Promise.all(runs.map((run) => summariseProfile(run.file, run.window)));
  const categories = [...new Set(summaries.flatMap((s) => [...s.byCategory.keys()]))].sort((a, b) => (summaries[0].byCategory.get(b) ?? 0) - (summaries[0].byCategory.get(a) ?? 0));
  const perTurn = (i: number, ms: number) => (ms / runs[i].turns).toFixed(2);
  console.log(`\nCPU on the main thread per turn, ms (measured windows only):\n`);
  console.log(`| where | ${runs.map((r) => r.label).join(' | ')} |`);
  console.log(`| --- |${runs.map(() => ' --- |').join('')}`);
  for (const category of categories) console.log(`| ${category} | ${summaries.map((s, i) => perTurn(i, s.byCategory.get(category) ?? 0)).join(' | ')} |`);
  console.log(`| **total** | ${summaries.map((s, i) => `**${perTurn(i, s.totalMs)}**`).join(' | ')} |`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, turns] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx scripts/cpu-profile-summary.ts <file.cpuprofile> [turns]');
    process.exit(2);
  }
  await printProfile(file, Number(turns ?? 1));
}
