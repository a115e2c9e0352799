import { callMachine, type StateMeta } from '../../flows/call.machine.ts';

/** One state of the call machine as drawn. */
export interface FlowNode {
  id: string;
  /** `input`: waits for keys; `check`: runs a side effect; `final`: the call ends here. */
  kind: 'input' | 'check' | 'final';
  outcome: string | null;
  prompts: string[];
}

/** One transition between two different states (events that lead there, e.g. `DIGITS`, `done`, `error`). */
export interface FlowEdge {
  from: string;
  to: string;
  events: string[];
}

/** The call machine as a graph: states, the transitions drawn as arrows, and the common exits shown per state. */
export interface FlowGraph {
  initial: string;
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** States reached from most states (the agent line, too many tries, silence, hang-up): shown as counts on each state, not as arrows. */
  exits: string[];
}

/** A final state, or the agent line, reached from at least this many states is drawn as a common exit rather than with arrows. */
const EXIT_MIN_SOURCES = 8;

/** The name an event of the machine goes by in the console: `done` / `error` for a state's check, else its type. */
export function eventName(type: string): string {
  if (type.startsWith('xstate.done.actor')) return 'done';
  if (type.startsWith('xstate.error.actor')) return 'error';
  return type;
}

/** Walks the machine definition (every state and transition of `callMachine`), so the diagram follows the code. */
export function machineGraph(): FlowGraph {
  const root = callMachine.root;
  const nodes: FlowNode[] = [];
  const edges = new Map<string, FlowEdge>();
  for (const [id, node] of Object.entries(root.states)) {
    const meta = node.meta as StateMeta | undefined;
    nodes.push({
      id,
      kind: node.type === 'final' ? 'final' : node.tags.includes('input') ? 'input' : 'check',
      outcome: meta?.outcome ?? null,
      prompts: meta?.prompts ?? [],
    });
    for (const [type, definitions] of node.transitions) {
      for (const definition of definitions) {
        for (const target of definition.target ?? []) {
          if (target.key === id) continue;
          const key = `${id}>${target.key}`;
          const edge = edges.get(key) ?? { from: id, to: target.key, events: [] };
          if (!edge.events.includes(eventName(type))) edge.events.push(eventName(type));
          edges.set(key, edge);
        }
      }
    }
  }
  const sources = new Map<string, number>();
  for (const edge of edges.values()) sources.set(edge.to, (sources.get(edge.to) ?? 0) + 1);
  const dialling = new Set(Object.entries(root.states).filter(([, node]) => (node.meta as StateMeta | undefined)?.end === 'dial').map(([id]) => id));
  const exits = nodes.filter((n) => (n.kind === 'final' || dialling.has(n.id)) && (sources.get(n.id) ?? 0) >= EXIT_MIN_SOURCES).map((n) => n.id);
  const initial = root.initial?.target?.[0]?.key ?? nodes[0].id;
  return { initial, nodes, edges: [...edges.values()], exits };
}
