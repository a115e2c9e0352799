import { awaitOutboxCode, CallReplayer, type ReplayTarget, type Utterance } from '../src/qa/call-replayer.ts';

/** Where the benchmark's calls go (the QA replayer's target). */
export type JourneyTarget = ReplayTarget & { qaToken: string };

/** One webhook turn as the caller saw it: how long the answer took, whether it was the expected one. */
export interface TurnSample {
  ms: number;
  ok: boolean;
  /** The code request, which waits at least CODE_SEND_FLOOR_MS by design. */
  floored: boolean;
  /** Which step of the journey it was (the prompt expected back). */
  step: string;
  /** When the answer arrived (performance.now()), so throughput counts only what finished inside the window. */
  at: number;
}

const usedCodes = new Map<string, Set<string>>();

/** The newest code sent to `mobile` that no earlier journey of this run has used. */
async function freshCode(target: JourneyTarget, mobile: string): Promise<string | null> {
  const used = usedCodes.get(mobile) ?? new Set<string>();
  usedCodes.set(mobile, used);
  const code = await awaitOutboxCode(target, mobile, used);
  if (code) used.add(code);
  return code;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = (ms: number) => (ms > 0 ? ms * (0.5 + Math.random()) : 0);
const heard = (utterances: Utterance[]) => utterances.map((u) => u.promptId ?? u.text).join(' ');

async function timed(samples: TurnSample[], turn: () => Promise<Utterance[]>, expected: RegExp, floored = false): Promise<boolean> {
  const started = performance.now();
  const step = expected.source.replace(/\\/g, '');
  try {
    const said = await turn();
    const ok = expected.test(heard(said));
    samples.push({ ms: performance.now() - started, ok, floored, step, at: performance.now() });
    return ok;
  } catch {
    samples.push({ ms: performance.now() - started, ok: false, floored, step, at: performance.now() });
    return false;
  }
}

/** Walks a caller through a whole password reset by SMS (English), pausing `thinkMs` before each key, and hangs up. */
export async function benchJourney(target: JourneyTarget, citizen: { id: string; mobile: string }, newPin: string, thinkMs: number, deadline = Infinity): Promise<TurnSample[]> {
  const samples: TurnSample[] = [];
  const call = new CallReplayer(target, citizen.mobile);
  const steps: Array<[string | (() => Promise<string | null>), RegExp, boolean?]> = [
    ['2', /main\.menu/],
    ['1', /id\.enter/],
    [`${citizen.id.replace('X', '*')}#`, /verify\.menu/],
    ['1', /code\.enter/, true],
    [async () => freshCode(target, citizen.mobile).then((code) => (code ? `${code}#` : null)), /pin\.enter/],
    [`${newPin}#`, /pin\.confirm/],
    [`${newPin}#`, /pin\.changed/],
  ];
  try {
    if (!(await timed(samples, () => call.start(), /welcome/))) return samples;
    for (const [keys, expected, floored] of steps) {
      await sleep(jitter(thinkMs));
      if (performance.now() > deadline) break;
      const digits = typeof keys === 'string' ? keys : await keys();
      if (digits === null) {
        samples.push({ ms: 0, ok: false, floored: false, step: 'code from the outbox', at: performance.now() });
        break;
      }
      if (!(await timed(samples, () => call.press(digits), expected, floored))) break;
    }
  } finally {
    await call.hangup().catch(() => undefined);
  }
  return samples;
}

/** Brings a caller to the confirmation of a new password and returns the final key press (timed, in ms). */
export async function prepareToConfirm(target: JourneyTarget, citizen: { id: string; mobile: string }, newPin: string): Promise<() => Promise<number>> {
  const call = new CallReplayer(target, citizen.mobile);
  await call.start();
  for (const keys of ['2', '1', `${citizen.id.replace('X', '*')}#`, '1']) await call.press(keys);
  const code = await freshCode(target, citizen.mobile);
  await call.press(`${code}#`);
  await call.press(`${newPin}#`);
  return async () => {
    const started = performance.now();
    await call.press(`${newPin}#`);
    const ms = performance.now() - started;
    await call.hangup().catch(() => undefined);
    return ms;
  };
}

/** `callers` callers press `*` (repeat) in a menu over and over for `ms` (or until `done()`); returns each turn's latency. */
export async function menuTurns(target: JourneyTarget, callers: number, ms: number, done: () => boolean = () => false): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  await Promise.all(
    Array.from({ length: callers }, async (_v, i) => {
      const call = new CallReplayer(target, `+8613700${String(100_000 + i).slice(-6)}`);
      await call.start();
      await call.press('2');
      while (performance.now() < deadline && !done()) {
        const started = performance.now();
        await call.press('*');
        latencies.push(performance.now() - started);
      }
      await call.hangup().catch(() => undefined);
    }),
  );
  return latencies;
}
