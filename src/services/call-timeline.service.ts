import type { TimelineTurn } from '../qa/flow-coverage.ts';
import type { CallTurn } from '../storage/call-session.repository.ts';
import type { Store } from '../storage/store.ts';

/** A call's timeline as QA sees it: outcome and masked turns, never the snapshot or the TwiML. */
export interface CallTimelineView {
  callSid: string;
  status: string;
  outcome: string | null;
  language: string;
  callerMasked: string;
  turns: Array<TimelineTurn & { at: Date; language: string }>;
}

/** Reads one call's timeline, or null when there is no such call. */
export async function readCallTimeline(store: Pick<Store, 'callSessions'>, callSid: string): Promise<CallTimelineView | null> {
  const session = await store.callSessions.find(callSid);
  if (!session) return null;
  const turns = await store.callSessions.turns(callSid);
  return {
    callSid: session._id,
    status: session.status,
    outcome: session.outcome ?? null,
    language: session.language,
    callerMasked: session.callerMasked,
    turns: turns.map((t: CallTurn) => ({
      step: t.step,
      at: t.at,
      event: t.event,
      input: t.input ?? null,
      from: t.from,
      to: t.to,
      path: t.path?.length ? t.path : [t.from, t.to],
      prompts: t.prompts,
      language: t.language,
      outcome: t.outcome,
      ended: t.ended,
    })),
  };
}
