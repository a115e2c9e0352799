import { createActor, fromPromise, waitFor } from 'xstate';
import {
  callMachine,
  type CallbackInput,
  type CallbackResult,
  type CallEvent,
  type IdentifyResult,
  type ScreenResult,
  type VerificationChannel,
  type VerifyResult,
} from '../../flows/call.machine.ts';
import { LANGUAGES, parsePromptRef, perCallOf, PROMPTS, refText, type Language, type PromptId, type PromptParams, type PromptRef } from '../../prompts/catalogue.ts';
import { currentMeta, stateName } from './call-turn.service.ts';
import type { PromptAudio } from './prompt-audio.service.ts';

/** Speaking rates for prompts without audio: Mandarin characters (digits count as one) and English words per second. */
export const SPEAKING_RATE: Record<Language, { perSecond: number; unit: string }> = {
  'zh-CN': { perSecond: 4, unit: 'characters' },
  'en-US': { perSecond: 2.5, unit: 'words' },
};

/** Seconds a text takes at the speaking rate: Mandarin counts characters (not punctuation), English counts words. */
export function estimateSeconds(text: string, language: Language): number {
  const units = language === 'zh-CN' ? (text.match(/[\p{L}\p{N}]/gu) ?? []).length : text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  return units / SPEAKING_RATE[language].perSecond;
}

/** How long one prompt takes in one language, and whether that is measured from its audio or estimated. */
export interface PromptTiming {
  id: PromptId;
  lang: Language;
  seconds: number;
  from: 'audio' | 'estimate';
}

/** Stand-ins for per-call values when a prompt that has them is timed without a call (`{entered}` as 12, `{last4}` as 002X). */
const SAMPLE_VALUES = { number: '12', characters: '002X' } as const;

/** A prompt with sample per-call values, as the report times it. */
function sampleRef(id: PromptId): PromptRef {
  const values = Object.entries(perCallOf(id)).map(([name, as]) => [name, SAMPLE_VALUES[as]]);
  return values.length === 0 ? id : (`${id}?${new URLSearchParams(values).toString()}` as PromptRef);
}

/**
 * Every prompt's speaking time in both languages: the built audio's length where current, else the estimate
 * (a prompt with per-call values is never built, and is estimated with sample values).
 */
export function promptTimings(audio: PromptAudio, params: PromptParams): PromptTiming[] {
  return (Object.keys(PROMPTS) as PromptId[]).flatMap((id) =>
    LANGUAGES.map((lang): PromptTiming => {
      const built = audio.current(id, lang, params);
      return built
        ? { id, lang, seconds: built.seconds, from: 'audio' }
        : { id, lang, seconds: estimateSeconds(refText(sampleRef(id), lang, params), lang), from: 'estimate' };
    }),
  );
}

/** A caller's path through the menu: the keys pressed (entries without the final `#`), or a line event such as the agent's line being busy. */
export interface JourneyScript {
  name: string;
  keys: Array<string | CallEvent>;
}

/** One answer the caller hears on a journey: the state and the prompts played, in order. */
export interface JourneyStep {
  state: string;
  prompts: { id: PromptId; lang: Language }[];
}

/** The most a journey of a reset by SMS may take to hear, per language (the targets; a test holds the catalogue to them). */
export const RESET_BY_SMS_TARGET_SECONDS: Readonly<Record<Language, number>> = { 'zh-CN': 60, 'en-US': 70 };

const ID = '440524188001010014';
const NEW_PIN = '582039';

const BUSY: CallEvent = { type: 'DIAL_RESULT', status: 'busy', callerReachable: true };

/** The journeys the report times; the first two are the happy path of a password reset by SMS, in each language. */
export const JOURNEYS: JourneyScript[] = [
  { name: 'Reset a forgotten password, code by SMS (Mandarin)', keys: ['1', '1', ID, '1', '123456', NEW_PIN, NEW_PIN] },
  { name: 'Reset a forgotten password, code by SMS (English)', keys: ['2', '1', ID, '1', '123456', NEW_PIN, NEW_PIN] },
  { name: 'Reset a forgotten password, code by email (Mandarin)', keys: ['1', '1', ID, '2', '123456', NEW_PIN, NEW_PIN] },
  { name: 'Change a known password (Mandarin)', keys: ['1', '2', ID, '271828', NEW_PIN, NEW_PIN] },
  { name: 'No mobile or email: counter guidance (Mandarin)', keys: ['1', '1', ID, '3'] },
  { name: 'Other ways to reset (Mandarin)', keys: ['1', '3'] },
  { name: 'Policy: basic medical insurance (Mandarin)', keys: ['1', '4', '1'] },
  { name: 'Agent from the main menu (Mandarin)', keys: ['1', '0'] },
  { name: 'Agents busy, callback booked (Mandarin)', keys: ['1', '0', BUSY, '1'] },
];

/** An actor that answers the same whatever it is asked. */
const answer = <T, I>(value: T) => fromPromise<T, I>(async () => value);

/** Every service answers "yes": the journey follows the flow's own states and notices along the success path. */
const happyActors = {
  identifyCaller: answer<IdentifyResult, { idNumber: string }>({ idHash: 'h', idMasked: '4405**********0014', citizenId: 'c' }),
  sendCode: answer<void, { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }>(undefined),
  verifyCode: answer<VerifyResult, { idHash: string; code: string }>('ok'),
  verifyCurrentPin: answer<VerifyResult, { idHash: string; citizenId: string | null; pin: string }>('ok'),
  screenNewPin: answer<ScreenResult, { citizenId: string; pin: string; verifiedBy: VerificationChannel | null }>({ ok: true, digest: 'd' }),
  commitNewPin: answer<'saved' | 'mismatch', { citizenId: string; pin: string; firstDigest: string; verifiedBy: VerificationChannel; language: Language }>('saved'),
  queueCallback: answer<CallbackResult, CallbackInput>('queued'),
};

/** Runs a journey through the real statechart and lists what the caller hears at each answer. */
export async function runJourney(script: JourneyScript): Promise<JourneyStep[]> {
  const actor = createActor(callMachine.provide({ actors: happyActors }), { input: {} });
  actor.start();
  const settle = () => waitFor(actor, (s) => s.status === 'done' || s.hasTag('input'), { timeout: 5_000 });
  const heard = (): JourneyStep => {
    const snapshot = actor.getSnapshot();
    const both = !snapshot.context.languageChosen;
    const ids = [...snapshot.context.notice, ...currentMeta(snapshot).prompts].map((ref) => parsePromptRef(ref).id as PromptId);
    const prompts = ids.flatMap((id) =>
      (both || (PROMPTS[id] as { bilingual?: boolean }).bilingual ? LANGUAGES : [snapshot.context.language]).map((lang) => ({ id, lang })),
    );
    return { state: stateName(snapshot), prompts };
  };
  const steps = [heard()];
  try {
    for (const keys of script.keys) {
      if (actor.getSnapshot().status === 'done') throw new Error(`${script.name}: the call ended before ${JSON.stringify(keys)}`);
      actor.send(typeof keys === 'string' ? ({ type: 'DIGITS', digits: keys } satisfies CallEvent) : keys);
      await settle();
      steps.push(heard());
    }
  } finally {
    actor.stop();
  }
  return steps;
}

/** Seconds of one journey step from the timings. */
export function stepSeconds(step: JourneyStep, timings: PromptTiming[]): number {
  return step.prompts.reduce((sum, p) => sum + (timings.find((t) => t.id === p.id && t.lang === p.lang)?.seconds ?? 0), 0);
}

/** Seconds as the report prints them: ` 55.3 s`. */
export function formatSeconds(value: number): string {
  return `${value.toFixed(1).padStart(5)} s`;
}

/**
 * The journeys section of `prompts:report` (and of the README): every journey's total, marked ≈ when any prompt
 * on it is estimated; the reset by SMS in both languages step by step with its target; and how many targets
 * were missed.
 */
export async function journeyReport(timings: PromptTiming[]): Promise<{ lines: string[]; missed: number }> {
  const lines: string[] = [];
  let missed = 0;
  const estimate = (p: { id: PromptId; lang: Language }) => timings.find((t) => t.id === p.id && t.lang === p.lang)?.from === 'estimate';
  for (const [index, journey] of JOURNEYS.entries()) {
    const steps = await runJourney(journey);
    const total = steps.reduce((sum, step) => sum + stepSeconds(step, timings), 0);
    const estimated = steps.some((step) => step.prompts.some(estimate));
    // The first two journeys are the reset by SMS in Mandarin and in English, each with its target.
    const target = index < 2 ? RESET_BY_SMS_TARGET_SECONDS[index === 0 ? 'zh-CN' : 'en-US'] : null;
    if (target !== null && total > target) missed += 1;
    const verdict = target === null ? '' : total <= target ? `  (target ≤ ${target} s: met)` : `  (target ≤ ${target} s: MISSED)`;
    lines.push(`${formatSeconds(total)}${estimated ? ' ≈' : '  '}  ${journey.name}${verdict}`);
    if (index >= 2) continue;
    for (const step of steps) {
      const heard = step.prompts.map((p) => (step.prompts.some((q) => q.id === p.id && q.lang !== p.lang) ? `${p.id} (${p.lang})` : p.id)).join(', ');
      lines.push(`          ${formatSeconds(stepSeconds(step, timings))}  ${step.state.padEnd(18)} ${heard}`);
    }
  }
  return { lines, missed };
}
