import type { Language } from '../../prompts/catalogue.ts';

/** Telephony audio: 8 kHz, as the phone network carries it. */
export const TELEPHONY_SAMPLE_RATE = 8000;

/** One prompt to synthesise in one language. */
export interface SynthesisInput {
  language: Language;
  /** `cmn-CN` or `en-US`. */
  languageCode: string;
  voice: string;
  /** Plain text, or an SSML document when `ssml` is true. */
  source: string;
  ssml: boolean;
}

/** Something that turns prompt text into an 8 kHz WAV file. */
export interface SpeechEngine {
  readonly name: 'google' | 'espeak';
  /** Everything besides text and voice that changes the sound; part of each file's name. */
  readonly settings: Readonly<Record<string, string | number | readonly string[]>>;
  voiceFor(language: Language): string;
  synthesize(input: SynthesisInput): Promise<Buffer>;
  close(): Promise<void>;
}
