import { callMachine, type CallContext } from '../../flows/call.machine.ts';

/** Where a transition starts, what triggers it and where it goes; `(stay)` means it keeps the state without re-entering it. */
export interface FlowTransition {
  id: string;
  source: string;
  /** `DIGITS`, `NO_INPUT`, `HANGUP` (from any state, or from a state that handles it itself), `DIAL_RESULT`, or `done` / `error` of the state's side effect. */
  event: string;
  /** The one key a menu guard names (`1`, `*`, `0`…); absent when the guard accepts many inputs or none is given. */
  key?: string;
  target: string;
}

/** One turn of a call as the QA timeline shows it (secrets already masked). */
export interface TimelineTurn {
  step: number;
  event: string;
  input: string | null;
  from: string;
  to: string;
  path: string[];
  prompts: string[];
  outcome: string | null;
  ended: boolean;
}

/** Something a script run cannot reach through the real system, and why. */
export interface CoverageExclusion {
  item: string;
  reason: string;
}

/** States and transitions visited, missed and excluded, with the percentage over what is not excluded. */
export interface CoverageReport {
  states: { total: number; visited: string[]; missed: string[] };
  transitions: { total: number; visited: string[]; missed: string[] };
  excluded: CoverageExclusion[];
  percent: number;
}

/** The source name used for transitions defined on the machine's root (they apply in every state). */
export const ANY_STATE = '(any)';
/** The target name of a transition that keeps the state without re-entering it. */
export const STAY = '(stay)';

const SINGLE_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];

/** Formats a transition's identity: `mainMenu —DIGITS 1→ passwordMenu`. */
export function transitionId(t: Omit<FlowTransition, 'id'>): string {
  return `${t.source} —${t.event}${t.key ? ` ${t.key}` : ''}→ ${t.target}`;
}

type Guard = (args: { context: CallContext; event: { type: string; digits?: string } }) => boolean;

function keyOfGuard(guard: unknown, context: CallContext): string | undefined {
  if (typeof guard !== 'function') return undefined;
  const accepted = SINGLE_KEYS.filter((key) => {
    try {
      return (guard as Guard)({ context, event: { type: 'DIGITS', digits: key } });
    } catch {
      return false;
    }
  });
  return accepted.length === 1 ? accepted[0] : undefined;
}

function eventLabel(eventType: string): string {
  if (eventType.startsWith('xstate.done.actor.')) return 'done';
  if (eventType.startsWith('xstate.error.actor.')) return 'error';
  return eventType;
}

/** Every state and transition of the call statechart, read from its definition (guards probed for the one key they name). */
export function enumerateFlow(machine = callMachine): { states: string[]; transitions: FlowTransition[] } {
  const context = machine.config.context as unknown;
  const neutral = (typeof context === 'function' ? (context as (a: { input: undefined }) => CallContext)({ input: undefined }) : context) as CallContext;
  const states = Object.keys(machine.root.states);
  const transitions = new Map<string, FlowTransition>();
  const add = (t: Omit<FlowTransition, 'id'>) => {
    const id = transitionId(t);
    transitions.set(id, { id, ...t });
  };
  for (const [eventType, list] of machine.root.transitions) {
    for (const t of list) add({ source: ANY_STATE, event: eventLabel(eventType), target: t.target?.[0]?.key ?? STAY });
  }
  for (const name of states) {
    const node = machine.root.states[name];
    for (const [eventType, list] of node.transitions) {
      for (const t of list) {
        const event = eventLabel(eventType);
        const target = t.target?.[0]?.key ?? STAY;
        add({ source: name, event, key: event === 'DIGITS' ? keyOfGuard(t.guard, neutral) : undefined, target });
      }
    }
  }
  return { states, transitions: [...transitions.values()] };
}

/** Finds the transition one hop stands for: by key when the input is one named key, else the only one with that source, event and target. */
export function matchTransition(
  transitions: FlowTransition[],
  hop: { source: string; event: string; input: string | null; target: string },
): FlowTransition | undefined {
  if (hop.event === 'HANGUP') {
    return transitions.find((t) => t.source === hop.source && t.event === 'HANGUP') ?? transitions.find((t) => t.source === ANY_STATE && t.event === 'HANGUP');
  }
  const same = transitions.filter((t) => t.source === hop.source && t.event === hop.event && t.target === hop.target);
  const keyed = same.find((t) => t.key !== undefined && t.key === hop.input);
  if (keyed) return keyed;
  const unkeyed = same.filter((t) => t.key === undefined);
  if (unkeyed.length === 1) return unkeyed[0];
  return same.length === 1 ? same[0] : undefined;
}

/** The hops one turn took: the first caused by its event, later ones by the side effect's result (`done`, or `error` into trouble). */
export function hopsOfTurn(turn: Pick<TimelineTurn, 'event' | 'input' | 'path' | 'from'>): Array<{ source: string; event: string; input: string | null; target: string }> {
  if (turn.event === 'CALL_START') return [];
  const path = turn.path.length > 0 ? turn.path : [turn.from];
  if (path.length === 1) {
    const reenter = turn.event === 'DIGITS' && turn.input === '*';
    return [{ source: path[0], event: turn.event, input: turn.input, target: reenter ? path[0] : STAY }];
  }
  const hops = [{ source: path[0], event: turn.event, input: turn.input, target: path[1] }];
  for (let i = 1; i < path.length - 1; i += 1) {
    hops.push({ source: path[i], event: path[i + 1] === 'trouble' ? 'error' : 'done', input: null, target: path[i + 1] });
  }
  return hops;
}

/** Transitions that scripts cannot drive through the real system, with the reason (listed in every report). */
export function defaultExclusions(flow = enumerateFlow()): CoverageExclusion[] {
  const reason =
    'entered only when a side effect (identify, send code, verify, screen or save a password) throws — a database or provider failure that a call script cannot cause; driven by the flow tests (test/flows/call.machine.test.ts) and the database-outage webhook tests instead';
  const excluded: CoverageExclusion[] = [];
  for (const t of flow.transitions) if (t.event === 'error' || t.source === 'trouble') excluded.push({ item: t.id, reason });
  excluded.push({ item: 'trouble', reason });
  excluded.push({ item: 'goodbye', reason: 'reached only from trouble (silence after the apology); see above' });
  return excluded;
}

/** Coverage of the statechart by a set of call timelines. */
export function flowCoverage(timelines: TimelineTurn[][], options: { machine?: typeof callMachine; exclusions?: CoverageExclusion[] } = {}): CoverageReport {
  const flow = enumerateFlow(options.machine);
  const exclusions = options.exclusions ?? defaultExclusions(flow);
  const excluded = new Set(exclusions.map((e) => e.item));
  const visitedStates = new Set<string>();
  const visitedTransitions = new Set<string>();
  for (const turns of timelines) {
    for (const turn of turns) {
      for (const state of turn.path.length ? turn.path : [turn.to]) visitedStates.add(state);
      for (const hop of hopsOfTurn(turn)) {
        const t = matchTransition(flow.transitions, hop);
        if (t) visitedTransitions.add(t.id);
      }
    }
  }
  const states = flow.states.filter((s) => !excluded.has(s));
  const transitions = flow.transitions.map((t) => t.id).filter((id) => !excluded.has(id));
  const missedStates = states.filter((s) => !visitedStates.has(s));
  const missedTransitions = transitions.filter((id) => !visitedTransitions.has(id));
  const total = states.length + transitions.length;
  const hit = total - missedStates.length - missedTransitions.length;
  return {
    states: { total: states.length, visited: states.filter((s) => visitedStates.has(s)), missed: missedStates },
    transitions: { total: transitions.length, visited: transitions.filter((id) => visitedTransitions.has(id)), missed: missedTransitions },
    excluded: exclusions,
    percent: total === 0 ? 100 : Math.floor((hit / total) * 1000) / 10,
  };
}

/** The report as text: percentages, then what was missed and what was excluded and why. */
export function formatCoverage(report: CoverageReport): string {
  const lines = [
    `flow coverage: ${report.percent}% — states ${report.states.visited.length}/${report.states.total}, transitions ${report.transitions.visited.length}/${report.transitions.total}`,
  ];
  if (report.states.missed.length) lines.push('  missed states:', ...report.states.missed.map((s) => `    ${s}`));
  if (report.transitions.missed.length) lines.push('  missed transitions:', ...report.transitions.missed.map((s) => `    ${s}`));
  if (report.excluded.length) {
    const reasons = new Map<string, string[]>();
    for (const e of report.excluded) reasons.set(e.reason, [...(reasons.get(e.reason) ?? []), e.item]);
    lines.push(`  excluded (${report.excluded.length}):`);
    for (const [reason, items] of reasons) lines.push(`    ${items.join(', ')}`, `      because ${reason}`);
  }
  return lines.join('\n');
}
