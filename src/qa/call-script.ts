import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { PROMPTS, type Language, type PromptId } from '../../prompts/catalogue.ts';
import { citizenRecord } from '../services/citizen-seed.service.ts';

/** How a call may end, as a script names it (the call's recorded outcome). */
export const ENDINGS = ['password-changed', 'transferred', 'agent-unavailable', 'callback-requested', 'goodbye', 'no-input', 'verification-failed', 'locked', 'abandoned'] as const;

/** One of the endings a script can expect. */
export type Ending = (typeof ENDINGS)[number];

/**
 * What the agent line does when the call is put through (`<Dial>`): the `DialCallStatus` the replayer reports, or
 * `caller-hangs-up` (the caller hangs up while it rings: only the status callback follows).
 */
export type AgentBehaviour = 'answered' | 'busy' | 'no-answer' | 'caller-hangs-up';

const AGENT_BEHAVIOURS = ['answered', 'busy', 'no-answer', 'caller-hangs-up'] as const;

/** What a script checks was said: a prompt id (in the call's language), a piece of text, or a pattern. */
export type Expectation = { prompt: PromptId } | { text: string } | { regex: RegExp };

/** One step of a scripted call, with the line it came from. */
export type ScriptStep = { line: number } & (
  | { kind: 'expect'; expect: Expectation }
  | { kind: 'press'; keys: string }
  | { kind: 'silence' }
  | { kind: 'code'; to: string; wrong: boolean }
  | { kind: 'hangup' }
);

/** One call of a script. */
export interface ScriptCall {
  caller: string;
  language: Language;
  /** What the agent line does at each `<Dial>` of the call, in order (the last one repeats). */
  agent: AgentBehaviour[];
  steps: ScriptStep[];
  end?: { outcome: Ending; line: number };
  line: number;
}

/** A citizen a script needs, loaded (and its card's failures, lock and codes reset) before it runs. */
export type ScriptCitizen = z.infer<typeof citizenRecord> & { failedVerifications?: number };

/** A parsed call script: who must exist, then one or more calls in order. */
export interface CallScript {
  file: string;
  name: string;
  citizens: ScriptCitizen[];
  calls: ScriptCall[];
}

/** A script that cannot be used, with the file, line and reason (never a stack trace). */
export class ScriptError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ScriptError';
  }
}

const PLACEHOLDER = /^<[A-Z][A-Z0-9_]*>$/;
const phoneOrEmail = z.string().regex(/^(\+?[0-9]{3,15}|[^\s@]+@[^\s@]+\.[^\s@]+)$/, 'must be a phone number (+8613800138000) or an email address');
const blankToUndefined = (v: unknown) => (typeof v === 'string' && ['', '~', 'null'].includes(v.trim()) ? undefined : v);

const citizenSchema = citizenRecord
  .extend({
    mobile: z.preprocess(blankToUndefined, citizenRecord.shape.mobile),
    email: z.preprocess(blankToUndefined, citizenRecord.shape.email),
    failedVerifications: z.coerce.number().int().min(0).max(50).optional(),
  })
  .strict();

const callFields = {
  caller: z.string().regex(/^\+?[0-9]{3,15}$/, 'must be the caller number, e.g. "+8613800000101"').optional(),
  language: z.enum(['zh-CN', 'en-US']).optional(),
  agent: z
    .union([z.enum(AGENT_BEHAVIOURS), z.array(z.enum(AGENT_BEHAVIOURS)).min(1)], { message: `must be one of ${AGENT_BEHAVIOURS.join(', ')}, or a list of them (one per transfer)` })
    .optional(),
  steps: z.unknown().optional(),
  end: z.enum(ENDINGS, { message: `must be one of ${ENDINGS.join(', ')}` }).optional(),
};

const scriptSchema = z
  .object({
    name: z.string().min(1).optional(),
    citizens: z.array(citizenSchema).optional(),
    calls: z.array(z.object(callFields).strict()).min(1).optional(),
    ...callFields,
  })
  .strict();

const STEP_NAMES = ['expect', 'press', 'silence', 'code', 'wrong-code', 'hangup'];

/** Parses a script's YAML text; every problem is a ScriptError naming the file, line and reason. */
export function parseCallScript(text: string, file: string): CallScript {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, schema: 'failsafe', prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = error.linePos?.[0]?.line ?? lines.linePos(error.pos[0]).line;
    throw new ScriptError(file, line, `malformed YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const lineOf = (node: unknown): number => {
    const range = (node as YamlNode | undefined)?.range;
    return range ? lines.linePos(range[0]).line : 1;
  };
  if (!isMap(doc.contents)) throw new ScriptError(file, lineOf(doc.contents), 'a script is a mapping with caller, citizens, steps and end (or calls)');
  const raw = doc.toJS() as Record<string, unknown>;
  const parsed = scriptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const line = nodeLine(doc, at, lineOf);
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    const reason = issue.code === 'unrecognized_keys' ? `unknown field '${issue.keys[0]}'` : issue.message;
    throw new ScriptError(file, line, `${where}${reason}`);
  }
  const s = parsed.data;
  if (s.calls && (s.steps !== undefined || s.end !== undefined)) {
    throw new ScriptError(file, lineOf(doc.get('calls', true)), 'give either steps/end or calls, not both');
  }
  const behaviours = (agent: AgentBehaviour | AgentBehaviour[] | undefined): AgentBehaviour[] | undefined => (agent === undefined ? undefined : Array.isArray(agent) ? agent : [agent]);
  const defaults = { caller: s.caller, language: s.language ?? 'zh-CN', agent: behaviours(s.agent) ?? ['answered'] };
  const callNodes = s.calls ? (doc.get('calls', true) as { items: unknown[] }).items : [doc.contents];
  const calls = (s.calls ?? [s]).map((c, i): ScriptCall => {
    const node = callNodes[i] as YamlNode;
    const caller = c.caller ?? defaults.caller;
    if (!caller) throw new ScriptError(file, lineOf(node), 'caller: the calling number is required');
    const stepsNode = isMap(node) ? node.get('steps', true) : undefined;
    if (!isSeq(stepsNode) || stepsNode.items.length === 0) throw new ScriptError(file, lineOf(stepsNode ?? node), 'steps: a list of steps is required');
    const endNode = isMap(node) ? node.get('end', true) : undefined;
    return {
      caller,
      language: c.language ?? defaults.language,
      agent: behaviours(c.agent) ?? defaults.agent,
      steps: stepsNode.items.map((item) => parseStep(item, file, lineOf)),
      end: c.end ? { outcome: c.end, line: lineOf(endNode) } : undefined,
      line: lineOf(node),
    };
  });
  return { file, name: s.name ?? path.basename(file).replace(/\.ya?ml$/, ''), citizens: (s.citizens ?? []) as ScriptCitizen[], calls };
}

function nodeLine(doc: Document, at: PropertyKey[], lineOf: (node: unknown) => number): number {
  for (let n = at.length; n >= 0; n -= 1) {
    const node = doc.getIn(at.slice(0, n) as Array<string | number>, true);
    if (node !== undefined) return lineOf(node);
  }
  return 1;
}

function parseStep(item: unknown, file: string, lineOf: (node: unknown) => number): ScriptStep {
  const line = lineOf(item);
  const fail = (reason: string): never => {
    throw new ScriptError(file, line, reason);
  };
  let name: string;
  let value: unknown;
  let valueNode: unknown;
  if (isScalar(item)) {
    name = String(item.value);
  } else if (isMap(item) && item.items.length === 1 && isScalar(item.items[0].key)) {
    name = String(item.items[0].key.value);
    valueNode = item.items[0].value;
    value = isScalar(valueNode) ? String(valueNode.value) : (valueNode as { toJSON(): unknown } | null)?.toJSON();
  } else {
    return fail(`a step is one of ${STEP_NAMES.join(', ')} (e.g. "- press: 1")`);
  }
  switch (name) {
    case 'silence':
    case 'hangup':
      if (value !== undefined && value !== '') fail(`${name} takes no value`);
      return { kind: name, line };
    case 'press': {
      const keys = typeof value === 'string' ? value.trim() : '';
      if (PLACEHOLDER.test(keys)) fail(`press: fill in the placeholder ${keys} before replaying (the exported call did not record it)`);
      if (!/^[0-9*#]{1,64}$/.test(keys)) fail(`press: keys are digits, * and # (got ${JSON.stringify(value ?? '')})`);
      return { kind: 'press', keys, line };
    }
    case 'code':
    case 'wrong-code': {
      if (typeof value === 'string' && PLACEHOLDER.test(value.trim())) fail(`${name}: fill in the placeholder ${value.trim()} (the address the code was sent to)`);
      const to = phoneOrEmail.safeParse(typeof value === 'string' ? value.trim() : '');
      if (!to.success) fail(`${name}: the address the code was sent to ${to.error?.issues[0].message}`);
      return { kind: 'code', to: to.data!, wrong: name === 'wrong-code', line };
    }
    case 'expect': {
      if (typeof value === 'string') {
        if (!(value in PROMPTS)) fail(`expect: unknown prompt id '${value}' (see prompts/catalogue.ts; use {text: …} for free text)`);
        return { kind: 'expect', expect: { prompt: value as PromptId }, line };
      }
      const spec = value as Record<string, unknown> | undefined;
      if (spec && typeof spec === 'object' && Object.keys(spec).length === 1) {
        if (typeof spec.text === 'string' && spec.text) return { kind: 'expect', expect: { text: spec.text }, line };
        if (typeof spec.regex === 'string' && spec.regex) {
          try {
            return { kind: 'expect', expect: { regex: new RegExp(spec.regex, 'u') }, line };
          } catch (error) {
            return fail(`expect: bad regex: ${(error as Error).message}`);
          }
        }
      }
      return fail('expect: give a prompt id, {text: "…"} or {regex: "…"}');
    }
    default:
      return fail(`unknown step '${name}' (steps are ${STEP_NAMES.join(', ')})`);
  }
}

/** Reads and parses a script file. */
export async function loadCallScript(file: string): Promise<CallScript> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScriptError(file, 0, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseCallScript(text, file);
}
