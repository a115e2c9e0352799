import { LANGUAGES, PROMPTS, type PromptId } from '../../prompts/catalogue.ts';
import { checkPrompts, promptUsage } from '../../prompts/prompt-check.ts';
import { ConfigError, loadConfig, promptParams } from '../config.ts';
import { PromptAudio } from '../services/prompt-audio.service.ts';
import { formatSeconds, journeyReport, promptTimings, SPEAKING_RATE, type PromptTiming } from '../services/prompt-report.service.ts';

const mark = (timing: PromptTiming | undefined): string => (timing ? `${formatSeconds(timing.seconds)}${timing.from === 'estimate' ? ' ≈' : '  '}` : '');

async function main(): Promise<number> {
  const config = loadConfig();
  const params = promptParams(config);
  const audio = await PromptAudio.load({ dir: config.audio.dir, publicBaseUrl: config.publicBaseUrl });
  const timings = promptTimings(audio, params);
  const find = (id: PromptId, lang: string) => timings.find((t) => t.id === id && t.lang === lang);

  console.log(`Speaking time per prompt: from the built audio in ${config.audio.dir} where it says the current words,`);
  console.log(
    `otherwise estimated (≈) at ${LANGUAGES.map((l) => `${SPEAKING_RATE[l].perSecond} ${SPEAKING_RATE[l].unit}/s for ${l}`).join(', ')}; ` +
      `placeholders filled with ${JSON.stringify(params)}.\n`,
  );
  const width = Math.max(...Object.keys(PROMPTS).map((id) => id.length)) + 2;
  console.log(`${'prompt'.padEnd(width)}${LANGUAGES.map((l) => l.padStart(9).padEnd(11)).join('')}`);
  for (const id of Object.keys(PROMPTS) as PromptId[]) {
    console.log(`${id.padEnd(width)}${LANGUAGES.map((l) => mark(find(id, l)).padEnd(11)).join('')}`);
  }
  const fromAudio = timings.filter((t) => t.from === 'audio').length;
  console.log(`\n${fromAudio} of ${timings.length} timings measured from audio.\n`);

  console.log('Journeys (prompts heard, keys pressed in between not counted):\n');
  const { lines, missed } = await journeyReport(timings);
  for (const line of lines) console.log(line);

  const problems = checkPrompts(PROMPTS, promptUsage());
  if (problems.length > 0) {
    console.error(`\nThe prompt catalogue has problems:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  if (missed > 0) {
    console.error('\nThe reset by SMS takes longer to hear than its target: shorten the prompts on its path.');
    return 1;
  }
  console.log(`\nCatalogue check: every prompt the flow uses exists in both languages, none is unused, all SSML is well-formed.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `prompts:report failed: ${(error as Error).message}`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
