import jambonz, { type JambonzVerb } from '@jambonz/node-client';
import type { GatherSpec, GatherTimer, StateMeta } from '../../flows/call.machine.ts';
import { LANGUAGES, VOICES, type Language, type PromptParams, type PromptRef } from '../../prompts/catalogue.ts';
import type { JambonzSynthesizer } from '../config.ts';
import type { TurnAnswer } from '../services/call-turn.service.ts';
import { voicePrompt, voicePrompts, type AudioRule, type VoicedPrompt } from '../services/prompt-voicing.ts';

const { WebhookResponse } = jambonz;
type Verbs = InstanceType<typeof WebhookResponse>;

/** A jambonz answer: the verbs of the application the call runs next. */
export type JambonzApplication = JambonzVerb[];

/**
 * How long the gather of a prompt that is not the last one listens before the next prompt starts. jambonz nests
 * one `say` (one synthesizer) or one `play` in a gather, so prompts in two voices, or audio and speech, are a row of
 * gathers; the earlier ones time out after this and post `more=1`, answered with nothing (jambonz goes on).
 */
export const SEGMENT_WAIT_SECONDS = 1;

/** How jambonz voices prompts: pre-built audio where it is current (`play`), otherwise `say` with these synthesizers. */
export interface JambonzSpeech {
  synthesizers: Record<Language, JambonzSynthesizer>;
  audioUrl: AudioRule;
}

/** `say` only, with the default synthesizers (Google, the voices the audio is built with). */
export const JAMBONZ_SAY_ONLY: JambonzSpeech = {
  synthesizers: {
    'zh-CN': { vendor: 'google', language: VOICES['zh-CN'].languageCode, voice: VOICES['zh-CN'].tts },
    'en-US': { vendor: 'google', language: VOICES['en-US'].languageCode, voice: VOICES['en-US'].tts },
  },
  audioUrl: () => null,
};

/** What the renderer needs besides the state: where gathers post, how long each kind of gather waits, whom to dial. */
export interface JambonzRenderOptions {
  language: Language;
  step: number;
  /** Seconds of each timer a state's `meta.gather.timer` names. */
  timeouts: Readonly<Record<GatherTimer, number>>;
  agentNumber: string;
  params: PromptParams;
  /** Speak both languages (the caller has not chosen one yet). */
  bilingual?: boolean;
  speech?: JambonzSpeech;
}

/** Prompts jambonz plays as one verb: a run of audio files, or a run of words in one synthesizer's voice. */
type Segment = { kind: 'play'; urls: string[] } | { kind: 'say'; language: Language; texts: string[] };

/** Voiced prompts as jambonz plays them: consecutive audio merges into one `play`, consecutive words of one language into one `say`. */
function segmentsOf(prompts: VoicedPrompt[]): Segment[] {
  const segments: Segment[] = [];
  for (const prompt of prompts) {
    const last = segments[segments.length - 1];
    if (prompt.kind === 'play') {
      if (last?.kind === 'play') last.urls.push(prompt.url);
      else segments.push({ kind: 'play', urls: [prompt.url] });
    } else if (last?.kind === 'say' && last.language === prompt.language) last.texts.push(prompt.text);
    else segments.push({ kind: 'say', language: prompt.language, texts: [prompt.text] });
  }
  return segments;
}

/** A state's prompts in the order jambonz says them: before a language is chosen, all of Mandarin, then all of English (two voices, two gathers). */
function orderedPrompts(refs: PromptRef[], options: JambonzRenderOptions, speech: JambonzSpeech): VoicedPrompt[] {
  const bilingual = options.bilingual ?? false;
  const prompts = voicePrompts(refs, { language: options.language, bilingual, params: options.params, audioUrl: speech.audioUrl });
  return bilingual ? LANGUAGES.flatMap((language) => prompts.filter((p) => p.language === language)) : prompts;
}

/** One segment as the properties of a `play` or `say` verb (a list only when there are several). */
function promptVerb(segment: Segment, speech: JambonzSpeech): ['play' | 'say', Record<string, unknown>] {
  if (segment.kind === 'play') return ['play', { url: segment.urls.length === 1 ? segment.urls[0] : segment.urls }];
  return ['say', { text: segment.texts.length === 1 ? segment.texts[0] : segment.texts, synthesizer: { ...speech.synthesizers[segment.language] } }];
}

function addPrompts(response: Verbs, segments: Segment[], speech: JambonzSpeech): void {
  for (const segment of segments) {
    const [verb, payload] = promptVerb(segment, speech);
    response.addVerb(verb, payload);
  }
}

/**
 * A gather per segment, each prompt nested so a key pressed during it stops it and is taken (`dtmfBargein`); all
 * but the last listen only `SEGMENT_WAIT_SECONDS` and post `more=1` when they hear nothing.
 */
function addGathers(response: Verbs, segments: Segment[], settings: Record<string, unknown>, hook: (more: boolean) => string, speech: JambonzSpeech): void {
  if (segments.length === 0) {
    response.gather({ ...settings, actionHook: hook(false) });
    return;
  }
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    const [verb, payload] = promptVerb(segment, speech);
    response.gather({ ...settings, ...(last ? {} : { timeout: SEGMENT_WAIT_SECONDS }), actionHook: hook(!last), [verb]: payload });
  });
}

/**
 * How a gather listens: digits only, keys stop the prompt; a menu takes one key (`#` among them); an entry ends
 * with `#`, and when the timer runs out after some keys (`minDigits` 1, `interDigitTimeout`) jambonz posts them as
 * `dtmfDetected`, as Twilio posts a partial entry. `timeout` waits for the first key, `interDigitTimeout` between keys.
 */
export function gatherSettings(gather: GatherSpec, timeouts: Readonly<Record<GatherTimer, number>>): Record<string, unknown> {
  const seconds = timeouts[gather.timer];
  const keys = gather.kind === 'menu' ? { numDigits: 1 } : { finishOnKey: '#', minDigits: 1, interDigitTimeout: seconds };
  return { input: ['digits'], dtmfBargein: true, timeout: seconds, ...keys };
}

/** `dial` to the agent; with a step, its result comes back as a turn of the call (`DIAL_RESULT`), else to the stateless route. */
function dial(response: Verbs, language: Language, agentNumber: string, step?: number): void {
  const actionHook = step === undefined ? `/jambonz/dial-done?lang=${language}` : `/jambonz/dial-done?step=${step}&lang=${language}`;
  response.dial({ target: [{ type: 'phone', number: agentNumber }], actionHook, timeout: 30 });
}

/**
 * Turns a state's meta (and any notice) into jambonz verbs: in a gathering state every prompt, notices included,
 * is nested in a gather, followed by a `redirect` to the fallback route that jambonz runs only when the gather's
 * webhook gave no verbs (an instance died mid-turn); otherwise the prompts, then `dial` or `hangup`.
 */
export function renderState(meta: StateMeta, notice: PromptRef[], options: JambonzRenderOptions): JambonzApplication {
  const response = new WebhookResponse();
  const speech = options.speech ?? JAMBONZ_SAY_ONLY;
  const segments = segmentsOf(orderedPrompts([...notice, ...meta.prompts], options, speech));
  if (meta.gather) {
    const query = `step=${options.step}&lang=${options.language}`;
    addGathers(response, segments, gatherSettings(meta.gather, options.timeouts), (more) => `/jambonz/gather?${query}${more ? '&more=1' : ''}`, speech);
    response.redirect({ actionHook: `/jambonz/fallback?lang=${options.language}` });
    return response.toJSON();
  }
  addPrompts(response, segments, speech);
  if (meta.end === 'dial') dial(response, options.language, options.agentNumber, options.step);
  else response.hangup();
  return response.toJSON();
}

/** The apology when a turn cannot be served: offer an agent (key 0) through the stateless route, else goodbye. */
export function renderApology(language: Language | 'both', speech: JambonzSpeech = JAMBONZ_SAY_ONLY): JambonzApplication {
  const response = new WebhookResponse();
  const languages: readonly Language[] = language === 'both' ? LANGUAGES : [language];
  const apology = segmentsOf(languages.map((lang) => voicePrompt('trouble.apology', lang, {}, speech.audioUrl)));
  addGathers(response, apology, { input: ['digits'], dtmfBargein: true, numDigits: 1, timeout: 5 }, (more) => `/jambonz/recover?lang=${languages[0]}${more ? '&more=1' : ''}`, speech);
  addPrompts(response, segmentsOf(languages.map((lang) => voicePrompt('goodbye', lang, {}, speech.audioUrl))), speech);
  response.hangup();
  return response.toJSON();
}

/** The answer on the stateless recovery route: an agent for 0, otherwise goodbye. */
export function renderRecovery(language: Language, digits: string, agentNumber: string, speech: JambonzSpeech = JAMBONZ_SAY_ONLY): JambonzApplication {
  const response = new WebhookResponse();
  if (digits === '0') {
    addPrompts(response, segmentsOf([voicePrompt('agent.transfer', language, {}, speech.audioUrl)]), speech);
    dial(response, language, agentNumber);
  } else {
    addPrompts(response, segmentsOf([voicePrompt('goodbye', language, {}, speech.audioUrl)]), speech);
    response.hangup();
  }
  return response.toJSON();
}

/** After the agent's line on the stateless path: nothing more if the agent answered, otherwise say they are busy and hang up. */
export function renderDialDone(language: Language, answered: boolean, speech: JambonzSpeech = JAMBONZ_SAY_ONLY): JambonzApplication {
  const response = new WebhookResponse();
  if (!answered) addPrompts(response, segmentsOf([voicePrompt('agent.busy', language, {}, speech.audioUrl)]), speech);
  response.hangup();
  return response.toJSON();
}

/** Renders a turn's answer as jambonz verbs: the state (gathers posting its step, dial or hang-up), or the apology. */
export function renderAnswer(answer: TurnAnswer, options: Omit<JambonzRenderOptions, 'language' | 'step' | 'bilingual'>): JambonzApplication {
  if (answer.kind === 'apology') return renderApology(answer.language, options.speech);
  const { view } = answer;
  return renderState(view.meta, view.notice as PromptRef[], { ...options, language: view.language as Language, step: answer.step, bilingual: view.bilingual });
}
