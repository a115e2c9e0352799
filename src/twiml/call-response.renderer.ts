import twilio from 'twilio';
import type { StateMeta } from '../../flows/call.machine.ts';
import { promptText, PROMPTS, type Language, type PromptId, type PromptParams } from '../../prompts/catalogue.ts';

const { VoiceResponse } = twilio.twiml;
type Node = { say: InstanceType<typeof VoiceResponse>['say'] };

/** The `<Say>` voice and language for each language the line speaks. */
export const SAY_VOICES: Record<Language, { language: 'cmn-CN' | 'en-US'; voice: 'Polly.Zhiyu' | 'Polly.Joanna' }> = {
  'zh-CN': { language: 'cmn-CN', voice: 'Polly.Zhiyu' },
  'en-US': { language: 'en-US', voice: 'Polly.Joanna' },
};

/** What the renderer needs besides the state: where gathers post, how long they wait, whom to dial. */
export interface RenderOptions {
  language: Language;
  step: number;
  gatherTimeoutSeconds: number;
  agentNumber: string;
  params: PromptParams;
  /** Speak both languages (the caller has not chosen one yet). */
  bilingual?: boolean;
}

function speak(node: Node, id: PromptId, language: Language, params: PromptParams, bilingual = false): void {
  const entry = PROMPTS[id] as { bilingual?: boolean };
  const languages: Language[] = entry.bilingual || bilingual ? ['zh-CN', 'en-US'] : [language];
  for (const lang of languages) node.say(SAY_VOICES[lang], promptText(id, lang, params));
}

function dial(response: InstanceType<typeof VoiceResponse>, language: Language, agentNumber: string): void {
  response.dial({ timeout: 30, action: `/voice/dial-done?lang=${language}`, method: 'POST' }, agentNumber);
}

/** Turns a state's meta (and any notice) into TwiML: prompts inside a `<Gather>`, then `<Dial>` or `<Hangup>`. */
export function renderState(meta: StateMeta, notice: PromptId[], options: RenderOptions): string {
  const response = new VoiceResponse();
  const both = options.bilingual ?? false;
  if (meta.gather) {
    const gather = response.gather({
      input: ['dtmf'],
      action: `/voice/gather?step=${options.step}&lang=${options.language}`,
      method: 'POST',
      timeout: options.gatherTimeoutSeconds,
      actionOnEmptyResult: true,
      ...(meta.gather.kind === 'menu' ? { numDigits: 1, finishOnKey: '' } : { finishOnKey: '#' }),
    });
    for (const id of [...notice, ...meta.prompts]) speak(gather, id, options.language, options.params, both);
    return response.toString();
  }
  for (const id of [...notice, ...meta.prompts]) speak(response, id, options.language, options.params, both);
  if (meta.end === 'dial') dial(response, options.language, options.agentNumber);
  else response.hangup();
  return response.toString();
}

/** The apology when a turn cannot be served: offer an agent (key 0) through a stateless route, else goodbye. */
export function renderApology(language: Language | 'both'): string {
  const response = new VoiceResponse();
  const languages: Language[] = language === 'both' ? ['zh-CN', 'en-US'] : [language];
  const gather = response.gather({
    input: ['dtmf'],
    numDigits: 1,
    timeout: 5,
    action: `/voice/recover?lang=${languages[0]}`,
    method: 'POST',
  });
  for (const lang of languages) gather.say(SAY_VOICES[lang], promptText('trouble.apology', lang));
  for (const lang of languages) response.say(SAY_VOICES[lang], promptText('goodbye', lang));
  response.hangup();
  return response.toString();
}

/** The answer on the stateless recovery route: an agent for 0, otherwise goodbye. */
export function renderRecovery(language: Language, digits: string, agentNumber: string): string {
  const response = new VoiceResponse();
  if (digits === '0') {
    response.say(SAY_VOICES[language], promptText('agent.transfer', language));
    dial(response, language, agentNumber);
  } else {
    response.say(SAY_VOICES[language], promptText('goodbye', language));
    response.hangup();
  }
  return response.toString();
}

/** After the agent's line: nothing more if the agent answered, otherwise say they are busy and hang up. */
export function renderDialDone(language: Language, answered: boolean): string {
  const response = new VoiceResponse();
  if (!answered) response.say(SAY_VOICES[language], promptText('agent.busy', language));
  response.hangup();
  return response.toString();
}
