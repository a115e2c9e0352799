import { XMLValidator } from 'fast-xml-parser';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyStateNode } from 'xstate';
import { callMachine, type StateMeta } from '../flows/call.machine.ts';
import { RENDERER_PROMPTS } from '../src/twiml/call-response.renderer.ts';
import { CONFIGURED_VALUES, isSsml, LANGUAGES, ssmlToText, type PromptEntry } from './catalogue.ts';

/** One place a prompt id is used: the id, and where (a state, the machine's notices, the renderer). */
export interface PromptUse {
  id: string;
  where: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROMPT_LIKE = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;
const quotedStrings = (source: string): string[] => [...source.matchAll(/'([^'\n\\]*)'|"([^"\n\\]*)"/g)].map((m) => m[1] ?? m[2]);

/**
 * Every prompt id the line can play: each state's `meta.prompts`, every dotted prompt id quoted in the machine
 * (notices such as `code.wrong`), `pin.weak.<reason>` for each WeakPinReason, and the renderer's own prompts.
 */
export function promptUsage(sources: { machine?: string; pinPolicy?: string } = {}): PromptUse[] {
  const machine = sources.machine ?? readFileSync(path.join(repoRoot, 'flows', 'call.machine.ts'), 'utf8');
  const pinPolicy = sources.pinPolicy ?? readFileSync(path.join(repoRoot, 'src', 'domain', 'new-pin.policy.ts'), 'utf8');
  const uses: PromptUse[] = [];
  const walk = (node: AnyStateNode) => {
    const meta = node.meta as StateMeta | undefined;
    if (meta && Array.isArray(meta.prompts)) for (const id of meta.prompts) uses.push({ id, where: `state ${node.id}` });
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(callMachine.root);
  for (const text of quotedStrings(machine)) if (PROMPT_LIKE.test(text)) uses.push({ id: text, where: 'flows/call.machine.ts' });
  // Notices built from a template (`[`pin.weak.${reason}`] as PromptId[]`): expanded from the type they range over.
  for (const [, body] of machine.matchAll(/\[([^[\]]*)\]\s*as\s*Prompt(?:Id|Ref)\[\]/g)) {
    for (const [template, prefix] of body.matchAll(/`([^`$]*)\$\{[^`]*`/g)) {
      if (prefix !== 'pin.weak.') throw new Error(`prompt check cannot expand the notice template ${template} in the machine`);
      const declared = /export type WeakPinReason\s*=([^;]+);/.exec(pinPolicy);
      if (!declared) throw new Error('WeakPinReason not found in src/domain/new-pin.policy.ts');
      for (const reason of quotedStrings(declared[1])) uses.push({ id: `${prefix}${reason}`, where: 'flows/call.machine.ts (WeakPinReason)' });
    }
  }
  for (const id of RENDERER_PROMPTS) uses.push({ id, where: 'src/twiml/call-response.renderer.ts' });
  return uses;
}

/** Why an SSML text is not usable, or null: well-formed XML with a `<speak>` root and some words. */
export function ssmlProblem(ssml: string): string | null {
  const result = XMLValidator.validate(ssml);
  if (result !== true) return `SSML is not well-formed: ${result.err.msg} (line ${result.err.line}, column ${result.err.col})`;
  if (!/^\s*<speak[\s>][\s\S]*<\/speak>\s*$/.test(ssml)) return 'SSML must be one <speak>…</speak> element';
  if (ssmlToText(ssml) === '') return 'SSML has no words';
  return null;
}

const placeholdersOf = (text: string): string[] => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

/**
 * Checks a catalogue against the ids the line uses: a used id missing (or empty) in any language, a prompt
 * nobody uses, an SSML text that is not well-formed, markup outside a `<speak>` document, or a `{placeholder}`
 * that is neither a configured value nor one of the prompt's declared per-call values (or that only one language
 * has). Empty means fine.
 */
export function checkPrompts(catalogue: Record<string, Partial<PromptEntry>>, uses: PromptUse[]): string[] {
  const problems: string[] = [];
  const usedIds = new Set(uses.map((use) => use.id));
  for (const id of usedIds) {
    if (!Object.hasOwn(catalogue, id)) {
      const where = [...new Set(uses.filter((use) => use.id === id).map((use) => use.where))].join(', ');
      problems.push(`${id}: used by ${where} but missing from the catalogue`);
    }
  }
  const configured: readonly string[] = CONFIGURED_VALUES;
  for (const [id, entry] of Object.entries(catalogue)) {
    if (!usedIds.has(id)) problems.push(`${id}: unused (no state, notice or renderer plays it)`);
    const named = LANGUAGES.map((language) => placeholdersOf(entry[language] ?? ''));
    if (named[0].join() !== named[1].join()) problems.push(`${id}: placeholders differ between languages ({${named[0].join(', ')}} / {${named[1].join(', ')}})`);
    for (const name of new Set(named.flat())) {
      if (!configured.includes(name) && !(entry.perCall && name in entry.perCall)) problems.push(`${id}: {${name}} is neither a configured value nor declared in perCall`);
    }
    for (const name of Object.keys(entry.perCall ?? {})) if (!named.flat().includes(name)) problems.push(`${id}: per-call value ${name} is declared but never said`);
    for (const language of LANGUAGES) {
      const text = entry[language];
      if (typeof text !== 'string' || text.trim() === '') {
        problems.push(`${id}: missing in ${language}`);
        continue;
      }
      if (isSsml(text)) {
        const problem = ssmlProblem(text);
        if (problem) problems.push(`${id} (${language}): ${problem}`);
      } else if (/<\/?[A-Za-z][^>]*>/.test(text)) {
        problems.push(`${id} (${language}): has markup but is not an SSML <speak> document`);
      }
    }
  }
  return problems;
}
