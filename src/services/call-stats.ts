import type { CallEnd, CallTurn } from '../storage/call-session.repository.ts';
import type { Counts } from '../storage/call-rollup.repository.ts';

/**
 * The password journey, as supervisors follow it: from the caller choosing to set or change a password, to the
 * password saved. A call reaches a step when it enters any of the step's states.
 */
export const FUNNEL = [
  { step: 'password menu', states: ['passwordMenu', 'enterId'] },
  { step: 'identified', states: ['chooseChannel', 'enterCurrentPin'] },
  { step: 'verified', states: ['enterNewPin'] },
  { step: 'new PIN accepted', states: ['confirmNewPin'] },
  { step: 'saved', states: ['passwordChanged'] },
] as const;

/** A funnel step's name. */
export type FunnelStepName = (typeof FUNNEL)[number]['step'];

/** Longer than this (seconds) is counted in the last bucket. */
const SECONDS_CAP = 900;

/** The bucket (its lower bound, seconds) a duration is counted in: whole seconds up to 2 minutes, then tens, then the cap. */
export function secondsBucket(seconds: number): number {
  if (seconds < 120) return Math.floor(seconds);
  if (seconds < SECONDS_CAP) return Math.floor(seconds / 10) * 10;
  return SECONDS_CAP;
}

const bucketWidth = (bucket: number) => (bucket < 120 ? 1 : bucket < SECONDS_CAP ? 10 : 0);

/** The counter names the recorder writes and the console reads. */
export const COUNTER = {
  calls: 'calls',
  ended: 'ended',
  trouble: 'trouble',
  /** Calls with an entry refused, unchecked, because the card was locked or its day's failures used up. */
  refusedLocked: 'refusedLocked',
  outcome: (outcome: string) => `outcome:${outcome}`,
  state: (state: string) => `state:${state}`,
  move: (from: string, to: string) => `move:${from}>${to}`,
  ending: (state: string, outcome: string) => `ending:${state}|${outcome}`,
  funnel: (index: number) => `funnel:${index}`,
  funnelSeconds: (index: number, bucket: number) => `funnelSec:${index}:${bucket}`,
  handleSeconds: (outcome: string) => `handleSec:${outcome}`,
} as const;

/** What a call's start adds to its hour. */
export function startCounts(): Counts {
  return { [COUNTER.calls]: 1 };
}

/** What a call's end adds to the hour it started in: outcome, every state and transition it took (once each), where it ended, its funnel. */
export function endCounts(end: CallEnd, turns: CallTurn[]): Counts {
  const counts: Counts = { [COUNTER.ended]: 1, [COUNTER.outcome(end.outcome)]: 1, [COUNTER.ending(end.endedIn, end.outcome)]: 1 };
  if (end.hadTrouble) counts[COUNTER.trouble] = 1;
  if (end.refused) counts[COUNTER.refusedLocked] = 1;
  if (end.durationSeconds !== null) counts[COUNTER.handleSeconds(end.outcome)] = end.durationSeconds;
  const reached = new Map<string, number>();
  for (const turn of turns) {
    const path = turn.path?.length ? turn.path : [turn.from, turn.to].filter(Boolean);
    path.forEach((state, i) => {
      counts[COUNTER.state(state)] = 1;
      if (i > 0) counts[COUNTER.move(path[i - 1], state)] = 1;
      if (!reached.has(state)) reached.set(state, turn.at.getTime());
    });
  }
  let previous = end.startedAt.getTime();
  for (const [index, { states }] of FUNNEL.entries()) {
    const at = Math.min(...states.map((state) => reached.get(state) ?? Infinity));
    if (!Number.isFinite(at)) break;
    counts[COUNTER.funnel(index)] = 1;
    const seconds = Math.max(0, (at - previous) / 1000);
    counts[COUNTER.funnelSeconds(index, secondsBucket(seconds))] = 1;
    previous = at;
  }
  return counts;
}

/** Adds counters into a total. */
export function addCounts(total: Counts, more: Counts): Counts {
  for (const [name, value] of Object.entries(more)) total[name] = (total[name] ?? 0) + value;
  return total;
}

/** The counters whose names start with a prefix, by the rest of the name. */
export function countsUnder(counts: Counts, prefix: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [name, value] of Object.entries(counts)) if (name.startsWith(prefix)) found[name.slice(prefix.length)] = value;
  return found;
}

/** The (lower) median, in seconds, of a histogram of `funnelSec` buckets (the middle of its bucket); null when empty. */
export function medianSeconds(buckets: Record<string, number>): number | null {
  const sorted = Object.entries(buckets)
    .map(([bucket, n]) => [Number(bucket), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const [bucket, n] of sorted) {
    seen += n;
    if (seen * 2 >= total) return bucket + bucketWidth(bucket) / 2;
  }
  return null;
}

/** The `funnelSec` histogram of one step. */
export function funnelSecondsOf(counts: Counts, index: number): Record<string, number> {
  return countsUnder(counts, `funnelSec:${index}:`);
}
