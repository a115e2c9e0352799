import twilio from 'twilio';
import type { GatherTimer, StateMeta } from '../../flows/call.machine.ts';
import { VOICES, type Language, type PromptId, type PromptParams, type PromptRef } from '../../prompts/catalogue.ts';
import { voicePrompt, voicePrompts, type AudioRule, type VoicedPrompt } from '../services/prompt-voicing.ts';

const { VoiceResponse } = twilio.twiml;
type Node = { say: InstanceType<typeof VoiceResponse>['say']; play: InstanceType<typeof VoiceResponse>['play'] };
type SayAttributes = NonNullable<Parameters<Node['say']>[0]> & object;

/** The default `<Say>` voice and language for each language the line speaks. */
export const SAY_VOICES: Record<Language, { language: 'cmn-CN' | 'en-US'; voice: string }> = {
  'zh-CN': { language: VOICES['zh-CN'].languageCode, voice: VOICES['zh-CN'].say },
  'en-US': { language: VOICES['en-US'].languageCode, voice: VOICES['en-US'].say },
};

/** How prompts are voiced: pre-built audio where it is current (`<Play>`), otherwise `<Say>` with these voices. */
export interface Speech {
  sayVoices: Record<Language, string>;
  /** The URL of a prompt's current audio, or null (no audio, audio disabled, or built from other words). */
  audioUrl: AudioRule;
}

/** `<Say>` only, with the default voices. */
export const SAY_ONLY: Speech = {
  sayVoices: { 'zh-CN': SAY_VOICES['zh-CN'].voice, 'en-US': SAY_VOICES['en-US'].voice },
  audioUrl: () => null,
};

/** The prompts the renderer plays on its own (outside any state's meta). */
export const RENDERER_PROMPTS = ['trouble.apology', 'goodbye', 'agent.transfer', 'agent.busy'] as const satisfies readonly PromptId[];

/** Adds voiced prompts to a TwiML node: `<Play>` of current audio, else `<Say>` in the language's voice. */
function utter(node: Node, speech: Speech, prompts: VoicedPrompt[]): void {
  for (const prompt of prompts) {
    if (prompt.kind === 'play') node.play(prompt.url);
    else node.say({ language: VOICES[prompt.language].languageCode, voice: speech.sayVoices[prompt.language] as SayAttributes['voice'] }, prompt.text);
  }
}

/** One prompt in one language (see `voicePrompt`: a prompt with per-call values is always said). */
function voice(node: Node, speech: Speech, ref: PromptRef, language: Language, params: PromptParams = {}): void {
  utter(node, speech, [voicePrompt(ref, language, params, speech.audioUrl)]);
}

/** What the renderer needs besides the state: where gathers post, how long each kind of gather waits, whom to dial. */
export interface RenderOptions {
  language: Language;
  step: number;
  /** Seconds of each timer a state's `meta.gather.timer` names. */
  timeouts: Readonly<Record<GatherTimer, number>>;
  agentNumber: string;
  params: PromptParams;
  /** Speak both languages (the caller has not chosen one yet). */
  bilingual?: boolean;
  /** Audio and voices; `<Say>` with the default voices when absent. */
  speech?: Speech;
}

function speak(node: Node, speech: Speech, refs: PromptRef[], options: RenderOptions): void {
  utter(node, speech, voicePrompts(refs, { language: options.language, bilingual: options.bilingual ?? false, params: options.params, audioUrl: speech.audioUrl }));
}

/** `<Dial>` to the agent; with a step, its result comes back as a turn of the call (`DIAL_RESULT`), else to the stateless route. */
function dial(response: InstanceType<typeof VoiceResponse>, language: Language, agentNumber: string, step?: number): void {
  const action = step === undefined ? `/voice/dial-done?lang=${language}` : `/voice/dial-done?step=${step}&lang=${language}`;
  response.dial({ timeout: 30, action, method: 'POST' }, agentNumber);
}

/**
 * Turns a state's meta (and any notice) into TwiML: in a gathering state every prompt, notices included, is
 * nested in the `<Gather>` so a key pressed during any of them acts at once; otherwise the prompts, then
 * `<Dial>` or `<Hangup>`.
 */
export function renderState(meta: StateMeta, notice: PromptRef[], options: RenderOptions): string {
  const response = new VoiceResponse();
  const speech = options.speech ?? SAY_ONLY;
  if (meta.gather) {
    const gather = response.gather({
      input: ['dtmf'],
      action: `/voice/gather?step=${options.step}&lang=${options.language}`,
      method: 'POST',
      timeout: options.timeouts[meta.gather.timer],
      actionOnEmptyResult: true,
      ...(meta.gather.kind === 'menu' ? { numDigits: 1, finishOnKey: '' } : { finishOnKey: '#' }),
    });
    speak(gather, speech, [...notice, ...meta.prompts], options);
    return response.toString();
  }
  speak(response, speech, [...notice, ...meta.prompts], options);
  if (meta.end === 'dial') dial(response, options.language, options.agentNumber, options.step);
  else response.hangup();
  return response.toString();
}

/** The apology when a turn cannot be served: offer an agent (key 0) through a stateless route, else goodbye. */
export function renderApology(language: Language | 'both', speech: Speech = SAY_ONLY): string {
  const response = new VoiceResponse();
  const languages: Language[] = language === 'both' ? ['zh-CN', 'en-US'] : [language];
  const gather = response.gather({
    input: ['dtmf'],
    numDigits: 1,
    timeout: 5,
    action: `/voice/recover?lang=${languages[0]}`,
    method: 'POST',
  });
  for (const lang of languages) voice(gather, speech, 'trouble.apology', lang);
  for (const lang of languages) voice(response, speech, 'goodbye', lang);
  response.hangup();
  return response.toString();
}

/** The answer on the stateless recovery route: an agent for 0, otherwise goodbye. */
export function renderRecovery(language: Language, digits: string, agentNumber: string, speech: Speech = SAY_ONLY): string {
  const response = new VoiceResponse();
  if (digits === '0') {
    voice(response, speech, 'agent.transfer', language);
    dial(response, language, agentNumber);
  } else {
    voice(response, speech, 'goodbye', language);
    response.hangup();
  }
  return response.toString();
}

/** After the agent's line: nothing more if the agent answered, otherwise say they are busy and hang up. */
export function renderDialDone(language: Language, answered: boolean, speech: Speech = SAY_ONLY): string {
  const response = new VoiceResponse();
  if (!answered) voice(response, speech, 'agent.busy', language);
  response.hangup();
  return response.toString();
}

/** What a turn answers with, as the carrier-neutral turn service returns it. */
export type TurnAnswerToRender = { kind: 'state'; view: { meta: StateMeta; notice: string[]; language: string; bilingual: boolean }; step: number } | { kind: 'apology'; language: Language | 'both' };

/** Renders a turn's answer as TwiML: the state (prompts, gather posting its step, dial or hang-up), or the apology. */
export function renderAnswer(answer: TurnAnswerToRender, options: Omit<RenderOptions, 'language' | 'step' | 'bilingual'>): string {
  if (answer.kind === 'apology') return renderApology(answer.language, options.speech);
  const { view } = answer;
  return renderState(view.meta, view.notice as PromptId[], { ...options, language: view.language as Language, step: answer.step, bilingual: view.bilingual });
}

/** The step a kept answer is rendered for: its gather's (or dial's) action posts `?step=0&`, which no real answer does. */
const STEP_MARK = `?step=0&amp;`;

/** Answers an adapter keeps rendered (one per view: a state's prompts, notice, language). */
const RENDERED_KEPT = 512;

/**
 * `renderAnswer` with its options bound, keeping the builder's output per view and splicing each answer's step into
 * it: every menu turn renders the same TwiML but for the step its gather posts to, and the builder (twilio's
 * `VoiceResponse` on xmlbuilder) cost about a tenth of a millisecond a turn. A view with per-call values in a prompt
 * (`id?values`) is rendered each time and never kept.
 */
export function answerRenderer(options: Omit<RenderOptions, 'language' | 'step' | 'bilingual'>): (answer: TurnAnswerToRender) => string {
  const kept = new Map<string, string[]>();
  return (answer) => {
    if (answer.kind !== 'state' || answer.step === 0) return renderAnswer(answer, options);
    const { view } = answer;
    if (view.notice.some((ref) => ref.includes('?')) || view.meta.prompts.some((ref) => ref.includes('?'))) return renderAnswer(answer, options);
    const key = JSON.stringify([view.meta, view.notice, view.language, view.bilingual]);
    let parts = kept.get(key);
    if (!parts) {
      parts = renderAnswer({ ...answer, step: 0 }, options).split(STEP_MARK);
      if (parts.length > 2) return renderAnswer(answer, options);
      kept.set(key, parts);
      if (kept.size > RENDERED_KEPT) kept.delete(kept.keys().next().value as string);
    }
    // One part: an answer that posts nowhere (prompts, then hang up) is the same at every step.
    return parts.length === 1 ? parts[0] : `${parts[0]}?step=${answer.step}&amp;${parts[1]}`;
  };
}
