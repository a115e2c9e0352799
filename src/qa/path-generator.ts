import { createActor, fromPromise, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { callMachine, type CallContext, type StateMeta } from '../../flows/call.machine.ts';
import { parsePromptRef, type PromptId } from '../../prompts/catalogue.ts';
import { checkCharacter } from '../domain/citizen-id.ts';
import type { AgentBehaviour, CallScript, Ending, ScriptCall, ScriptCitizen, ScriptStep } from './call-script.ts';
import { enumerateFlow, matchTransition, STAY, type CoverageExclusion, defaultExclusions } from './flow-coverage.ts';

type Snapshot = SnapshotFrom<typeof callMachine>;
type GraphEvent = { type: string; digits?: string; output?: unknown; status?: string; callerReachable?: boolean };
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
/** The sample ID with a wrong check digit (read back before anything else). */
const SAMPLE_ID_BAD_CHECK = '110105198803151014';
/** Concrete entries tried in every keyed-entry state: the outcome of a check is chosen by the side effect's result, not the digits. */
const ENTRY_CASES = ['*', '0', '9', '123456', '12', SAMPLE_ID, SAMPLE_ID_BAD_CHECK];
/** What the agent line can report: answered, or busy for a caller who can be called back and for one whose number is withheld. */
const DIAL_RESULTS: GraphEvent[] = [
  { type: 'DIAL_RESULT', status: 'completed', callerReachable: true },
  { type: 'DIAL_RESULT', status: 'busy', callerReachable: true },
  { type: 'DIAL_RESULT', status: 'busy', callerReachable: false },
];

/** The results each side effect can give, as the graph explores them (errors are excluded: see flow coverage). */
const OUTPUTS: Record<string, unknown[]> = {
  identifyCaller: [{ idHash: 'h', idMasked: 'm', citizenId: 'c' }],
  sendCode: [undefined],
  verifyCode: ['ok', 'wrong', 'locked'],
  verifyCurrentPin: ['ok', 'wrong', 'locked'],
  screenNewPin: [{ ok: true, digest: 'd' }, { ok: false, reason: 'sequence' }],
  commitNewPin: ['saved', 'mismatch'],
  queueCallback: ['queued', 'exists'],
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
    queueCallback: never as never,
  },
});

const nodeOf = (s: Snapshot) => callMachine.root.states[String(s.value)];
const metaOf = (s: Snapshot) => nodeOf(s).meta as StateMeta | undefined;

function eventsFor(s: Snapshot): GraphEvent[] {
  if (s.status !== 'active') return [];
  const node = nodeOf(s);
  const invoke = node.invoke[0];
  if (invoke) return (OUTPUTS[String(invoke.src)] ?? []).map((output) => ({ type: `xstate.done.actor.${invoke.id}`, output }));
  if (metaOf(s)?.end === 'dial') return [...DIAL_RESULTS, { type: 'HANGUP' }];
  const gather = metaOf(s)?.gather;
  if (!gather) return [];
  const digits = gather.kind === 'menu' ? KEYS : ENTRY_CASES;
  return [...digits.map((d) => ({ type: 'DIGITS', digits: d })), { type: 'NO_INPUT' }, { type: 'HANGUP' }];
}

function serialize(s: Snapshot): string {
  const c = s.context as CallContext;
  return JSON.stringify([s.value, c.language, c.languageChosen, c.noInput, c.invalid, c.purpose, c.channel, c.failedVerifications, c.newPinAttempts, c.idChecksFailed, c.notice.map((ref) => parsePromptRef(ref).id).join()]);
}

const flow = enumerateFlow();

/** The flow transition one graph step takes. */
export function transitionOfStep(step: Step): string | undefined {
  const source = String(step.before.value);
  const target = String(step.after.value);
  if (step.event.type.startsWith('xstate.done.actor.')) return matchTransition(flow.transitions, { source, event: 'done', input: null, target })?.id;
  const stayed = source === target;
  const reenter = stayed && step.event.digits === '*' && step.event.type === 'DIGITS';
  return matchTransition(flow.transitions, {
    source,
    event: step.event.type,
    input: step.event.digits ?? null,
    target: stayed && !reenter ? STAY : target,
  })?.id;
}

/**
 * Walks the statechart with xstate/graph (concrete DIGITS cases, side-effect results and the agent line's
 * results as events), finds shortest paths breadth-first, and picks them until every reachable transition not
 * excluded is taken; each path rests in a state that waits for keys or has ended.
 */
export function generatePaths(options: { exclusions?: CoverageExclusion[] } = {}): GeneratedPath[] {
  const excluded = new Set((options.exclusions ?? defaultExclusions(flow)).map((e) => e.item));
  const traversal = { events: eventsFor as never, serializeState: serialize as never };
  const adjacency = getAdjacencyMap(graphMachine, traversal) as unknown as Record<string, { state: Snapshot; transitions: Record<string, { event: GraphEvent; state: Snapshot }> }>;
  // Shortest paths by breadth-first search over the adjacency map (one traversal of the machine, not two).
  const initial = serialize(createActor(graphMachine, { input: undefined }).getSnapshot());
  const pathTo = new Map<string, Step[]>([[initial, []]]);
  for (const queue = [initial]; queue.length > 0; ) {
    const serial = queue.shift() as string;
    const entry = adjacency[serial];
    for (const { event, state } of Object.values(entry?.transitions ?? {})) {
      const next = serialize(state);
      if (pathTo.has(next)) continue;
      pathTo.set(next, [...(pathTo.get(serial) ?? []), { before: entry.state, event, after: state }]);
      queue.push(next);
    }
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
      if (!oneCaller(steps)) continue;
      const known = best.get(id);
      if (!known || known.length > steps.length) best.set(id, steps);
    }
  }
  // A path goes on through side effects (their first result) and through the agent line (answered): a call
  // never rests in either, the replayer resolves a <Dial> as soon as it meets one.
  const settle = (steps: Step[]): Step[] => {
    const out = [...steps];
    const moving = (s: Snapshot) => s.status === 'active' && (nodeOf(s).invoke.length > 0 || metaOf(s)?.end === 'dial');
    for (let last = out[out.length - 1]; last && moving(last.after); last = out[out.length - 1]) {
      const options = Object.values(adjacency[serialize(last.after)].transitions);
      const next = metaOf(last.after)?.end === 'dial' ? options.find((o) => o.event.type === 'DIAL_RESULT' && o.event.status === 'completed')! : options[0];
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

/** A path is one real caller: its number is either reachable for a callback or withheld, not both. */
function oneCaller(steps: Step[]): boolean {
  return new Set(steps.filter((s) => s.event.type === 'DIAL_RESULT').map((s) => s.event.callerReachable)).size <= 1;
}

/** A withheld caller id as Twilio reports it ("ANONYMOUS" on a keypad): no callback can be offered to it. */
const WITHHELD_CALLER = '+266696687';

const NEW_PIN = '580317';
const OTHER_PIN = '680429';
const WEAK_PIN = '123456';
const CURRENT_PIN = '271828';
const WRONG_PIN = '000000';

/** The same ID number with a wrong check character (every other check passes). */
function withWrongCheck(idNumber: string): string {
  const check = idNumber[17] === '0' ? '1' : '0';
  return `${idNumber.slice(0, 17)}${check}`;
}

/** A valid citizen ID for the n-th generated script (born 1976-06-12, so the PINs above are not refused for the birth date). */
export function generatedIdNumber(n: number): string {
  const first17 = `44030519760612${String(n % 1000).padStart(3, '0')}`;
  return `${first17}${checkCharacter(first17)}`;
}

function expectsFor(s: Snapshot, line: number): ScriptStep[] {
  const meta = metaOf(s);
  const prompts = [...(s.context as CallContext).notice, ...(meta?.prompts ?? [])];
  return prompts.map((prompt) => ({ kind: 'expect', expect: { prompt: parsePromptRef(prompt).id as PromptId }, line }));
}

/** A first call that leaves the caller's number with an open callback request (for a path that meets one). */
function openCallbackCall(caller: string): ScriptCall {
  const steps: ScriptStep[] = [
    { kind: 'press', keys: '0', line: 0 },
    { kind: 'expect', expect: { prompt: 'agent.transfer' }, line: 0 },
    { kind: 'expect', expect: { prompt: 'callback.offer' }, line: 0 },
    { kind: 'press', keys: '1', line: 0 },
    { kind: 'expect', expect: { prompt: 'callback.queued' }, line: 0 },
  ].map((s, i) => ({ ...s, line: i + 1 }) as ScriptStep);
  return { caller, language: 'zh-CN', agent: ['busy'], steps, end: { outcome: 'callback-requested', line: steps.length + 1 }, line: 1 };
}

/** Turns a generated path into a call script with real data: its own citizen and caller, codes from the outbox, PINs that pass or fail as the path needs. */
export function pathToScript(path: GeneratedPath, n: number, options: { lockAfterFailures?: number } = {}): CallScript {
  const idNumber = generatedIdNumber(n);
  const mobile = `+86139${String(n).padStart(8, '0')}`;
  const withheld = path.steps.some((s) => s.event.type === 'DIAL_RESULT' && s.event.callerReachable === false);
  const caller = withheld ? WITHHELD_CALLER : mobile;
  const email = `qa.generated.${n}@example.org`;
  const citizen: ScriptCitizen = { idNumber, name: `Generated ${n}`, mobile, email, password: CURRENT_PIN };
  const agent: AgentBehaviour[] = [];
  const steps: ScriptStep[] = [...expectsFor(path.steps[0]?.before ?? graphMachine.getInitialSnapshot(null as never), 0)];
  let lastNewPin = NEW_PIN;
  let wrongSoFar = 0;
  const all = path.steps;
  for (let i = 0; i < all.length; i += 1) {
    const { before, event } = all[i];
    if (event.type.startsWith('xstate.done.actor.')) continue;
    if (event.type === 'DIAL_RESULT' || (event.type === 'HANGUP' && metaOf(before)?.end === 'dial')) {
      // The replayer meets the <Dial> while following the keys before it and reports what the agent line does.
      agent.push(event.type === 'HANGUP' ? 'caller-hangs-up' : event.status === 'completed' ? 'answered' : 'busy');
      if (event.type === 'DIAL_RESULT') steps.push(...expectsFor(all[i].after, 0));
      continue;
    }
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
      else if (target === 'confirmIdEnding' || (state === 'enterId' && d === SAMPLE_ID_BAD_CHECK)) steps.push({ kind: 'press', keys: `${withWrongCheck(idNumber)}#`, line: 0 });
      else if (target === 'verifyingCode') {
        if (result === 'ok') steps.push({ kind: 'code', to: channel === 'email' ? email : mobile, wrong: false, line: 0 });
        else steps.push({ kind: 'code', to: channel === 'email' ? email : mobile, wrong: true, line: 0 });
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
  else {
    // The script hangs up where the path rests: abandoned, unless that state handles a hang-up itself.
    steps.push({ kind: 'hangup', line: 0 });
    const own = last ? nodeOf(last).transitions.get('HANGUP')?.[0]?.target?.[0]?.key : undefined;
    if (own) end = ((callMachine.root.states[own].meta as StateMeta | undefined)?.outcome ?? 'abandoned') as Ending;
  }
  const language = (last?.context as CallContext | undefined)?.language ?? 'zh-CN';
  const numbered = steps.map((s, index) => ({ ...s, line: index + 1 }));
  const call: ScriptCall = { caller, language, agent: agent.length ? agent : ['answered'], steps: numbered, end: { outcome: end, line: numbered.length + 1 }, line: 1 };
  const meetsOpenCallback = all.some((s) => s.event.type.startsWith('xstate.done.actor.') && s.event.output === 'exists');
  return {
    file: `generated/path-${String(n).padStart(3, '0')}.yaml`,
    name: `generated path ${n}: ${path.transitions[path.transitions.length - 1] ?? 'welcome'}`,
    citizens: [citizen],
    calls: meetsOpenCallback ? [openCallbackCall(caller), call] : [call],
  };
}

/** Every generated path as a runnable script. */
export function generatedScripts(options: { lockAfterFailures?: number } = {}): CallScript[] {
  return generatePaths().map((p, i) => pathToScript(p, i + 1, options));
}
