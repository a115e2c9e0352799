import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { promptSource, promptText, type Language, type PromptId, type PromptParams } from '../../prompts/catalogue.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logging/logger.ts';
import type { JambonzSpeech } from '../jambonz/call-verbs.renderer.ts';
import type { Speech } from '../twiml/call-response.renderer.ts';
import type { AudioRule } from './prompt-voicing.ts';
import { MANIFEST_FILE, type ManifestEntry } from './prompt-build.service.ts';

const manifestSchema = z.object({
  prompts: z.array(
    z.looseObject({
      id: z.string(),
      lang: z.enum(['zh-CN', 'en-US']),
      text: z.string(),
      source: z.string().optional(),
      file: z.string().regex(/^[0-9a-f]{16,64}\.wav$/),
      seconds: z.number().nonnegative(),
      voice: z.string(),
      engine: z.enum(['google', 'espeak']),
    }),
  ),
});

/** A manifest entry as the app needs it. */
type Loaded = Pick<ManifestEntry, 'id' | 'lang' | 'text' | 'file' | 'seconds'> & { source?: string };

const key = (id: string, lang: Language): string => `${id} ${lang}`;

/** Pre-built prompt audio, loaded once at start: which prompt in which language has a current file, at what URL. */
export class PromptAudio {
  private constructor(
    private readonly entries: Map<string, Loaded>,
    /** The directory the files are served from, or null when there is none. */
    readonly dir: string | null,
    private readonly publicBaseUrl: string,
  ) {}

  /** No audio at all: every prompt is spoken with `<Say>`. */
  static none(): PromptAudio {
    return new PromptAudio(new Map(), null, '');
  }

  /**
   * Reads `<dir>/manifest.json`. No manifest means no audio (logged); a manifest that cannot be read is a
   * configuration error and throws; entries whose file is missing are left out (logged).
   */
  static async load(options: { dir: string; publicBaseUrl: string; logger?: Logger }): Promise<PromptAudio> {
    const dir = path.resolve(options.dir);
    const manifestPath = path.join(dir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) {
      options.logger?.info('no prompt audio: every prompt uses <Say>', { manifest: manifestPath });
      return new PromptAudio(new Map(), dir, options.publicBaseUrl);
    }
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(manifestPath, 'utf8')));
    if (!parsed.success) throw new Error(`${manifestPath} is not a prompt audio manifest: ${parsed.error.issues[0]?.message}`);
    const entries = new Map<string, Loaded>();
    const missing: string[] = [];
    for (const entry of parsed.data.prompts) {
      if (!existsSync(path.join(dir, entry.file))) missing.push(`${entry.id} ${entry.lang}`);
      else entries.set(key(entry.id, entry.lang), entry as Loaded);
    }
    if (missing.length > 0) options.logger?.warn('prompt audio files missing: those prompts use <Say>', { missing });
    options.logger?.info('prompt audio loaded', { manifest: manifestPath, prompts: entries.size });
    return new PromptAudio(entries, dir, options.publicBaseUrl.replace(/\/+$/, ''));
  }

  /** How many prompt/language pairs have audio. */
  get size(): number {
    return this.entries.size;
  }

  /** The built entry for a prompt if it says exactly what the catalogue says now with these values; else null. */
  current(id: PromptId, language: Language, params: PromptParams): Loaded | null {
    const entry = this.entries.get(key(id, language));
    if (!entry) return null;
    if (entry.text !== promptText(id, language, params)) return null;
    if (entry.source !== undefined && entry.source !== promptSource(id, language, params)) return null;
    return entry;
  }

  /** The absolute URL the carrier fetches for a prompt's audio, or null when it has none that is current. */
  audioUrl(id: PromptId, language: Language, params: PromptParams): string | null {
    const entry = this.current(id, language, params);
    return entry ? `${this.publicBaseUrl}/audio/${entry.file}` : null;
  }
}

/** The audio rule every carrier follows: the built audio's URL where it is current and audio is enabled, else null (said). */
export function audioRuleFor(config: Config, audio: PromptAudio): AudioRule {
  return (id, language, params) => (config.audio.enabled ? audio.audioUrl(id, language, params) : null);
}

/** How the Twilio adapter voices prompts: the configured `<Say>` voices, and the audio when it is enabled. */
export function speechFor(config: Config, audio: PromptAudio): Speech {
  return { sayVoices: config.voices.say, audioUrl: audioRuleFor(config, audio) };
}

/** How the jambonz adapter voices prompts: the configured synthesizers for `say`, and the same audio rule for `play`. */
export function jambonzSpeechFor(config: Config, audio: PromptAudio): JambonzSpeech {
  return { synthesizers: config.jambonz.voices, audioUrl: audioRuleFor(config, audio) };
}
