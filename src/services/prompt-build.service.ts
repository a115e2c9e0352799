import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isSsml, LANGUAGES, perCallOf, PROMPTS, promptSource, promptText, VOICES, type Language, type PromptId, type PromptParams } from '../../prompts/catalogue.ts';
import type { SpeechEngine } from '../speech/speech-engine.ts';
import { parseWav } from '../speech/wav-audio.ts';

/** The manifest's name inside the audio directory. */
export const MANIFEST_FILE = 'manifest.json';

/** One built prompt: what it says, in which file, how long it lasts. */
export interface ManifestEntry {
  id: PromptId;
  lang: Language;
  /** The words as callers hear them and supervisors read them (SSML reduced to its words). */
  text: string;
  /** What was synthesised: the text itself or the SSML document. */
  source: string;
  ssml: boolean;
  /** File name inside the audio directory (served at /audio/<file>): a hash of text, voice and settings. */
  file: string;
  seconds: number;
  bytes: number;
  voice: string;
  engine: SpeechEngine['name'];
}

/** `manifest.json`: every prompt that has current audio. */
export interface AudioManifest {
  version: 1;
  generatedAt: string;
  engine: SpeechEngine['name'];
  settings: SpeechEngine['settings'];
  /** The configured values the prompts' placeholders were filled with. */
  params: PromptParams;
  prompts: ManifestEntry[];
}

/** What happened to one prompt in a build. */
export interface BuildEvent {
  index: number;
  total: number;
  id: PromptId;
  lang: Language;
  status: 'built' | 'skipped' | 'failed';
  file?: string;
  seconds?: number;
  error?: string;
}

/** The outcome of a build: counts, the failures, and the manifest written. */
export interface BuildSummary {
  built: number;
  skipped: number;
  failed: { id: PromptId; lang: Language; error: string }[];
  manifest: AudioManifest;
  manifestPath: string;
}

/** The file name for one synthesis: a content hash, so a changed text, voice or setting means a new file. */
export function audioFileName(engine: Pick<SpeechEngine, 'name' | 'settings'>, input: { languageCode: string; voice: string; source: string; ssml: boolean }): string {
  const key = JSON.stringify([engine.name, engine.settings, input.languageCode, input.voice, input.ssml, input.source]);
  return `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.wav`;
}

/** A short description of why a synthesis failed (gRPC status and details where there are some). */
function describe(error: unknown): string {
  const e = error as { code?: number; details?: string; message?: string };
  const text = (e.details || e.message || String(error)).split('\n')[0];
  return typeof e.code === 'number' ? `gRPC ${e.code}: ${text}` : text;
}

async function writeAtomically(file: string, content: Buffer | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/**
 * Synthesises every prompt in both languages into `dir` (except prompts with per-call values, which are always
 * spoken with `<Say>`), skipping files that already exist, and writes the manifest of the prompts that have audio. A failed prompt is reported and left out of the manifest; any file
 * built earlier stays where it is.
 */
export async function buildPromptAudio(options: {
  engine: SpeechEngine;
  dir: string;
  params: PromptParams;
  onProgress?: (event: BuildEvent) => void;
  concurrency?: number;
  now?: () => Date;
}): Promise<BuildSummary> {
  const { engine, dir, params } = options;
  await mkdir(dir, { recursive: true });
  // A prompt with per-call values is always spoken with <Say>: it has no audio to build.
  const items = (Object.keys(PROMPTS) as PromptId[]).filter((id) => Object.keys(perCallOf(id)).length === 0).flatMap((id) => LANGUAGES.map((lang) => ({ id, lang })));
  const entries: (ManifestEntry | null)[] = new Array(items.length).fill(null);
  const failed: BuildSummary['failed'] = [];
  let built = 0;
  let skipped = 0;
  let done = 0;
  let next = 0;

  const work = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const { id, lang } = items[index];
      const source = promptSource(id, lang, params);
      const ssml = isSsml(source);
      const voice = engine.voiceFor(lang);
      const languageCode = VOICES[lang].languageCode;
      const file = audioFileName(engine, { languageCode, voice, source, ssml });
      const target = path.join(dir, file);
      let status: BuildEvent['status'];
      let error: string | undefined;
      let audio: Buffer | null = null;
      let seconds = 0;
      try {
        if (existsSync(target)) {
          audio = await readFile(target);
          status = 'skipped';
        } else {
          audio = await engine.synthesize({ language: lang, languageCode, voice, source, ssml });
          status = 'built';
        }
        seconds = Math.round(parseWav(audio).seconds * 100) / 100;
        if (status === 'built') await writeAtomically(target, audio);
      } catch (caught) {
        status = 'failed';
        error = describe(caught);
      }
      done += 1;
      if (status !== 'failed' && audio) {
        entries[index] = { id, lang, text: promptText(id, lang, params), source, ssml, file, seconds, bytes: audio.length, voice, engine: engine.name };
        if (status === 'built') built += 1;
        else skipped += 1;
        options.onProgress?.({ index: done, total: items.length, id, lang, status, file, seconds });
      } else {
        failed.push({ id, lang, error: error ?? 'unknown error' });
        options.onProgress?.({ index: done, total: items.length, id, lang, status, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, () => work()));

  const manifest: AudioManifest = {
    version: 1,
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    engine: engine.name,
    settings: engine.settings,
    params,
    prompts: entries.filter((entry): entry is ManifestEntry => entry !== null),
  };
  const manifestPath = path.join(dir, MANIFEST_FILE);
  await writeAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { built, skipped, failed, manifest, manifestPath };
}
