import type { FlowView } from '../services/call-review.service.ts';
import type { FlowEdge, FlowNode } from '../services/flow-graph.service.ts';

const NODE_W = 150;
const NODE_H = 46;
const GAP_X = 28;
const LAYER_GAP = 96;
const MARGIN = 40;
const SIDE_ROUTE = 70;

const EXIT_LABELS: Record<string, string> = { agent: 'agent', agentAfterTrouble: 'tries', noInputGoodbye: 'silent', abandoned: 'hung up' };

function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

interface Placed {
  node: FlowNode;
  x: number;
  y: number;
  layer: number;
}

/** Layers the states by distance from the initial state (arrows first, common exits and unreached states last). */
function layout(view: FlowView): { placed: Map<string, Placed>; width: number; height: number } {
  const { graph } = view;
  const drawn = graph.edges.filter((e) => !graph.exits.includes(e.to));
  const next = new Map<string, string[]>();
  for (const e of drawn) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const layerOf = new Map<string, number>([[graph.initial, 0]]);
  const queue = [graph.initial];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const to of next.get(id) ?? []) {
      if (!layerOf.has(to)) {
        layerOf.set(to, (layerOf.get(id) ?? 0) + 1);
        queue.push(to);
      }
    }
  }
  const deepest = Math.max(...layerOf.values());
  const layers: FlowNode[][] = [];
  for (const node of graph.nodes) {
    const layer = layerOf.get(node.id) ?? deepest + 1;
    (layers[layer] ??= []).push(node);
  }
  const parents = new Map<string, string[]>();
  for (const e of drawn) {
    if ((layerOf.get(e.from) ?? 0) < (layerOf.get(e.to) ?? deepest + 1)) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  }
  const position = new Map<string, number>();
  layers.forEach((nodes) => {
    if (!nodes) return;
    const centre = (node: FlowNode) => {
      const from = (parents.get(node.id) ?? []).map((p) => position.get(p)).filter((x): x is number => x !== undefined);
      return from.length ? from.reduce((a, b) => a + b, 0) / from.length : Number.MAX_SAFE_INTEGER;
    };
    const order = nodes.map((node, i) => ({ node, key: centre(node), i })).sort((a, b) => a.key - b.key || a.i - b.i);
    order.forEach(({ node }, i) => {
      nodes[i] = node;
      position.set(node.id, i - (order.length - 1) / 2);
    });
  });
  const widest = Math.max(...layers.map((l) => l?.length ?? 0));
  const width = MARGIN * 2 + widest * (NODE_W + GAP_X) + SIDE_ROUTE;
  const placed = new Map<string, Placed>();
  layers.forEach((nodes, layer) => {
    if (!nodes) return;
    const rowWidth = nodes.length * (NODE_W + GAP_X) - GAP_X;
    const left = (width - SIDE_ROUTE - rowWidth) / 2;
    nodes.forEach((node, i) => placed.set(node.id, { node, layer, x: left + i * (NODE_W + GAP_X), y: MARGIN + layer * (NODE_H + LAYER_GAP) }));
  });
  return { placed, width, height: MARGIN * 2 + layers.length * (NODE_H + LAYER_GAP) - LAYER_GAP + 24 };
}

function edgePath(from: Placed, to: Placed, index: number): { d: string; lx: number; ly: number } {
  if (to.layer > from.layer) {
    const x1 = from.x + NODE_W / 2;
    const y1 = from.y + NODE_H;
    const x2 = to.x + NODE_W / 2;
    const y2 = to.y;
    const mid = (y1 + y2) / 2;
    return { d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`, lx: (x1 + x2) / 2, ly: mid };
  }
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2 + 6;
  const x2 = to.x + NODE_W;
  const y2 = to.y + NODE_H / 2 - 6;
  const bend = Math.max(x1, x2) + 30 + (index % 4) * 12;
  return { d: `M${x1},${y1} C${bend},${y1} ${bend},${y2} ${x2},${y2}`, lx: bend - 8, ly: (y1 + y2) / 2 };
}

/** The statechart as SVG: one box per state with how many calls passed it, arrows with how many calls took them. */
export function renderFlowDiagram(view: FlowView): string {
  const { graph, counts } = view;
  const { placed, width, height } = layout(view);
  const maxMove = Math.max(1, ...Object.values(counts.moves));
  const hungUp = new Map<string, number>();
  for (const e of counts.endings) if (e.outcome === 'abandoned') hungUp.set(e.state, (hungUp.get(e.state) ?? 0) + e.calls);

  const arrows = graph.edges
    .filter((e: FlowEdge) => !graph.exits.includes(e.to))
    .map((e, i) => {
      const from = placed.get(e.from);
      const to = placed.get(e.to);
      if (!from || !to) return '';
      const n = counts.moves[`${e.from}>${e.to}`] ?? 0;
      const { d, lx, ly } = edgePath(from, to, i);
      const stroke = n > 0 ? '#1f5fa8' : '#b8c2cc';
      const widthPx = n > 0 ? 1.2 + (5 * n) / maxMove : 1;
      return `<g class="edge" data-from="${esc(e.from)}" data-to="${esc(e.to)}" data-calls="${n}"><title>${esc(e.from)} → ${esc(e.to)} (${esc(e.events.join(', '))}): ${n} calls</title>
<path d="${d}" fill="none" stroke="${stroke}" stroke-width="${widthPx.toFixed(1)}"${n > 0 ? '' : ' stroke-dasharray="4 3"'} marker-end="url(#arrow)"/>
${n > 0 ? `<text x="${lx.toFixed(0)}" y="${ly.toFixed(0)}" class="edge-count" font-size="11" fill="#1d2733" text-anchor="middle" paint-order="stroke" stroke="#fff" stroke-width="3">${n}</text>` : ''}</g>`;
    })
    .join('\n');

  const boxes = [...placed.values()]
    .map(({ node, x, y }) => {
      const n = counts.states[node.id] ?? (node.id === 'abandoned' ? sum(hungUp) : 0);
      const fill = node.kind === 'final' ? (node.outcome === 'password-changed' ? '#dff3e6' : '#f3e9dc') : node.kind === 'check' ? '#eef2f6' : '#ffffff';
      const exits = [...graph.exits.map((exit) => [EXIT_LABELS[exit] ?? exit, counts.moves[`${node.id}>${exit}`] ?? 0] as const), ['hung up', hungUp.get(node.id) ?? 0] as const]
        .filter(([, count]) => count > 0)
        .map(([label, count]) => `${label} ${count}`)
        .join(' · ');
      return `<g class="state" data-state="${esc(node.id)}" data-calls="${n}"><title>${esc(node.id)} (${esc(node.kind)})${node.prompts.length ? `: ${esc(node.prompts.join(', '))}` : ''}</title>
<rect x="${x.toFixed(0)}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="${node.kind === 'check' ? 18 : 5}" fill="${fill}" stroke="${n > 0 ? '#1f5fa8' : '#b8c2cc'}" stroke-width="${node.kind === 'final' ? 2 : 1}"/>
<text x="${(x + NODE_W / 2).toFixed(0)}" y="${y + 19}" font-size="12" font-weight="600" text-anchor="middle" fill="#1d2733">${esc(node.id)}</text>
<text x="${(x + NODE_W / 2).toFixed(0)}" y="${y + 36}" font-size="11" text-anchor="middle" fill="#5b6776" class="state-count">${n} ${n === 1 ? 'call' : 'calls'}</text>
${exits ? `<text x="${(x + NODE_W / 2).toFixed(0)}" y="${y + NODE_H + 13}" font-size="10" text-anchor="middle" fill="#a8321f">${esc(exits)}</text>` : ''}</g>`;
    })
    .join('\n');

  return `<svg xmlns="http://www.w3.org/2000/svg" class="flow" viewBox="0 0 ${width.toFixed(0)} ${height.toFixed(0)}" width="${width.toFixed(0)}" height="${height.toFixed(0)}" font-family="system-ui, sans-serif" role="img" aria-label="Call flow statechart with call counts">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6776"/></marker></defs>
<text x="${MARGIN}" y="22" font-size="11" fill="#5b6776">Boxes: calls that passed the state. Arrows: calls that took the transition. Red under a box: calls that left there to an agent, after too many tries, after silence, or by hanging up.</text>
${arrows}
${boxes}
</svg>`;
}

function sum(map: Map<string, number>): number {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}
