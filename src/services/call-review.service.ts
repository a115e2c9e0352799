import { z } from 'zod';
import { parsePromptRef, PROMPTS, refText, type Language, type PromptId } from '../../prompts/catalogue.ts';
import { promptParams, type Config } from '../config.ts';
import { maskCitizenId } from '../domain/citizen-id.ts';
import { formatLocal, formatLocalInput, nextMinute } from '../domain/local-time.ts';
import { maskPhone } from '../domain/masking.ts';
import { AppError } from '../http/app-error.ts';
import { keyedHash } from '../security/secrets.ts';
import type { CallSearchFilter, CallSearchPage, CallSummary, TimelineTurn } from '../storage/call-search.repository.ts';
import { refusalIn } from '../storage/call-session.repository.ts';
import type { PasswordChange } from '../storage/password-change.repository.ts';
import type { Counts } from '../storage/call-rollup.repository.ts';
import { COUNTER, countsUnder, FUNNEL, funnelSecondsOf, medianSeconds, type FunnelStepName } from './call-stats.ts';
import type { Store } from '../storage/store.ts';
import type { AccessHow, AccessLogService } from './access-log.service.ts';
import { parseConsoleRange, parseOr400 as parse, RANGE_FIELDS } from './console-range.parser.ts';
import { csvField } from './csv-field.ts';
import { machineGraph, type FlowGraph } from './flow-graph.service.ts';
import type { ConsoleUser } from './supervisor-account.service.ts';
import { CALL_ID_SEARCH } from '../domain/call-id.ts';

/**
 * Outcomes supervisors can filter by: stored values, plus `error` (the call met a technical problem) and
 * `refused-locked` (an entry was refused, unchecked, because the card was locked or its day's failures used up).
 */
export const OUTCOMES = [
  'password-changed',
  'locked',
  'transferred',
  'agent-unavailable',
  'callback-requested',
  'abandoned',
  'goodbye',
  'no-input',
  'verification-failed',
  'error',
  'refused-locked',
] as const;

/** Results per page in the console and API. */
export const PAGE_SIZE = 25;

/** At most this many calls go into one CSV export. */
export const CSV_MAX_ROWS = 10_000;

const MASKED_ID = /^[0-9]{4}\*{10}[0-9]{3}[0-9X]$/;
const FULL_ID = /^[0-9]{17}[0-9X]$/;


const searchQuery = z.object({
  ...RANGE_FIELDS,
  outcome: z.enum(OUTCOMES).or(z.literal('')).optional(),
  caller: z.string().trim().max(32).optional(),
  id: z.string().trim().max(32).optional(),
  language: z.enum(['zh-CN', 'en-US']).or(z.literal('')).optional(),
  callSid: z.string().trim().max(64).regex(CALL_ID_SEARCH, 'must be a call id (a Twilio CallSid or a jambonz call_sid)').optional(),
  after: z.string().max(200).optional(),
});

const rangeQuery = z.object(RANGE_FIELDS);

/** A parsed search: the repository filter, the page cursor, the query as typed (times in the console's zone) and, masked, for the access log. */
export interface ParsedSearch {
  filter: CallSearchFilter;
  after: string | null;
  form: Record<string, string>;
  /** The caller number or ID searched for, masked (`caller +86 139****5678`); null when the search named neither. */
  subject: string | null;
  /** The whole query with caller and ID masked, for the access log. */
  masked: string;
}

/** One prompt as the caller heard it. */
export interface PlayedPrompt {
  id: string;
  text: string;
}

/** One step of a call's timeline for supervisors. */
export interface TimelineStep {
  step: number;
  at: Date;
  event: string;
  /** Keys pressed, as stored: PIN and code digits are `•`, ID numbers masked. */
  input: string | null;
  from: string;
  to: string;
  /** Every state entered in this step, in order (the checks between keys included). */
  entered: string[];
  prompts: PlayedPrompt[];
  /** Time the server took for the step. */
  processingMs: number;
  /** Time the caller spent in the state this step led to, until the next step (or the end of the call). */
  secondsInState: number | null;
  /** Entries refused in this step without being checked, and why (the caller heard the same as for a wrong entry). */
  notes: Array<{ kind: string; factor: string; reason: string; until: Date | null }>;
}

/** What the caller heard last: before hanging up (the prompts of the step before), or after a busy or unanswered agent line. */
export interface LastHeard {
  reason: 'hangup' | 'agent-unavailable';
  /** The state the caller hung up in, or the transfer state for an agent line that did not connect. */
  state: string | null;
  /** Twilio's DialCallStatus of the agent line (`busy`, `no-answer`, `failed`), when it was logged. */
  dialCallStatus: string | null;
  prompts: PlayedPrompt[];
}

/** A password-change record as supervisors see it: when, how the caller was verified, and whether the calling number was the registered mobile. */
export interface PasswordChangeView {
  at: Date;
  channel: string;
  status: string;
  idMasked: string;
  callerMasked: string;
  /** The calling number was the card's registered mobile (null: not known — no mobile registered, number withheld, or recorded before this was kept). */
  callerMatchedMobile: boolean | null;
}

/** Everything supervisors see of one call; masked, with no snapshot, TwiML, hash, PIN or code. */
export interface CallTimeline {
  call: CallSummary;
  steps: TimelineStep[];
  ending: { state: string | null; outcome: string | null; endedAt: Date | null };
  lastHeard: LastHeard | null;
  /** The last entry refused because the card was locked (from the turns' notes). */
  refused: { factor: string; reason: 'locked' | 'daily-cap'; until: Date } | null;
  passwordChange: PasswordChangeView | null;
  logs: Array<{ at: Date; level: string; message: string; fields: Record<string, unknown> }>;
}

/** The flow view's numbers from summed hourly counters. */
export function flowCountsOf(counts: Counts): FlowCounts {
  const endings = Object.entries(countsUnder(counts, 'ending:')).map(([key, calls]) => {
    const [state, outcome] = key.split('|');
    return { state, outcome: outcome || null, calls };
  });
  const running = (counts[COUNTER.calls] ?? 0) - (counts[COUNTER.ended] ?? 0);
  if (running > 0) endings.push({ state: 'in progress', outcome: 'in-progress', calls: running });
  return {
    calls: counts[COUNTER.calls] ?? 0,
    states: countsUnder(counts, 'state:'),
    moves: countsUnder(counts, 'move:'),
    endings: endings.sort((a, b) => b.calls - a.calls),
  };
}

/** The flow view: the machine's graph with counts for calls that started in a range. */
export interface FlowView {
  from: Date;
  to: Date;
  graph: FlowGraph;
  counts: FlowCounts;
}

/** Counts behind the flow view for calls that started in a range (read from the hourly counters, never the calls). */
export interface FlowCounts {
  calls: number;
  /** Calls that passed each state. */
  states: Record<string, number>;
  /** Calls that took each transition, keyed `from>to`. */
  moves: Record<string, number>;
  /** Calls by the state they ended in (where the caller hung up, or the final state reached) and outcome; running calls as `in-progress`. */
  endings: Array<{ state: string; outcome: string | null; calls: number }>;
}

/** One step of the password funnel: how many calls got there, the drop-off from the previous step, the median time it took. */
export interface FunnelStep {
  step: FunnelStepName;
  calls: number;
  dropOff: number;
  /** Share of the previous step that got here (1 for the first step). */
  rate: number;
  /** Median seconds from the previous step (from the call's start for the first), null when no call got here. */
  medianSeconds: number | null;
}

/** Search, timelines, flow counts and the funnel for the supervisor console and its API. */
export class CallReviewService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; access: AccessLogService; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Turns query parameters into a filter: last digits or a full number for the caller, masked or full ID. */
  parseSearch(query: unknown): ParsedSearch {
    const q = parse(searchQuery, query);
    const pepper = this.deps.config.pinPepper;
    const range = parseConsoleRange(q, { timeZone: this.deps.config.console.timeZone, now: this.now() });
    const filter: CallSearchFilter = { from: range.from, to: range.to };
    const subject: string[] = [];
    if (q.outcome) filter.outcome = q.outcome;
    if (q.language) filter.language = q.language;
    if (q.callSid) filter.callSid = q.callSid;
    if (q.caller) {
      const digits = q.caller.replace(/[^0-9]/g, '');
      if (digits.length >= 1 && digits.length <= 4) {
        filter.callerLast = digits;
        subject.push(`caller …${digits}`);
      } else if (digits.length >= 7) {
        filter.callerHashes = [...new Set([digits, `86${digits}`].map((d) => keyedHash(pepper, 'caller', d)))];
        subject.push(`caller ${maskPhone(q.caller.trim().startsWith('+') ? `+${digits}` : digits)}`);
      } else throw new AppError(400, 'bad-request', 'caller: the last 1 to 4 digits, or the full number');
    }
    if (q.id) {
      const id = q.id.toUpperCase().replace(/\s/g, '');
      if (MASKED_ID.test(id)) filter.idMasked = id;
      else if (FULL_ID.test(id)) filter.idHash = keyedHash(pepper, 'citizen-id', id);
      else throw new AppError(400, 'bad-request', 'id: the masked form (1101**********002X) or the full 18-character number');
    }
    if (filter.idMasked || filter.idHash) subject.push(`ID ${maskCitizenId(q.id?.toUpperCase().replace(/\s/g, '') ?? '')}`);
    const typed = { ...range.form, outcome: q.outcome ?? '', caller: q.caller ?? '', id: q.id ?? '', language: q.language ?? '', callSid: q.callSid ?? '' };
    const form = Object.fromEntries(Object.entries(typed).filter(([, v]) => v !== ''));
    const maskedTyped = { ...form, caller: subject.find((s) => s.startsWith('caller '))?.slice(7) ?? '', id: subject.find((s) => s.startsWith('ID '))?.slice(3) ?? '' };
    const masked = Object.entries(maskedTyped)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return { filter, after: q.after ?? null, form, subject: subject.length ? subject.join('; ') : null, masked };
  }

  /** One page of matching calls, newest first. */
  async search(parsed: ParsedSearch, limit = PAGE_SIZE): Promise<CallSearchPage> {
    return this.deps.store.callSearch.search(parsed.filter, { limit, after: parsed.after, now: this.now() });
  }

  /** A supervisor's search: one page, and (on its first page) an access-log entry when it named a caller or an ID. */
  async searchAs(user: ConsoleUser, parsed: ParsedSearch, how: AccessHow): Promise<CallSearchPage> {
    const page = await this.search(parsed);
    if (parsed.subject && !parsed.after) await this.deps.access.record(user, { what: 'search', how, subject: parsed.subject, detail: parsed.masked });
    return page;
  }

  /** Every matching call (up to CSV_MAX_ROWS) as CSV, masked like the pages: UTC ISO times with the console's local time beside them. */
  async csv(parsed: ParsedSearch): Promise<string> {
    const timeZone = this.deps.config.console.timeZone;
    const local = (date: Date | null) => (date ? formatLocal(date, timeZone) : '');
    const header = ['callSid', 'startedAt', 'startedAtLocal', 'endedAt', 'endedAtLocal', 'durationSeconds', 'language', 'caller', 'id', 'outcome', 'endedIn', 'technicalProblem', 'refusedWhileLockedUntil'];
    const lines = [header.join(',')];
    let after: string | null = null;
    let rows = 0;
    do {
      const page: CallSearchPage = await this.deps.store.callSearch.search(parsed.filter, { limit: 500, after, now: this.now() });
      for (const c of page.calls) {
        lines.push(
          [c.callSid, c.startedAt.toISOString(), local(c.startedAt), c.endedAt?.toISOString() ?? '', local(c.endedAt), c.durationSeconds ?? '', c.language, c.callerMasked, c.idMasked ?? '', c.outcome ?? '', c.endedIn ?? c.state, c.hadTrouble ? 'yes' : '', c.refused?.until.toISOString() ?? '']
            .map((v) => csvField(String(v)))
            .join(','),
        );
      }
      rows += page.calls.length;
      after = page.next;
    } while (after && rows < CSV_MAX_ROWS);
    return `${lines.join('\r\n')}\r\n`;
  }

  /** The timeline of one call; 404 when there is no such call. */
  async timeline(callSid: string): Promise<CallTimeline> {
    const { store, config } = this.deps;
    const call = await store.callSearch.summary(callSid);
    if (!call) throw new AppError(404, 'not-found', 'No such call');
    const [turns, change, late] = await Promise.all([store.callSearch.turns(callSid, call.steps), store.passwordChanges.findByCall(callSid), store.callLogs.late(callSid)]);
    const params = promptParams(config);
    const steps = turns.map((turn: TimelineTurn, index): TimelineStep => {
      const nextAt = turns[index + 1]?.at ?? call.endedAt;
      return {
        step: turn.step,
        at: turn.at,
        event: turn.event,
        input: turn.input ?? null,
        from: turn.from,
        to: turn.to,
        entered: turn.step === 0 ? turn.path : turn.path.slice(1),
        prompts: turn.prompts.map((ref) => ({ id: parsePromptRef(ref).id, text: textOf(ref, turn.language as Language, params) })),
        processingMs: turn.durationMs,
        secondsInState: nextAt ? Math.max(0, Math.round((nextAt.getTime() - turn.at.getTime()) / 100) / 10) : null,
        notes: turn.notes.map((n) => ({ kind: n.kind, factor: n.factor, reason: n.reason, until: n.until ? new Date(n.until) : null })),
      };
    });
    const lines = [...turns.flatMap((turn) => turn.log), ...late].sort((a, b) => a.at.getTime() - b.at.getTime());
    const storedLogs = lines.map((line) => ({ at: line.at, level: line.level, message: line.message, fields: safeJson(line.fields) }));
    return {
      call,
      steps,
      ending: { state: call.status === 'ended' ? (call.endedIn ?? call.state) : null, outcome: call.outcome, endedAt: call.endedAt },
      lastHeard: lastHeard(call, steps, storedLogs, (id) => ({ id, text: textOf(id, call.language as Language, params) })),
      refused: refusalIn(turns),
      passwordChange: change ? passwordChangeView(change) : null,
      logs: storedLogs,
    };
  }

  /** A supervisor's view of one call (page, API or JSON file): the timeline, recorded in the access log. */
  async viewCall(user: ConsoleUser, callSid: string, how: AccessHow): Promise<CallTimeline> {
    const timeline = await this.timeline(callSid);
    await this.deps.access.record(user, { what: 'view-call', how, callSid });
    return timeline;
  }

  /** Records a CSV export of calls (the filter, caller and ID masked) in the access log. */
  async logExport(user: ConsoleUser, parsed: ParsedSearch): Promise<void> {
    await this.deps.access.record(user, { what: 'export-calls', how: 'csv', subject: parsed.subject, detail: parsed.masked });
  }

  /** The time range of a flow or funnel request, in the console's zone; by default the 7 days up to the end of this minute. */
  parseRange(query: unknown): { from: Date; to: Date; form: { from: string; to: string } } {
    const q = parse(rangeQuery, query);
    const timeZone = this.deps.config.console.timeZone;
    const range = parseConsoleRange(q, { timeZone, now: this.now() });
    const to = range.to ?? nextMinute(this.now());
    const from = range.from ?? new Date(to.getTime() - 7 * 86_400_000);
    if (from.getTime() >= to.getTime()) throw new AppError(400, 'bad-request', 'from: must be before to');
    return { from, to, form: { from: formatLocalInput(from, timeZone), to: formatLocalInput(to, timeZone) } };
  }

  /** The counters of a range, added up. */
  private async totals(range: { from: Date; to: Date }): Promise<Counts> {
    return this.deps.store.callSearch.counts(range.from, range.to);
  }

  /** The machine's graph with how many calls (started in the range) passed each state and transition and where they ended. */
  async flow(range: { from: Date; to: Date }): Promise<FlowView> {
    return { from: range.from, to: range.to, graph: machineGraph(), counts: flowCountsOf(await this.totals(range)) };
  }

  /** The password journey from the password menu to the password saved, with drop-off and median time between steps. */
  async funnel(range: { from: Date; to: Date }): Promise<FunnelStep[]> {
    const counts = await this.totals(range);
    return FUNNEL.map(({ step }, i): FunnelStep => {
      const calls = counts[COUNTER.funnel(i)] ?? 0;
      const previous = i === 0 ? calls : (counts[COUNTER.funnel(i - 1)] ?? 0);
      return {
        step,
        calls,
        dropOff: previous - calls,
        rate: previous === 0 ? 0 : Math.round((calls / previous) * 1000) / 1000,
        medianSeconds: medianSeconds(funnelSecondsOf(counts, i)),
      };
    });
  }
}

/** A stored password-change record as supervisors see it. */
export function passwordChangeView(change: PasswordChange): PasswordChangeView {
  return {
    at: change.at,
    channel: change.channel,
    status: change.status,
    idMasked: change.idMasked,
    callerMasked: change.callerMasked,
    callerMatchedMobile: change.callerMatchedMobile ?? null,
  };
}

/** A played prompt's words in the call's language, per-call values included (`id.length?entered=12`). */
function textOf(ref: string, language: Language, params: Record<string, string | number>): string {
  const { id } = parsePromptRef(ref);
  if (!(id in PROMPTS)) return '';
  const entry = PROMPTS[id as PromptId] as { bilingual?: boolean };
  if (entry.bilingual) return `${refText(ref, 'zh-CN', params)} / ${refText(ref, 'en-US', params)}`;
  return refText(ref, language === 'en-US' ? 'en-US' : 'zh-CN', params);
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A timeline as exported: UTC ISO times kept, each with its local time in the console's zone beside it. */
export function withLocalTimes(timeline: CallTimeline, timeZone: string) {
  const local = (date: Date | null) => (date ? formatLocal(date, timeZone) : null);
  return {
    timeZone,
    ...timeline,
    call: { ...timeline.call, startedAtLocal: local(timeline.call.startedAt), endedAtLocal: local(timeline.call.endedAt) },
    steps: timeline.steps.map((s) => ({ ...s, atLocal: local(s.at) })),
    ending: { ...timeline.ending, endedAtLocal: local(timeline.ending.endedAt) },
    passwordChange: timeline.passwordChange ? { ...timeline.passwordChange, atLocal: local(timeline.passwordChange.at) } : null,
    logs: timeline.logs.map((l) => ({ ...l, atLocal: local(l.at) })),
  };
}

/**
 * What the caller heard last: the prompts before a hang-up, or what was said after an agent line that did not connect
 * (the agent line's result is a turn of its own; on the stateless recovery path, where the database was down, only the
 * log line and the busy-agent prompt are known).
 */
function lastHeard(call: CallSummary, steps: TimelineStep[], logs: CallTimeline['logs'], played: (id: PromptId) => PlayedPrompt): LastHeard | null {
  if (call.outcome === 'agent-unavailable') {
    const dial = [...steps].reverse().find((step) => step.event === 'DIAL_RESULT');
    if (dial) return { reason: 'agent-unavailable', state: dial.from, dialCallStatus: dial.input, prompts: dial.prompts };
    const logged = logs.find((l) => l.message === 'agent unavailable')?.fields.dialCallStatus;
    return { reason: 'agent-unavailable', state: call.endedIn ?? call.state, dialCallStatus: typeof logged === 'string' ? logged : null, prompts: [played('agent.busy')] };
  }
  const last = steps[steps.length - 1];
  if (!last || last.event !== 'HANGUP') return null;
  return { reason: 'hangup', state: last.from, dialCallStatus: null, prompts: steps[steps.length - 2]?.prompts ?? [] };
}
