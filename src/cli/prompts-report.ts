import { LANGUAGES, PROMPTS, type PromptId } from '../../prompts/catalogue.ts';
import { checkPrompts, promptUsage } from '../../prompts/prompt-check.ts';
import { ConfigError, loadConfig, promptParams } from '../config.ts';
import { PromptAudio } from '../services/prompt-audio.service.ts';
import { JOURNEYS, promptTimings, runJourney, SPEAKING_RATE, stepSeconds, type PromptTiming } from '../services/prompt-report.service.ts';

const seconds = (value: number): string => `${value.toFixed(1).padStart(5)} s`;
const mark = (timing: PromptTiming | undefined): string => (timing ? `${seconds(timing.seconds)}${timing.from === 'estimate' ? ' ≈' : '  '}` : '');

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
  for (const [index, journey] of JOURNEYS.entries()) {
    const steps = await runJourney(journey);
    const total = steps.reduce((sum, step) => sum + stepSeconds(step, timings), 0);
    const estimated = steps.some((step) => step.prompts.some((p) => find(p.id, p.lang)?.from === 'estimate'));
    console.log(`${seconds(total)}${estimated ? ' ≈' : '  '}  ${journey.name}`);
    if (index === 0) {
      for (const step of steps) {
        const heard = step.prompts.map((p) => (step.prompts.some((q) => q.id === p.id && q.lang !== p.lang) ? `${p.id} (${p.lang})` : p.id)).join(', ');
        console.log(`          ${seconds(stepSeconds(step, timings))}  ${step.state.padEnd(18)} ${heard}`);
      }
    }
  }

  const problems = checkPrompts(PROMPTS, promptUsage());
  if (problems.length > 0) {
    console.error(`\nThe prompt catalogue has problems:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `prompts:report failed: ${(error as Error).message}`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
