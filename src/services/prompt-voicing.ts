import { LANGUAGES, parsePromptRef, perCallOf, PROMPTS, refText, type Language, type PromptId, type PromptParams, type PromptRef } from '../../prompts/catalogue.ts';

/** The URL of a prompt's pre-built audio when the manifest has its current words; null when it must be said. */
export type AudioRule = (id: PromptId, language: Language, params: PromptParams) => string | null;

/** One prompt in one language as every carrier voices it: its pre-built audio, or the words to say. */
export type VoicedPrompt = { ref: PromptRef; language: Language } & ({ kind: 'play'; url: string } | { kind: 'say'; text: string });

/**
 * One prompt in one language: `play` of its audio when that is current, otherwise `say` of its words (SSML reduced
 * to words). A prompt with per-call values (`id.length?entered=12`) is never pre-built, so it is always said.
 */
export function voicePrompt(ref: PromptRef, language: Language, params: PromptParams, audioUrl: AudioRule): VoicedPrompt {
  const id = parsePromptRef(ref).id as PromptId;
  const url = Object.keys(perCallOf(id)).length === 0 ? audioUrl(id, language, params) : null;
  return url ? { ref, language, kind: 'play', url } : { ref, language, kind: 'say', text: refText(ref, language, params) };
}

/** Prompts in the order the caller hears them: each in the call's language, or in both when the prompt or the state is bilingual. */
export function voicePrompts(refs: PromptRef[], options: { language: Language; bilingual: boolean; params: PromptParams; audioUrl: AudioRule }): VoicedPrompt[] {
  return refs.flatMap((ref) => {
    const entry = PROMPTS[parsePromptRef(ref).id as PromptId] as { bilingual?: boolean };
    const languages: readonly Language[] = entry.bilingual || options.bilingual ? LANGUAGES : [options.language];
    return languages.map((language) => voicePrompt(ref, language, options.params, options.audioUrl));
  });
}
