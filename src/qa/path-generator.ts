import { fromPromise, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { callMachine, type CallContext, type StateMeta } from '../../flows/call.machine.ts';
import { checkCharacter } from '../domain/citizen-id.ts';
import type { CallScript, Ending, ScriptCitizen, ScriptStep } from './call-script.ts';
import { enumerateFlow, matchTransition, STAY, type CoverageExclusion, defaultExclusions } from './flow-coverage.ts';

type Snapshot = SnapshotFrom<typeof callMachine>;
type GraphEvent = { type: string; digits?: string; output?: unknown };
interface Step {
  before: Snapshot;
  event: GraphEvent;
  after: Snapshot;
}

/** A generated path: the events the statechart takes from the welcome, and the transitions it covers. */
export interface GeneratedPath {
  steps: Step[];
  transitions: string[];
}

const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];
const SAMPLE_ID = '110105198803151013';
/** Concrete entries tried in every keyed-entry state: the outcome of a check is chosen by the side effect's result, not the digits. */
const ENTRY_CASES = ['*', '0', '9', '123456', '12', '12*', SAMPLE_ID];

/** The results each side effect can give, as the graph explores them (errors are excluded: see flow coverage). */
const OUTPUTS: Record<string, unknown[]> = {
  identifyCaller: [{ idHash: 'h', idMasked: 'm', citizenId: 'c' }],
  sendCode: [undefined],
  verifyCode: ['ok', 'wrong', 'locked'],
  verifyCurrentPin: ['ok', 'wrong', 'locked'],
  screenNewPin: [{ ok: true, digest: 'd' }, { ok: false, reason: 'sequence' }],
  commitNewPin: ['saved', 'mismatch'],
};

const never = fromPromise(() => new Promise<never>(() => undefined));
/** The machine with every side effect replaced by a stub: the graph feeds the results in as done events. */
const graphMachine = callMachine.provide({
  actors: {
    identifyCaller: never as never,
    sendCode: never as never,
    verifyCode: never as never,
    verifyCurrentPin: never as never,
    screenNewPin: never as never,
    commitNewPin: never as never,
  },
});

const nodeOf = (s: Snapshot) => callMachine.root.states[String(s.value)];
const metaOf = (s: Snapshot) => nodeOf(s).meta as StateMeta | undefined;

function eventsFor(s: Snapshot): GraphEvent[] {
  if (s.status !== 'active') return [];
  const node = nodeOf(s);
  const invoke = node.invoke[0];
  if (invoke) return (OUTPUTS[String(invoke.src)] ?? []).map((output) => ({ type: `xstate.done.actor.${invoke.id}`, output }));
  const gather = metaOf(s)?.gather;
  if (!gather) return [];
  const digits = gather.kind === 'menu' ? KEYS : ENTRY_CASES;
  return [...digits.map((d) => ({ type: 'DIGITS', digits: d })), { type: 'NO_INPUT' }, { type: 'HANGUP' }];
}

function serialize(s: Snapshot): string {
  const c = s.context as CallContext;
  return JSON.stringify([s.value, c.language, c.languageChosen, c.noInput, c.invalid, c.purpose, c.channel, c.failedVerifications, c.newPinAttempts, c.notice.join()]);
}

const flow = enumerateFlow();

/** The flow transition one graph step takes. */
export function transitionOfStep(step: Step): string | undefined {
  const source = String(step.before.value);
  const target = String(step.after.value);
  if (step.event.type.startsWith('xstate.done.actor.')) return matchTransition(flow.transitions, { source, event: 'done', input: null, target })?.id;
  const stayed = source === target;
  const reenter = stayed && step.event.digits === '*';
  return matchTransition(flow.transitions, {
    source,
    event: step.event.type,
    input: step.event.digits ?? null,
    target: stayed && !reenter ? STAY : target,
  })?.id;
}

/**
 * Walks the statechart with xstate/graph (concrete DIGITS cases, side-effect results as done events) and
 * picks shortest paths until every reachable transition not excluded is taken; each path rests in a state
 * that waits for keys or has ended.
 */
export function generatePaths(options: { exclusions?: CoverageExclusion[] } = {}): GeneratedPath[] {
  const excluded = new Set((options.exclusions ?? defaultExclusions(flow)).map((e) => e.item));
  const traversal = { events: eventsFor as never, serializeState: serialize as never };
  const adjacency = getAdjacencyMap(graphMachine, traversal) as unknown as Record<string, { state: Snapshot; transitions: Record<string, { event: GraphEvent; state: Snapshot }> }>;
  const shortest = getShortestPaths(graphMachine, traversal) as unknown as Array<{ state: Snapshot; steps: Array<{ state: Snapshot; event: GraphEvent }> }>;
  const pathTo = new Map<string, Step[]>();
  for (const p of shortest) {
    const steps: Step[] = [];
    for (let i = 1; i < p.steps.length; i += 1) steps.push({ before: p.steps[i - 1].state, event: p.steps[i].event, after: p.steps[i].state });
    pathTo.set(serialize(p.state), steps);
  }
  const best = new Map<string, Step[]>();
  for (const [serial, entry] of Object.entries(adjacency)) {
    const prefix = pathTo.get(serial);
    if (!prefix) continue;
    for (const { event, state } of Object.values(entry.transitions)) {
      const step = { before: entry.state, event, after: state };
      const id = transitionOfStep(step);
      if (!id || excluded.has(id)) continue;
      const steps = [...prefix, step];
      const known = best.get(id);
      if (!known || known.length > steps.length) best.set(id, steps);
    }
  }
  const settle = (steps: Step[]): Step[] => {
    const out = [...steps];
    for (let last = out[out.length - 1]; last && last.after.status === 'active' && nodeOf(last.after).invoke.length > 0; last = out[out.length - 1]) {
      const next = Object.values(adjacency[serialize(last.after)].transitions)[0];
      out.push({ before: last.after, event: next.event, after: next.state });
    }
    return out;
  };
  const covered = new Set<string>();
  const paths: GeneratedPath[] = [];
  for (const [id, steps] of [...best.entries()].sort((a, b) => b[1].length - a[1].length)) {
    if (covered.has(id)) continue;
    const full = settle(steps);
    const transitions = full.map(transitionOfStep).filter((t): t is string => Boolean(t));
    for (const t of transitions) covered.add(t);
    paths.push({ steps: full, transitions });
  }
  return paths;
}

const NEW_PIN = '580317';
const OTHER_PIN = '680429';
const WEAK_PIN = '123456';
const CURRENT_PIN = '271828';
const WRONG_PIN = '000000';

/** A valid citizen ID for the n-th generated script (born 1976-06-12, so the PINs above are not refused for the birth date). */
export function generatedIdNumber(n: number): string {
  const first17 = `44030519760612${String(n % 1000).padStart(3, '0')}`;
  return `${first17}${checkCharacter(first17)}`;
}

function expectsFor(s: Snapshot, line: number): ScriptStep[] {
  const meta = metaOf(s);
  const prompts = [...(s.context as CallContext).notice, ...(meta?.prompts ?? [])];
  return prompts.map((prompt) => ({ kind: 'expect', expect: { prompt }, line }));
}

/** Turns a generated path into a call script with real data: its own citizen and caller, codes from the outbox, PINs that pass or fail as the path needs. */
export function pathToScript(path: GeneratedPath, n: number, options: { lockAfterFailures?: number } = {}): CallScript {
  const idNumber = generatedIdNumber(n);
  const caller = `+86139${String(n).padStart(8, '0')}`;
  const email = `qa.generated.${n}@example.org`;
  const citizen: ScriptCitizen = { idNumber, name: `Generated ${n}`, mobile: caller, email, password: CURRENT_PIN };
  const steps: ScriptStep[] = [...expectsFor(path.steps[0]?.before ?? graphMachine.getInitialSnapshot(null as never), 0)];
  let lastNewPin = NEW_PIN;
  let wrongSoFar = 0;
  const all = path.steps;
  for (let i = 0; i < all.length; i += 1) {
    const { before, event } = all[i];
    if (event.type.startsWith('xstate.done.actor.')) continue;
    let after = all[i].after;
    const results: unknown[] = [];
    while (i + 1 < all.length && all[i + 1].event.type.startsWith('xstate.done.actor.')) {
      i += 1;
      results.push(all[i].event.output);
      after = all[i].after;
    }
    const state = String(before.value);
    const target = String(all[i - results.length].after.value);
    const gather = metaOf(before)?.gather;
    if (event.type === 'NO_INPUT') steps.push({ kind: 'silence', line: 0 });
    else if (event.type === 'HANGUP') steps.push({ kind: 'hangup', line: 0 });
    else if (gather?.kind === 'menu') steps.push({ kind: 'press', keys: event.digits!, line: 0 });
    else {
      const d = event.digits!;
      const result = results.find((r) => r !== undefined);
      const channel = (before.context as CallContext).channel;
      if (d === '*' || d === '0') steps.push({ kind: 'press', keys: `${d}#`, line: 0 });
      else if (target === 'sendingCode') steps.push({ kind: 'press', keys: '9#', line: 0 });
      else if (target === 'identifying') steps.push({ kind: 'press', keys: `${idNumber.replace('X', '*')}#`, line: 0 });
      else if (target === 'verifyingCode') {
        if (result === 'ok') steps.push({ kind: 'code', to: channel === 'email' ? email : caller, wrong: false, line: 0 });
        else steps.push({ kind: 'code', to: channel === 'email' ? email : caller, wrong: true, line: 0 });
      } else if (target === 'verifyingCurrentPin') steps.push({ kind: 'press', keys: `${result === 'ok' ? CURRENT_PIN : WRONG_PIN}#`, line: 0 });
      else if (target === 'screeningNewPin') {
        const ok = (result as { ok: boolean }).ok;
        if (ok) lastNewPin = NEW_PIN;
        steps.push({ kind: 'press', keys: `${ok ? NEW_PIN : WEAK_PIN}#`, line: 0 });
      } else if (target === 'committingNewPin') steps.push({ kind: 'press', keys: `${result === 'saved' ? lastNewPin : OTHER_PIN}#`, line: 0 });
      else steps.push({ kind: 'press', keys: state === 'enterId' ? '12345#' : state === 'enterNewPin' || state === 'confirmNewPin' ? '12*#' : '12#', line: 0 });
      if (result === 'wrong') wrongSoFar += 1;
      if (result === 'locked') citizen.failedVerifications = (options.lockAfterFailures ?? 5) - 1 - wrongSoFar;
    }
    if (event.type !== 'HANGUP') steps.push(...expectsFor(after, 0));
  }
  const last = all[all.length - 1]?.after;
  let end: Ending = 'abandoned';
  if (last && last.status === 'done') end = (metaOf(last)?.outcome ?? 'abandoned') as Ending;
  else steps.push({ kind: 'hangup', line: 0 });
  const language = (last?.context as CallContext | undefined)?.language ?? 'zh-CN';
  const numbered = steps.map((s, index) => ({ ...s, line: index + 1 }));
  return {
    file: `generated/path-${String(n).padStart(3, '0')}.yaml`,
    name: `generated path ${n}: ${path.transitions[path.transitions.length - 1] ?? 'welcome'}`,
    citizens: [citizen],
    calls: [{ caller, language, agent: 'answered', steps: numbered, end: { outcome: end, line: numbered.length + 1 }, line: 1 }],
  };
}

/** Every generated path as a runnable script. */
export function generatedScripts(options: { lockAfterFailures?: number } = {}): CallScript[] {
  return generatePaths().map((p, i) => pathToScript(p, i + 1, options));
}
