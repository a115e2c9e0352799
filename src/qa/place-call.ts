import type { AgentBehaviour } from './call-script.ts';
import { CallReplayer, type ReplayCall, type ReplayTarget, type TranscriptLine } from './call-replayer.ts';
import { JambonzCallReplayer } from './jambonz-replayer.ts';

/** Places a replayed call through the target's carrier: Twilio's form webhooks and TwiML, or jambonz's JSON webhooks and verbs. */
export function placeCall(
  target: ReplayTarget,
  from: string,
  options: { to?: string; agent?: AgentBehaviour | AgentBehaviour[]; callSid?: string; onLine?: (line: TranscriptLine) => void } = {},
): ReplayCall {
  return target.carrier === 'jambonz' ? new JambonzCallReplayer(target, from, options) : new CallReplayer(target, from, options);
}
