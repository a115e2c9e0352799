import { createActor, fromPromise, waitFor } from 'xstate';
import { callMachine, type CallEvent, type IdentifyResult, type ScreenResult, type VerificationChannel, type VerifyResult } from '../../flows/call.machine.ts';
import { LANGUAGES, PROMPTS, promptText, type Language, type PromptId, type PromptParams } from '../../prompts/catalogue.ts';
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

/** Every prompt's speaking time in both languages: the built audio's length where current, else the estimate. */
export function promptTimings(audio: PromptAudio, params: PromptParams): PromptTiming[] {
  return (Object.keys(PROMPTS) as PromptId[]).flatMap((id) =>
    LANGUAGES.map((lang): PromptTiming => {
      const built = audio.current(id, lang, params);
      return built
        ? { id, lang, seconds: built.seconds, from: 'audio' }
        : { id, lang, seconds: estimateSeconds(promptText(id, lang, params), lang), from: 'estimate' };
    }),
  );
}

/** A caller's path through the menu: the keys pressed (entries without the final `#`). */
export interface JourneyScript {
  name: string;
  keys: string[];
}

/** One answer the caller hears on a journey: the state and the prompts played, in order. */
export interface JourneyStep {
  state: string;
  prompts: { id: PromptId; lang: Language }[];
}

const ID = '440524188001010014';
const NEW_PIN = '582039';

/** The journeys the report times; the first is the happy path of a password reset by SMS. */
export const JOURNEYS: JourneyScript[] = [
  { name: 'Reset a forgotten password, code by SMS (Mandarin)', keys: ['1', '1', '1', ID, '1', '123456', NEW_PIN, NEW_PIN] },
  { name: 'Reset a forgotten password, code by SMS (English)', keys: ['2', '1', '1', ID, '1', '123456', NEW_PIN, NEW_PIN] },
  { name: 'Reset a forgotten password, code by email (Mandarin)', keys: ['1', '1', '1', ID, '2', '123456', NEW_PIN, NEW_PIN] },
  { name: 'Change a known password (Mandarin)', keys: ['1', '1', '2', ID, '271828', NEW_PIN, NEW_PIN] },
  { name: 'No mobile or email: counter guidance (Mandarin)', keys: ['1', '1', '1', ID, '3'] },
  { name: 'Other ways to reset (Mandarin)', keys: ['1', '2'] },
  { name: 'Policy: basic medical insurance (Mandarin)', keys: ['1', '3', '2'] },
  { name: 'Agent from the main menu (Mandarin)', keys: ['1', '0'] },
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
};

/** Runs a journey through the real statechart and lists what the caller hears at each answer. */
export async function runJourney(script: JourneyScript): Promise<JourneyStep[]> {
  const actor = createActor(callMachine.provide({ actors: happyActors }), { input: {} });
  actor.start();
  const settle = () => waitFor(actor, (s) => s.status === 'done' || s.hasTag('input'), { timeout: 5_000 });
  const heard = (): JourneyStep => {
    const snapshot = actor.getSnapshot();
    const both = !snapshot.context.languageChosen;
    const ids = [...snapshot.context.notice, ...currentMeta(snapshot).prompts];
    const prompts = ids.flatMap((id) =>
      (both || (PROMPTS[id] as { bilingual?: boolean }).bilingual ? LANGUAGES : [snapshot.context.language]).map((lang) => ({ id, lang })),
    );
    return { state: stateName(snapshot), prompts };
  };
  const steps = [heard()];
  try {
    for (const keys of script.keys) {
      if (actor.getSnapshot().status === 'done') throw new Error(`${script.name}: the call ended before key ${keys}`);
      actor.send({ type: 'DIGITS', digits: keys } satisfies CallEvent);
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
