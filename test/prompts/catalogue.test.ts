import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyStateNode } from 'xstate';
import { callMachine, type StateMeta } from '../../flows/call.machine.ts';
import { CONFIGURED_VALUES, LANGUAGES, PROMPTS, type PromptEntry } from '../../prompts/catalogue.ts';
import type { WeakPinReason } from '../../src/domain/new-pin.policy.ts';
import { RENDERER_PROMPTS } from '../../src/twiml/call-response.renderer.ts';

/**
 * The prompt catalogue is the single source of what callers hear: complete in both languages, every id the
 * flow names exists, nothing is dead, menus are phrased one choice per sentence and both languages offer the
 * same keys.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const machineSource = readFileSync(path.join(repoRoot, 'flows', 'call.machine.ts'), 'utf8');
const rendererSource = readFileSync(path.join(repoRoot, 'src', 'twiml', 'call-response.renderer.ts'), 'utf8');
const pinPolicySource = readFileSync(path.join(repoRoot, 'src', 'domain', 'new-pin.policy.ts'), 'utf8');

const catalogue: Record<string, PromptEntry> = PROMPTS;
const catalogueIds = Object.keys(catalogue);
const isPromptId = (id: string): boolean => Object.hasOwn(catalogue, id);

/** Every reason a new PIN is refused; a Record so that the compiler notices a reason added or removed. */
const WEAK_PIN_REASONS: Record<WeakPinReason, true> = {
  format: true,
  'all-same': true,
  sequence: true,
  pattern: true,
  keypad: true,
  common: true,
  'birth-date': true,
  'id-tail': true,
  'mobile-tail': true,
  'same-as-current': true,
};
const weakPinIds = Object.keys(WEAK_PIN_REASONS).map((reason) => `pin.weak.${reason}`);

/** The prompts every state's meta plays. */
function metaPromptIds(): Map<string, string[]> {
  const byState = new Map<string, string[]>();
  const walk = (node: AnyStateNode) => {
    const meta = node.meta as StateMeta | undefined;
    if (meta && Array.isArray(meta.prompts)) byState.set(node.id, [...meta.prompts]);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(callMachine.root);
  return byState;
}

const quotedStrings = (source: string): string[] => [...source.matchAll(/'([^'\n\\]*)'|"([^"\n\\]*)"/g)].map((m) => m[1] ?? m[2]);

/** Ids the machine assigns as notices: the elements of every `[...] as PromptId[]` array in its source. */
function noticeIdsInMachine(): { ids: string[]; unresolved: string[] } {
  const ids: string[] = [];
  const unresolved: string[] = [];
  for (const [, body] of machineSource.matchAll(/\[([^[\]]*)\]\s*as\s*PromptId\[\]/g)) {
    ids.push(...quotedStrings(body));
    for (const [template, prefix] of body.matchAll(/`([^`$]*)\$\{[^`]*`/g)) {
      if (prefix === 'pin.weak.') ids.push(...weakPinIds);
      else unresolved.push(template);
    }
  }
  return { ids, unresolved };
}

/** Keys a prompt offers, as `0`–`9` and `*`. */
function englishKeys(text: string): Set<string> {
  return new Set([...text.matchAll(/\bpress (?:the )?(\d|star)\b/gi)].map((m) => (m[1].toLowerCase() === 'star' ? '*' : m[1])));
}
function chineseKeys(text: string): Set<string> {
  return new Set([...text.matchAll(/按\s*(\d|星号|\*)/g)].map((m) => (/\d/.test(m[1]) ? m[1] : '*')));
}
const sorted = (keys: Set<string>): string[] => [...keys].sort();

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const placeholders = (text: string): string[] => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
const KNOWN_PLACEHOLDERS: readonly string[] = CONFIGURED_VALUES;
const CJK = /[\u4e00-\u9fff]/;

describe('prompt catalogue', () => {
  it('every prompt has non-empty text in Mandarin (Chinese characters) and in English (no Chinese characters)', () => {
    expect(catalogueIds.length).to.be.greaterThan(0);
    const problems: string[] = [];
    for (const id of catalogueIds) {
      for (const language of LANGUAGES) {
        const text = catalogue[id][language];
        if (typeof text !== 'string' || text.trim() === '') problems.push(`${id}: no ${language} text`);
      }
      if (!CJK.test(catalogue[id]['zh-CN'] ?? '')) problems.push(`${id}: zh-CN text is not Chinese`);
      if (CJK.test(catalogue[id]['en-US'] ?? '')) problems.push(`${id}: en-US text holds Chinese characters`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('the weak-PIN reasons in the test match the WeakPinReason type in the source', () => {
    const declared = /export type WeakPinReason\s*=([^;]+);/.exec(pinPolicySource);
    expect(declared, 'WeakPinReason declaration').to.not.equal(null);
    expect(quotedStrings(declared?.[1] ?? '').sort()).to.deep.equal(Object.keys(WEAK_PIN_REASONS).sort());
  });

  it('every prompt id a state plays exists', () => {
    const missing = [...metaPromptIds()].flatMap(([state, ids]) => ids.filter((id) => !isPromptId(id)).map((id) => `${state}: ${id}`));
    expect(missing).to.deep.equal([]);
  });

  it('every notice id the machine assigns exists, pin.weak.<reason> for every WeakPinReason included', () => {
    const { ids, unresolved } = noticeIdsInMachine();
    expect(unresolved, 'notice templates the test cannot expand').to.deep.equal([]);
    expect(ids).to.include.members(['input.invalid', 'input.none', ...weakPinIds]);
    expect(ids.filter((id) => !isPromptId(id))).to.deep.equal([]);
  });

  it('every dotted prompt-like id quoted in the machine source exists', () => {
    const dotted = quotedStrings(machineSource).filter((s) => /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/.test(s));
    expect(dotted.length).to.be.greaterThan(0);
    expect([...new Set(dotted)].filter((id) => !isPromptId(id))).to.deep.equal([]);
  });

  it('every prompt id the renderer names exists and is declared in RENDERER_PROMPTS', () => {
    const named = [...rendererSource.matchAll(/voice\(\s*\w+,\s*\w+,\s*'([^']+)'/g)].map((m) => m[1]);
    expect(named).to.include.members(['trouble.apology', 'agent.transfer', 'goodbye', 'agent.busy']);
    expect(named.filter((id) => !isPromptId(id))).to.deep.equal([]);
    expect([...new Set(named)].sort()).to.deep.equal([...RENDERER_PROMPTS].sort());
  });

  it('every catalogue entry is used by a state, as a notice, or by the renderer', () => {
    const used = new Set<string>([
      ...[...metaPromptIds().values()].flat(),
      ...noticeIdsInMachine().ids,
      ...weakPinIds,
      ...quotedStrings(machineSource).filter(isPromptId),
      ...RENDERER_PROMPTS,
    ]);
    expect(catalogueIds.filter((id) => !used.has(id)), 'unused prompts').to.deep.equal([]);
  });

  it('English prompts phrase each choice with the action before the key ("To/For/If …, press N.") and one choice per sentence', () => {
    const problems: string[] = [];
    for (const id of catalogueIds) {
      for (const sentence of sentences(catalogue[id]['en-US'])) {
        if (englishKeys(sentence).size === 0) continue;
        const presses = sentence.match(/\bpress\b/gi)?.length ?? 0;
        if (presses !== 1) problems.push(`${id}: ${presses} "press" in one sentence: "${sentence}"`);
        else if (!/^(To|For|If) .+, press (\d|star)\b/.test(sentence)) problems.push(`${id}: not "To/For/If …, press N.": "${sentence}"`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('each prompt offers the same keys in Mandarin (按N) as in English (press N)', () => {
    const problems: string[] = [];
    for (const id of catalogueIds) {
      const entry = catalogue[id];
      const zh = chineseKeys(entry['zh-CN']);
      const en = englishKeys(entry['en-US']);
      if (entry.bilingual) {
        // Played in both languages one after the other: each language names its own key, never the other's.
        const shared = sorted(zh).filter((key) => en.has(key));
        if (zh.size === 0 || en.size === 0 || shared.length > 0) problems.push(`${id} (bilingual): zh ${sorted(zh)} vs en ${sorted(en)}`);
      } else if (sorted(zh).join() !== sorted(en).join()) {
        problems.push(`${id}: zh-CN offers [${sorted(zh)}], en-US offers [${sorted(en)}]`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('placeholders appear in both languages of the same prompt, and only ones the line fills in (configured, or declared per call)', () => {
    const problems: string[] = [];
    for (const id of catalogueIds) {
      const zh = placeholders(catalogue[id]['zh-CN']);
      const en = placeholders(catalogue[id]['en-US']);
      if (zh.join() !== en.join()) problems.push(`${id}: zh-CN {${zh}} vs en-US {${en}}`);
      const perCall = Object.keys(catalogue[id].perCall ?? {});
      for (const name of new Set([...zh, ...en])) if (!KNOWN_PLACEHOLDERS.includes(name) && !perCall.includes(name)) problems.push(`${id}: unknown placeholder {${name}}`);
    }
    expect(problems).to.deep.equal([]);
    expect(catalogueIds.flatMap((id) => placeholders(catalogue[id]['en-US']))).to.include.members(KNOWN_PLACEHOLDERS);
  });
});
