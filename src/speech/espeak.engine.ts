import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { VOICES, type Language } from '../../prompts/catalogue.ts';
import { TELEPHONY_SAMPLE_RATE, type SpeechEngine, type SynthesisInput } from './speech-engine.ts';
import { resampleWav } from './wav-audio.ts';

const run = promisify(execFile);

/** Rough local voices from espeak-ng (Mandarin `cmn`, English `en-us`), resampled to 8 kHz 16-bit mono WAV. */
export class EspeakEngine implements SpeechEngine {
  readonly name = 'espeak' as const;
  readonly settings = { sampleRateHertz: TELEPHONY_SAMPLE_RATE, format: 'pcm16' };
  private scratch: string | null = null;
  private counter = 0;

  constructor(private readonly binary = 'espeak-ng') {}

  voiceFor(language: Language): string {
    return `espeak-ng:${VOICES[language].espeak}`;
  }

  /** The espeak-ng version line, or null when it is not installed. */
  async available(): Promise<string | null> {
    try {
      const { stdout } = await run(this.binary, ['--version']);
      return stdout.trim();
    } catch {
      return null;
    }
  }

  async synthesize(input: SynthesisInput): Promise<Buffer> {
    this.scratch ??= await mkdtemp(path.join(os.tmpdir(), 'espeak-'));
    this.counter += 1;
    const out = path.join(this.scratch, `${this.counter}.wav`);
    const voice = input.voice.replace(/^espeak-ng:/, '');
    // `--` so that a text starting with "-" is not read as an option; `-m` makes espeak-ng honour SSML tags.
    await run(this.binary, [...(input.ssml ? ['-m'] : []), '-v', voice, '-w', out, '--', input.source]);
    try {
      return resampleWav(await readFile(out), TELEPHONY_SAMPLE_RATE);
    } finally {
      await rm(out, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
    this.scratch = null;
  }
}
