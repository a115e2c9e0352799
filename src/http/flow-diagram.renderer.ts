import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { FlowView } from '../services/call-review.service.ts';
import type { FlowNode } from '../services/flow-graph.service.ts';
import { esc } from './console-layout.renderer.ts';
import { layoutOffThread } from './elk-layout.runner.ts';
import { labelOf, msg, STATE_LABELS, type ConsoleLanguage, type MessageKey } from './console-messages.catalogue.ts';

/** States drawn together in one box: the five policy articles. */
export const FLOW_GROUPS: ReadonlyArray<{ id: string; title: MessageKey; members: (id: string) => boolean }> = [
  { id: 'group-policy', title: 'flow.group.policy', members: (id) => /^policyArticle\d+$/.test(id) },
];

const FONT = 'system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif';
const LINE = { title: 13, text: 11.5 };
const LINE_HEIGHT = 16;
const PAD_X = 10;
const PAD_Y = 8;
const GROUP_TITLE_HEIGHT = 30;
const LABEL_PAD = 4;


/**
 * A generous estimate of how wide a line of text is drawn (ideographs a full em, Latin letters about 0.6 em), so the
 * boxes the layout places hold their text. The browser test checks the drawn text against these boxes.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if ((code >= 0x2e80 && code <= 0x9fff) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xff00 && code <= 0xffef) || (code >= 0x3000 && code <= 0x303f)) em += 1.02;
    else if (/[A-Z]/.test(ch)) em += 0.72;
    else if (/[mw]/.test(ch)) em += 0.9;
    else if (/[a-z0-9]/.test(ch)) em += 0.6;
    else if (ch === ' ') em += 0.3;
    else em += 0.45;
  }
  return Math.ceil(em * fontSize * (bold ? 1.1 : 1));
}

interface NodeText {
  lines: Array<{ text: string; className: string; size: number; bold: boolean }>;
  reached: number;
  dropOff: number;
  dropShare: number;
}

function sumEndings(view: FlowView, state: string, outcome: string): number {
  return view.counts.endings.filter((e) => e.state === state && e.outcome === outcome).reduce((n, e) => n + e.calls, 0);
}

/** The lines drawn in a state's box: its name, calls that reached it, drop-off (hung up or silent there) as a share of those, and exits to an agent. */
function nodeText(view: FlowView, node: FlowNode, language: ConsoleLanguage): NodeText {
  const { counts, graph } = view;
  const reached = counts.states[node.id] ?? 0;
  const hungUp = node.id === 'abandoned' ? 0 : sumEndings(view, node.id, 'abandoned');
  const silent = counts.moves[`${node.id}>noInputGoodbye`] ?? 0;
  const dropOff = node.kind === 'final' ? 0 : hungUp + silent;
  const dropShare = reached > 0 ? dropOff / reached : 0;
  const lines: NodeText['lines'] = [
    { text: labelOf(STATE_LABELS, language, node.id), className: 'state-label', size: LINE.title, bold: true },
    { text: msg(language, reached === 1 ? 'flow.call' : 'flow.calls', { n: reached }), className: 'state-count', size: LINE.text, bold: false },
  ];
  if (dropOff > 0) {
    lines.push({ text: msg(language, 'flow.dropOff', { n: dropOff, pct: `${(dropShare * 100).toFixed(1)}%` }), className: 'state-drop', size: LINE.text, bold: false });
    const why = [hungUp ? msg(language, 'flow.exit.hungUp', { n: hungUp }) : '', silent ? msg(language, 'flow.exit.noInputGoodbye', { n: silent }) : ''].filter(Boolean).join(' · ');
    lines.push({ text: why, className: 'state-exits', size: LINE.text, bold: false });
  }
  const agents = graph.exits
    .filter((exit) => exit !== 'noInputGoodbye')
    .map((exit) => [exit, counts.moves[`${node.id}>${exit}`] ?? 0] as const)
    .filter(([, n]) => n > 0)
    .map(([exit, n]) => msg(language, (exit === 'agent' || exit === 'agentAfterTrouble' ? `flow.exit.${exit}` : 'flow.exit.agent') as MessageKey, { n }))
    .join(' · ');
  if (agents) lines.push({ text: agents, className: 'state-exits', size: LINE.text, bold: false });
  return { lines, reached, dropOff, dropShare };
}

function boxOf(text: NodeText): { width: number; height: number } {
  const width = Math.max(120, ...text.lines.map((l) => textWidth(l.text, l.size, l.bold))) + PAD_X * 2;
  return { width, height: PAD_Y * 2 + text.lines.length * LINE_HEIGHT };
}

/**
 * The ELK graph of the view: one node per state (the groups as boxes with their states inside; the common exits in a
 * last row), one edge per drawn transition with its count as a label. Transitions forward in the machine's order are
 * always drawn; ones back to an earlier state (`9` back, `*` repeat, another try) only when calls took them, so the
 * untaken ways back do not hide the way through.
 */
function elkGraph(view: FlowView, texts: Map<string, NodeText>, language: ConsoleLanguage): ElkNode {
  const { graph, counts } = view;
  const grouped = new Map<string, ElkNode>();
  const children: ElkNode[] = [];
  for (const node of graph.nodes) {
    const child: ElkNode = { id: node.id, ...boxOf(texts.get(node.id) as NodeText) };
    if (graph.exits.includes(node.id) || node.id === 'abandoned') child.layoutOptions = { 'elk.layered.layering.layerConstraint': 'LAST_SEPARATE' };
    const group = FLOW_GROUPS.find((g) => g.members(node.id));
    if (!group) {
      children.push(child);
      continue;
    }
    let box = grouped.get(group.id);
    if (!box) {
      const titleWidth = textWidth(msg(language, group.title), LINE.text, true) + PAD_X * 2;
      box = {
        id: group.id,
        children: [],
        layoutOptions: {
          'elk.padding': `[top=${GROUP_TITLE_HEIGHT + 6},left=14,bottom=14,right=14]`,
          'elk.nodeSize.constraints': 'MINIMUM_SIZE',
          'elk.nodeSize.minimum': `(${titleWidth}, 40)`,
        },
      };
      grouped.set(group.id, box);
      children.push(box);
    }
    box.children?.push(child);
  }
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const edges: ElkExtendedEdge[] = graph.edges
    .filter((e) => !graph.exits.includes(e.to))
    .filter((e) => (order.get(e.to) ?? 0) > (order.get(e.from) ?? 0) || (counts.moves[`${e.from}>${e.to}`] ?? 0) > 0)
    .map((e) => {
      const n = counts.moves[`${e.from}>${e.to}`] ?? 0;
      const text = String(n);
      return {
        id: `${e.from}>${e.to}`,
        sources: [e.from],
        targets: [e.to],
        labels: n > 0 ? [{ id: `label:${e.from}>${e.to}`, text, width: textWidth(text, LINE.text, true) + LABEL_PAD * 2, height: LINE_HEIGHT }] : [],
      };
    });
  return {
    id: 'flow',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
      'elk.separateConnectedComponents': 'false',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.edgeNode': '14',
      'elk.spacing.edgeEdge': '10',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.spacing.edgeNodeBetweenLayers': '14',
      'elk.spacing.componentComponent': '36',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
    children,
    edges,
  };
}

const round = (n: number | undefined) => Math.round((n ?? 0) * 10) / 10;

function fillOf(node: FlowNode): string {
  if (node.kind === 'final') return node.outcome === 'password-changed' ? '#dff3e6' : '#f3e9dc';
  return node.kind === 'check' ? '#eef2f6' : '#ffffff';
}

function flatten(node: ElkNode): ElkNode[] {
  return (node.children ?? []).flatMap((child) => [child, ...flatten(child)]);
}

/**
 * The statechart as SVG, laid out by ELK's layered algorithm on the server, in a worker thread (no script in the page): each state a box
 * holding its name in words, the calls that reached it, the drop-off there as a share of those and its exits to an
 * agent; the policy articles grouped; each transition an arrow whose count is a label the layout placed, so no two
 * texts can collide. Code names are in the tooltips.
 */
export async function renderFlowDiagram(view: FlowView, language: ConsoleLanguage): Promise<string> {
  const texts = new Map(view.graph.nodes.map((node) => [node.id, nodeText(view, node, language)]));
  const laid = await layoutOffThread(elkGraph(view, texts, language));
  const nodes = new Map(view.graph.nodes.map((n) => [n.id, n]));
  const placed = flatten(laid);
  const width = Math.ceil(laid.width ?? 0);
  const height = Math.ceil(laid.height ?? 0);

  const groups = placed
    .filter((p) => !nodes.has(p.id))
    .map((p) => {
      const group = FLOW_GROUPS.find((g) => g.id === p.id);
      const title = group ? msg(language, group.title) : p.id;
      return `<g class="group" data-group="${esc(p.id)}"><rect x="${round(p.x)}" y="${round(p.y)}" width="${round(p.width)}" height="${round(p.height)}" rx="8" fill="#f6f8fa" stroke="#9fb3c8" stroke-dasharray="5 3"/>
<text class="group-title" x="${round((p.x ?? 0) + PAD_X)}" y="${round((p.y ?? 0) + 20)}" font-size="${LINE.text}" font-weight="600" fill="#3a4a5c">${esc(title)}</text></g>`;
    })
    .join('\n');

  const edges = (laid.edges ?? [])
    .map((e) => {
      const [from, to] = e.id.split('>');
      const n = view.counts.moves[e.id] ?? 0;
      const source = view.graph.edges.find((g) => g.from === from && g.to === to);
      const points = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
      const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join(' ');
      const label = (e.labels ?? [])
        .map(
          (l) => `<rect class="edge-label-box" x="${round(l.x)}" y="${round(l.y)}" width="${round(l.width)}" height="${round(l.height)}" rx="3" fill="#ffffff" stroke="#c9d3de"/>
<text class="edge-count" x="${round((l.x ?? 0) + (l.width ?? 0) / 2)}" y="${round((l.y ?? 0) + (l.height ?? 0) / 2 + 4)}" font-size="${LINE.text}" font-weight="600" text-anchor="middle" fill="#1d2733">${esc(l.text)}</text>`,
        )
        .join('');
      return `<g class="edge" data-from="${esc(from)}" data-to="${esc(to)}" data-calls="${n}"><title>${esc(from)} → ${esc(to)} (${esc(source?.events.join(', ') ?? '')}): ${n}</title>
<path d="${d}" fill="none" stroke="${n > 0 ? '#1f5fa8' : '#b8c2cc'}" stroke-width="${n > 0 ? 1.6 : 1}"${n > 0 ? '' : ' stroke-dasharray="4 3"'} marker-end="url(#arrow)"/>${label}</g>`;
    })
    .join('\n');

  const boxes = placed
    .filter((p) => nodes.has(p.id))
    .map((p) => {
      const node = nodes.get(p.id) as FlowNode;
      const text = texts.get(p.id) as NodeText;
      const x = p.x ?? 0;
      const y = p.y ?? 0;
      const cx = round(x + (p.width ?? 0) / 2);
      const lines = text.lines
        .map(
          (l, i) =>
            `<text class="${l.className}" x="${cx}" y="${round(y + PAD_Y + i * LINE_HEIGHT + 12)}" font-size="${l.size}"${l.bold ? ' font-weight="600"' : ''} text-anchor="middle" fill="${l.className === 'state-label' ? '#1d2733' : l.className === 'state-count' ? '#5b6776' : '#a8321f'}">${esc(l.text)}</text>`,
        )
        .join('');
      const tooltip = `${node.id} (${node.kind})${node.prompts.length ? `: ${node.prompts.join(', ')}` : ''}`;
      return `<g class="state" data-state="${esc(node.id)}" data-calls="${text.reached}" data-drop-off="${text.dropOff}" data-drop-share="${text.dropShare.toFixed(4)}"><title>${esc(tooltip)}</title>
<rect x="${round(x)}" y="${round(y)}" width="${round(p.width)}" height="${round(p.height)}" rx="${node.kind === 'check' ? 16 : 5}" fill="${fillOf(node)}" stroke="${text.reached > 0 ? '#1f5fa8' : '#b8c2cc'}" stroke-width="${node.kind === 'final' ? 2 : 1}"/>${lines}</g>`;
    })
    .join('\n');

  return `<svg xmlns="http://www.w3.org/2000/svg" class="flow" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="${esc(FONT)}" role="img" aria-label="${esc(msg(language, 'flow.diagramLabel'))}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6776"/></marker></defs>
${groups}
${edges}
${boxes}
</svg>`;
}
