import { callMachine, type StateMeta } from '../../flows/call.machine.ts';
import { parsePromptRef } from '../../prompts/catalogue.ts';
import type { CallTimelineView } from '../services/call-timeline.service.ts';
import { ENDINGS } from './call-script.ts';

const metaOf = (state: string) => (callMachine.root.states[state]?.meta ?? undefined) as StateMeta | undefined;
const q = (s: string) => JSON.stringify(s);

/** What one entry into a keyed-entry state stands for, judged by where the call went next (the digits themselves were never stored). */
function entryStep(from: string, input: string, path: string[], nextPrompts: string[], channel: string | null): { line: string; comment?: string } {
  if (input === '*' || input === '0') return { line: `press: ${q(`${input}#`)}` };
  const next = path[1];
  const after = path[path.length - 1];
  const weak = nextPrompts.find((p) => p.startsWith('pin.weak.'));
  const address = channel === 'email' ? '<EMAIL>' : '<MOBILE>';
  switch (next) {
    case 'identifying':
      return { line: `press: "<ID_NUMBER>"`, comment: `the card's ID number ended with # (* for a final X); the log keeps it masked` };
    case 'sendingCode':
      return { line: `press: "9#"` };
    case 'verifyingCode':
      return after === 'enterNewPin'
        ? { line: `code: ${q(address)}`, comment: `the ${channel === 'email' ? 'email address' : 'mobile number'} the code went to` }
        : { line: `wrong-code: ${q(address)}`, comment: 'a code that was not accepted' };
    case 'verifyingCurrentPin':
      return after === 'enterNewPin'
        ? { line: `press: "<CURRENT_PIN>"`, comment: "the card's current password, then #" }
        : { line: `press: "<WRONG_CURRENT_PIN>"`, comment: 'six digits that are not the current password, then #' };
    case 'screeningNewPin':
      return after === 'confirmNewPin'
        ? { line: `press: "<NEW_PIN>"`, comment: 'a new password the rules accept, then #' }
        : { line: `press: "<WEAK_PIN>"`, comment: `a password refused${weak ? ` for ${weak.slice('pin.weak.'.length)}` : ''}, then #` };
    case 'committingNewPin':
      return after === 'passwordChanged'
        ? { line: `press: "<NEW_PIN>"`, comment: 'the same new password again, then #' }
        : { line: `press: "<DIFFERENT_PIN>"`, comment: 'a password that does not match the first entry, then #' };
    default:
      return { line: `press: "<INVALID_ENTRY>"`, comment: `an entry the ${from} step refused (e.g. too short), then #` };
  }
}

/** Writes a call's timeline as a call script (YAML): keys and silences as steps, what was said as expectations, secrets as placeholders to fill in. */
export function timelineToScript(timeline: CallTimelineView): string {
  const turns = [...timeline.turns].sort((a, b) => a.step - b.step);
  const callerStandIn = timeline.callerMasked.replace(/\*/g, '0').replace(/[^0-9+]/g, '');
  const ending = (ENDINGS as readonly string[]).includes(timeline.outcome ?? '') ? timeline.outcome : null;
  const lines = [
    `# Exported from call ${timeline.callSid}. Secrets were never stored: fill in every <PLACEHOLDER> before replaying,`,
    '# and declare the citizens the call needs (their cards are reset before the script runs).',
    `name: ${q(`replay of ${timeline.callSid}`)}`,
    `caller: ${q(/^\+?[0-9]{3,15}$/.test(callerStandIn) ? callerStandIn : '+8613800000000')}  # the log keeps the caller masked (${timeline.callerMasked})`,
    `language: ${timeline.language}`,
  ];
  const dials = turns.filter((t) => t.event === 'DIAL_RESULT').map((t) => (t.input === 'completed' || t.input === 'answered' ? 'answered' : t.input === 'no-answer' ? 'no-answer' : 'busy'));
  const hungUpWhileRinging = turns.some((t) => t.event === 'HANGUP' && metaOf(t.from)?.end === 'dial');
  const agent = [...dials, ...(hungUpWhileRinging ? ['caller-hangs-up'] : [])];
  if (agent.length === 1) lines.push(`agent: ${agent[0]}`);
  else if (agent.length > 1) lines.push(`agent: [${agent.join(', ')}]`);
  const ids = [...new Set(turns.filter((t) => t.input && metaOf(t.from)?.gather?.secret === 'id' && t.input.length > 2).map((t) => t.input))];
  lines.push('# citizens:', `#   - idNumber: "<ID_NUMBER>"${ids.length ? `  # masked in the log: ${ids.join(', ')}` : ''}`, '#     name: …', '#     mobile: "<MOBILE>"', '#     email: "<EMAIL>"', 'steps:');
  let channel: string | null = null;
  for (const [i, turn] of turns.entries()) {
    if (turn.event !== 'CALL_START') {
      if (turn.event === 'NO_INPUT') lines.push('  - silence');
      else if (turn.event === 'HANGUP' && metaOf(turn.from)?.end === 'dial') lines.push('  # (the caller hung up while the agent line rang)');
      else if (turn.event === 'HANGUP') lines.push('  - hangup');
      else if (turn.event === 'DIGITS') {
        const gather = metaOf(turn.from)?.gather;
        const input = turn.input ?? '';
        if (turn.from === 'chooseChannel' && (input === '1' || input === '2')) channel = input === '1' ? 'sms' : 'email';
        if (!gather || gather.kind === 'menu') lines.push(`  - press: ${q(input)}`);
        else {
          const step = entryStep(turn.from, input, turn.path, turn.prompts, channel);
          lines.push(`  - ${step.line}${step.comment ? `  # ${step.comment}` : ''}`);
        }
      }
    }
    if (turn.event !== 'HANGUP') for (const prompt of turn.prompts) lines.push(`  - expect: ${parsePromptRef(prompt).id}`);
    if (i === turns.length - 1 && !turn.ended && turn.event !== 'HANGUP') lines.push('  - hangup');
  }
  if (ending) lines.push(`end: ${ending}`);
  return `${lines.join('\n')}\n`;
}
