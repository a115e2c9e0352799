import { promptText, type Language } from '../../prompts/catalogue.ts';
import { awaitOutboxCode, describe, outboxCodes, fetchOnce, ReplayError, type ReplayTarget, type TranscriptLine, type Utterance } from './call-replayer.ts';
import { ScriptError, type CallScript, type Expectation, type ScriptCall, type ScriptStep } from './call-script.ts';
import type { TimelineTurn } from './flow-coverage.ts';
import { placeCall } from './place-call.ts';

/** The outcome of one script: pass/fail, where and why it failed (with a diff), its transcript and its calls' timelines. */
export interface ScriptResult {
  file: string;
  name: string;
  passed: boolean;
  /** `file:line: reason` and, for a wrong expectation or ending, a diff of expected against heard. */
  failure?: string;
  transcript: TranscriptLine[];
  callSids: string[];
  timelines: TimelineTurn[][];
  durationMs: number;
}

/** A step that did not hold: the reason and a diff-style explanation. */
class StepFailure extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly diff: string[] = [],
  ) {
    super(reason);
  }
}

function expectationText(expect: Expectation, language: Language): string {
  if ('prompt' in expect) return `${expect.prompt} [${language}]  ${promptText(expect.prompt, language)}`;
  if ('text' in expect) return `text containing ${JSON.stringify(expect.text)}`;
  return `text matching /${expect.regex.source}/`;
}

function matches(u: Utterance, expect: Expectation, language: Language): boolean {
  if (u.kind === 'pause') return false;
  if ('prompt' in expect) return u.promptId === expect.prompt && (u.language === null || u.language === language);
  if ('text' in expect) return u.text.includes(expect.text);
  return expect.regex.test(u.text);
}

async function fetchTimeline(target: ReplayTarget, callSid: string): Promise<{ outcome: string | null; turns: TimelineTurn[] } | null> {
  if (!target.qaToken) return null;
  const res = await fetchOnce(`${target.baseUrl.replace(/\/+$/, '')}/qa/calls/${callSid}/timeline`, { headers: { authorization: `Bearer ${target.qaToken}` } }, 'GET /qa/calls/:callSid/timeline');
  if (!res.ok) return null;
  return (await res.json()) as { outcome: string | null; turns: TimelineTurn[] };
}

/** Loads the citizens a script declares (and resets their cards, and withdraws any open callback of the script's callers) through the QA route. */
async function loadCitizens(script: CallScript, target: ReplayTarget): Promise<void> {
  if (script.citizens.length === 0) return;
  if (!target.qaToken) throw new ScriptError(script.file, 1, 'citizens: loading them needs the QA token (--qa-token or QA_TOKEN)');
  const res = await fetchOnce(
    `${target.baseUrl.replace(/\/+$/, '')}/qa/citizens`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${target.qaToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ citizens: script.citizens, callers: [...new Set(script.calls.map((call) => call.caller))] }),
    },
    'POST /qa/citizens',
  );
  if (!res.ok) {
    const body = await res.text();
    throw new ScriptError(script.file, 1, `citizens: the target refused them (HTTP ${res.status}${res.status === 404 ? ': POST /qa/citizens exists only outside production with QA_TOKEN set' : `: ${body.slice(0, 200)}`})`);
  }
}

async function runCall(call: ScriptCall, target: ReplayTarget, result: ScriptResult, usedCodes: Set<string>): Promise<void> {
  const replayer = placeCall(target, call.caller, { agent: call.agent, onLine: (line) => result.transcript.push(line) });
  result.callSids.push(replayer.callSid);
  let heard = await replayer.start();
  let cursor = 0;
  let after = 'the call was answered';
  const act = async (step: ScriptStep, action: () => Promise<Utterance[] | void>, label: string) => {
    try {
      heard = (await action()) ?? [];
    } catch (error) {
      if (error instanceof ReplayError) throw new StepFailure(step.line, error.message);
      throw error;
    }
    cursor = 0;
    after = `${label} (line ${step.line})`;
  };
  for (const step of call.steps) {
    switch (step.kind) {
      case 'expect': {
        const found = heard.findIndex((u, i) => i >= cursor && matches(u, step.expect, call.language));
        if (found < 0) {
          const heardLines = heard.filter((u) => u.kind !== 'pause').map((u, i) => `+ ${i < cursor ? '(before the last match) ' : ''}${describe(u)}`);
          throw new StepFailure(step.line, `expected ${'prompt' in step.expect ? `prompt ${step.expect.prompt}` : 'words'} not heard after ${after}`, [
            `- ${expectationText(step.expect, call.language)}`,
            ...(heardLines.length ? heardLines : ['+ (nothing was said)']),
          ]);
        }
        cursor = found;
        break;
      }
      case 'press':
        await act(step, () => replayer.press(step.keys), `press ${step.keys}`);
        break;
      case 'silence':
        await act(step, () => replayer.silence(), 'silence');
        break;
      case 'code': {
        let code: string | null;
        try {
          code = await awaitOutboxCode(target, step.to, usedCodes, step.wrong ? 500 : 3000);
        } catch (error) {
          throw new StepFailure(step.line, (error as Error).message);
        }
        if (!code && !step.wrong) throw new StepFailure(step.line, `code: nothing in the outbox for ${step.to}`);
        const keys = step.wrong ? (code ?? '000000').replace(/\d/g, (d) => String((Number(d) + 1) % 10)) : code!;
        if (!step.wrong) usedCodes.add(keys);
        result.transcript.push({ who: 'network', text: `${step.wrong ? 'a wrong code' : 'the code'} for ${step.to} from the outbox` });
        await act(step, () => replayer.press(`${keys}#`, '••••••#'), step.wrong ? 'a wrong code' : 'the code');
        break;
      }
      case 'hangup':
        await act(step, () => replayer.hangup(), 'hang-up');
        break;
    }
  }
  if (!replayer.ended) {
    if (call.end && call.end.outcome !== 'abandoned') {
      throw new StepFailure(call.end.line, `expected the call to end (${call.end.outcome}) but the line is still waiting for keys`, [
        `- end: ${call.end.outcome}`,
        `+ still in the call; last heard:`,
        ...heard.filter((u) => u.kind !== 'pause').map((u) => `+   ${describe(u)}`),
      ]);
    }
    await replayer.hangup();
  }
  const timeline = await fetchTimeline(target, replayer.callSid);
  if (timeline) result.timelines.push(timeline.turns);
  if (call.end) {
    if (!timeline) throw new StepFailure(call.end.line, 'end: checking how the call ended needs the QA token (the call timeline)');
    if (timeline.outcome !== call.end.outcome) {
      const last = timeline.turns[timeline.turns.length - 1];
      throw new StepFailure(call.end.line, 'the call ended differently', [
        `- end: ${call.end.outcome}`,
        `+ end: ${timeline.outcome ?? '(none)'}${last ? ` (last state ${last.to}, prompts ${last.prompts.join(', ')})` : ''}`,
      ]);
    }
  }
}

/**
 * The codes already in the outbox for the addresses a script reads codes from: an earlier run against the same
 * target (the other carrier's, or yesterday's) left them, and one of them must never pass for this run's code.
 */
async function earlierCodes(script: CallScript, target: ReplayTarget): Promise<Set<string>> {
  const addresses = new Set(script.calls.flatMap((call) => call.steps.flatMap((step) => (step.kind === 'code' ? [step.to] : []))));
  const codes = new Set<string>();
  for (const address of addresses) for (const code of await outboxCodes(target, address)) codes.add(code);
  return codes;
}

/** Runs one script against a target (citizens first, then each call in order) and says whether it passed. */
export async function runScript(script: CallScript, target: ReplayTarget): Promise<ScriptResult> {
  const started = Date.now();
  const result: ScriptResult = { file: script.file, name: script.name, passed: false, transcript: [], callSids: [], timelines: [], durationMs: 0 };
  try {
    await loadCitizens(script, target);
    const usedCodes = await earlierCodes(script, target);
    for (const call of script.calls) await runCall(call, target, result, usedCodes);
    result.passed = true;
  } catch (error) {
    if (error instanceof StepFailure) result.failure = [`${script.file}:${error.line}: ${error.reason}`, ...error.diff.map((l) => `  ${l}`)].join('\n');
    else if (error instanceof ScriptError) result.failure = error.message;
    else result.failure = `${script.file}: ${(error as Error).message}`;
  }
  result.durationMs = Date.now() - started;
  return result;
}

/** Runs scripts with at most `concurrency` at once, reporting each result as it finishes. */
export async function runScripts(
  scripts: CallScript[],
  target: ReplayTarget,
  options: { concurrency?: number; onResult?: (result: ScriptResult, done: number, total: number) => void } = {},
): Promise<ScriptResult[]> {
  const results: ScriptResult[] = new Array(scripts.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < scripts.length) {
      const index = next;
      next += 1;
      results[index] = await runScript(scripts[index], target);
      done += 1;
      options.onResult?.(results[index], done, scripts.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, scripts.length)) }, worker));
  return results;
}

/** A finished script as text: ✓/✗ name and, on failure, the reason, diff and transcript. */
export function formatResult(result: ScriptResult, options: { transcript?: boolean } = {}): string {
  const head = `${result.passed ? '✓' : '✗'} ${result.name} (${result.file}, ${result.durationMs} ms)`;
  if (result.passed && !options.transcript) return head;
  const lines = [head];
  if (result.failure) lines.push(...result.failure.split('\n').map((l) => `    ${l}`));
  if (!result.passed || options.transcript) {
    lines.push('    transcript:');
    for (const line of result.transcript) lines.push(`      ${line.who === 'caller' ? '>' : line.who === 'line' ? '<' : '·'} ${line.text}`);
  }
  return lines.join('\n');
}

/** The results as JUnit XML (one testsuite, a testcase per script, the failure and transcript in the body). */
export function junitXml(results: ScriptResult[], suite = 'call-scripts'): string {
  const esc = (s: string) =>
    s
      // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  const failures = results.filter((r) => !r.passed).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const cases = results.map((r) => {
    const open = `  <testcase classname="${esc(suite)}" name="${esc(r.name)}" file="${esc(r.file)}" time="${seconds(r.durationMs)}"`;
    const transcript = r.transcript.map((l) => `${l.who}: ${l.text}`).join('\n');
    if (r.passed) return `${open}>\n    <system-out>${esc(transcript)}</system-out>\n  </testcase>`;
    const message = (r.failure ?? 'failed').split('\n')[0];
    return `${open}>\n    <failure message="${esc(message)}">${esc(r.failure ?? '')}</failure>\n    <system-out>${esc(transcript)}</system-out>\n  </testcase>`;
  });
  const total = results.reduce((sum, r) => sum + r.durationMs, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="${esc(suite)}" tests="${results.length}" failures="${failures}" errors="0" time="${seconds(total)}">\n${cases.join('\n')}\n</testsuite>\n</testsuites>\n`;
}
