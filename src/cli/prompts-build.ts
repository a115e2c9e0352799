import { parseArgs } from 'node:util';
import { PROMPTS } from '../../prompts/catalogue.ts';
import { checkPrompts, promptUsage } from '../../prompts/prompt-check.ts';
import { ConfigError, loadConfig, promptParams } from '../config.ts';
import { buildPromptAudio, type BuildEvent } from '../services/prompt-build.service.ts';
import { EspeakEngine } from '../speech/espeak.engine.ts';
import { GoogleTtsEngine } from '../speech/google-tts.engine.ts';
import type { SpeechEngine } from '../speech/speech-engine.ts';

const USAGE = 'usage: npm run prompts:build -- [--engine google|espeak] [--dir <audio dir>] [--concurrency <n>]';

function progressLine(event: BuildEvent): string {
  const counter = `[${String(event.index).padStart(String(event.total).length)}/${event.total}]`;
  const what = `${event.id} ${event.lang}`.padEnd(34);
  if (event.status === 'failed') return `${counter} FAILED  ${what} ${event.error}`;
  return `${counter} ${event.status.padEnd(7)} ${what} ${event.seconds?.toFixed(2).padStart(6)} s  ${event.file}`;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { engine: { type: 'string', default: 'google' }, dir: { type: 'string' }, concurrency: { type: 'string', default: '4' } } }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (args.engine !== 'google' && args.engine !== 'espeak') {
    console.error(`unknown engine ${args.engine}\n${USAGE}`);
    return 64;
  }
  const config = loadConfig();
  const problems = checkPrompts(PROMPTS, promptUsage());
  if (problems.length > 0) {
    console.error(`The prompt catalogue has problems; nothing was synthesised:\n  ${problems.join('\n  ')}`);
    return 65;
  }
  let engine: SpeechEngine;
  if (args.engine === 'espeak') {
    const espeak = new EspeakEngine();
    const version = await espeak.available();
    if (!version) {
      console.error('espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)');
      return 69;
    }
    console.log(`engine: ${version}`);
    engine = espeak;
  } else {
    engine = new GoogleTtsEngine({ voices: config.voices.tts, encoding: config.voices.encoding, keyFilename: config.voices.googleCredentials });
    console.log(`engine: Google Cloud Text-to-Speech, voices ${config.voices.tts['zh-CN']} / ${config.voices.tts['en-US']}, ${config.voices.encoding} 8 kHz`);
  }
  const dir = args.dir ?? config.audio.dir;
  try {
    const summary = await buildPromptAudio({
      engine,
      dir,
      params: promptParams(config),
      concurrency: Math.max(1, Number(args.concurrency) || 1),
      onProgress: (event) => console.log(progressLine(event)),
    });
    console.log(`${summary.built} built, ${summary.skipped} already built, ${summary.failed.length} failed; manifest ${summary.manifestPath} (${summary.manifest.prompts.length} prompts)`);
    if (summary.failed.length === 0) return 0;
    const byError = new Map<string, string[]>();
    for (const failure of summary.failed) byError.set(failure.error, [...(byError.get(failure.error) ?? []), `${failure.id} ${failure.lang}`]);
    console.error(`\n${summary.failed.length} prompt(s) not synthesised; any earlier file stays in place, and these prompts use <Say> until rebuilt:`);
    for (const [error, which] of byError) console.error(`  ${error}\n    ${which.join(', ')}`);
    return 1;
  } finally {
    await engine.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `prompts:build failed: ${(error as Error).message}`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
