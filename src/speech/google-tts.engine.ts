import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import type { Language } from '../../prompts/catalogue.ts';
import { TELEPHONY_SAMPLE_RATE, type SpeechEngine, type SynthesisInput } from './speech-engine.ts';
import { ensureWav } from './wav-audio.ts';

/** Options the Google client is built with (endpoint, port, credentials); tests point it at a loopback stand-in. */
export type GoogleClientOptions = NonNullable<ConstructorParameters<typeof TextToSpeechClient>[0]>;

/** Google's audio profile for interactive voice response lines. */
export const TELEPHONY_PROFILE = 'telephony-class-application';

/** Google Cloud Text-to-Speech (v1 SynthesizeSpeech) with telephony settings: 8 kHz, LINEAR16 or MULAW in a WAV. */
export class GoogleTtsEngine implements SpeechEngine {
  readonly name = 'google' as const;
  readonly settings: SpeechEngine['settings'];
  private readonly client: TextToSpeechClient;

  constructor(
    private readonly options: {
      voices: Record<Language, string>;
      encoding: 'LINEAR16' | 'MULAW';
      /** Service-account key file; without it the library finds Application Default Credentials. */
      keyFilename?: string;
      client?: GoogleClientOptions;
      /** Per request; a failed request is retried at most twice (only UNAVAILABLE and DEADLINE_EXCEEDED are retried). */
      timeoutMs?: number;
    },
  ) {
    this.settings = { encoding: options.encoding, sampleRateHertz: TELEPHONY_SAMPLE_RATE, effectsProfileId: [TELEPHONY_PROFILE] };
    this.client = new TextToSpeechClient({ ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}), ...options.client });
  }

  voiceFor(language: Language): string {
    return this.options.voices[language];
  }

  async synthesize(input: SynthesisInput): Promise<Buffer> {
    const [response] = await this.client.synthesizeSpeech(
      {
        input: input.ssml ? { ssml: input.source } : { text: input.source },
        voice: { languageCode: input.languageCode, name: input.voice },
        audioConfig: {
          audioEncoding: this.options.encoding,
          sampleRateHertz: TELEPHONY_SAMPLE_RATE,
          effectsProfileId: [TELEPHONY_PROFILE],
        },
      },
      { timeout: this.options.timeoutMs ?? 30_000, maxRetries: 2 },
    );
    const content = response.audioContent;
    if (!content || content.length === 0) throw new Error('Google returned no audio');
    const audio = typeof content === 'string' ? Buffer.from(content, 'base64') : Buffer.from(content);
    // v1 documents a WAV header for both encodings; wrap the samples ourselves should one ever come without.
    return ensureWav(audio, { sampleRate: TELEPHONY_SAMPLE_RATE, format: this.options.encoding === 'MULAW' ? 'mulaw' : 'pcm' });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
