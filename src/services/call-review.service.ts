import { z } from 'zod';
import { parsePromptRef, PROMPTS, refText, type Language, type PromptId } from '../../prompts/catalogue.ts';
import { promptParams, type Config } from '../config.ts';
import { AppError } from '../http/app-error.ts';
import { keyedHash } from '../security/secrets.ts';
import type { CallSearchFilter, CallSearchPage, CallSummary, FlowCounts, FunnelCounts, TimelineTurn } from '../storage/call-search.repository.ts';
import type { Store } from '../storage/store.ts';
import { machineGraph, type FlowGraph } from './flow-graph.service.ts';

/** Outcomes supervisors can filter by (stored values, plus `error`: the call met a technical problem). */
export const OUTCOMES = ['password-changed', 'locked', 'transferred', 'agent-unavailable', 'callback-requested', 'abandoned', 'goodbye', 'no-input', 'verification-failed', 'error'] as const;

/** Results per page in the console and API. */
export const PAGE_SIZE = 25;

/** At most this many calls go into one CSV export. */
export const CSV_MAX_ROWS = 10_000;

const MASKED_ID = /^[0-9]{4}\*{10}[0-9]{3}[0-9X]$/;
const FULL_ID = /^[0-9]{17}[0-9X]$/;

const dateText = z
  .string()
  .trim()
  .max(40)
  .optional()
  .transform((value, ctx) => {
    if (!value) return undefined;
    const date = new Date(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be a date and time (UTC) such as 2026-03-01T08:00' });
      return z.NEVER;
    }
    return date;
  });

const searchQuery = z.object({
  from: dateText,
  to: dateText,
  outcome: z.enum(OUTCOMES).or(z.literal('')).optional(),
  caller: z.string().trim().max(32).optional(),
  id: z.string().trim().max(32).optional(),
  language: z.enum(['zh-CN', 'en-US']).or(z.literal('')).optional(),
  callSid: z.string().trim().max(64).regex(/^[A-Za-z0-9]*$/, 'must be a Twilio CallSid').optional(),
  after: z.string().max(200).optional(),
});

const rangeQuery = z.object({ from: dateText, to: dateText });

/** A parsed search: the repository filter, the page cursor, and the query as typed (for links and forms). */
export interface ParsedSearch {
  filter: CallSearchFilter;
  after: string | null;
  form: Record<string, string>;
}

/** Parses a request part against a schema or throws a 400 naming the first problem. */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AppError(400, 'bad-request', `${issue.path.join('.') || 'query'}: ${issue.message}`);
  }
  return result.data;
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
}

/** Everything supervisors see of one call; masked, with no snapshot, TwiML, hash, PIN or code. */
export interface CallTimeline {
  call: CallSummary;
  steps: TimelineStep[];
  ending: { state: string | null; outcome: string | null; endedAt: Date | null };
  passwordChange: { at: Date; channel: string; status: string; idMasked: string; callerMasked: string } | null;
  logs: Array<{ at: Date; level: string; message: string; fields: Record<string, unknown> }>;
}

/** The flow view: the machine's graph with counts for calls that started in a range. */
export interface FlowView {
  from: Date;
  to: Date;
  graph: FlowGraph;
  counts: FlowCounts;
}

/** One step of the password funnel with its drop-off from the previous step. */
export interface FunnelStep {
  step: 'called' | 'identified' | 'verified' | 'password set';
  calls: number;
  dropOff: number;
  /** Share of the previous step that got here (1 for the first step). */
  rate: number;
}

/** Search, timelines, flow counts and the funnel for the supervisor console and its API. */
export class CallReviewService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Turns query parameters into a filter: last digits or a full number for the caller, masked or full ID. */
  parseSearch(query: unknown): ParsedSearch {
    const q = parse(searchQuery, query);
    const pepper = this.deps.config.pinPepper;
    const filter: CallSearchFilter = { from: q.from, to: q.to };
    if (q.outcome) filter.outcome = q.outcome;
    if (q.language) filter.language = q.language;
    if (q.callSid) filter.callSid = q.callSid;
    if (q.caller) {
      const digits = q.caller.replace(/[^0-9]/g, '');
      if (digits.length >= 1 && digits.length <= 4) filter.callerLast = digits;
      else if (digits.length >= 7) filter.callerHashes = [...new Set([digits, `86${digits}`].map((d) => keyedHash(pepper, 'caller', d)))];
      else throw new AppError(400, 'bad-request', 'caller: the last 1 to 4 digits, or the full number');
    }
    if (q.id) {
      const id = q.id.toUpperCase().replace(/\s/g, '');
      if (MASKED_ID.test(id)) filter.idMasked = id;
      else if (FULL_ID.test(id)) filter.idHash = keyedHash(pepper, 'citizen-id', id);
      else throw new AppError(400, 'bad-request', 'id: the masked form (1101**********002X) or the full 18-character number');
    }
    const form = Object.fromEntries(
      Object.entries({ from: q.from ? toLocalInput(q.from) : '', to: q.to ? toLocalInput(q.to) : '', outcome: q.outcome ?? '', caller: q.caller ?? '', id: q.id ?? '', language: q.language ?? '', callSid: q.callSid ?? '' }).filter(
        ([, v]) => v !== '',
      ),
    );
    return { filter, after: q.after ?? null, form };
  }

  /** One page of matching calls, newest first. */
  async search(parsed: ParsedSearch, limit = PAGE_SIZE): Promise<CallSearchPage> {
    return this.deps.store.callSearch.search(parsed.filter, { limit, after: parsed.after });
  }

  /** Every matching call (up to CSV_MAX_ROWS) as CSV, masked like the pages. */
  async csv(parsed: ParsedSearch): Promise<string> {
    const header = ['callSid', 'startedAt', 'endedAt', 'durationSeconds', 'language', 'caller', 'id', 'outcome', 'endedIn', 'technicalProblem'];
    const lines = [header.join(',')];
    let after: string | null = null;
    let rows = 0;
    do {
      const page: CallSearchPage = await this.deps.store.callSearch.search(parsed.filter, { limit: 500, after });
      for (const c of page.calls) {
        lines.push(
          [c.callSid, c.startedAt.toISOString(), c.endedAt?.toISOString() ?? '', c.durationSeconds ?? '', c.language, c.callerMasked, c.idMasked ?? '', c.outcome ?? '', c.endedIn ?? c.state, c.hadTrouble ? 'yes' : '']
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
    const [turns, change, logs] = await Promise.all([store.callSearch.turns(callSid), store.passwordChanges.findByCall(callSid), store.callLogs.forCall(callSid)]);
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
      };
    });
    return {
      call,
      steps,
      ending: { state: call.status === 'ended' ? (call.endedIn ?? call.state) : null, outcome: call.outcome, endedAt: call.endedAt },
      passwordChange: change ? { at: change.at, channel: change.channel, status: change.status, idMasked: change.idMasked, callerMasked: change.callerMasked } : null,
      logs: logs.map((line) => ({ at: line.at, level: line.level, message: line.message, fields: safeJson(line.fields) })),
    };
  }

  /** A supervisor's view of one call (page, API or export): the timeline, recorded in the access log. */
  async viewCall(supervisor: string, callSid: string, what: 'page' | 'api' | 'export-json'): Promise<CallTimeline> {
    const timeline = await this.timeline(callSid);
    await this.deps.store.supervisors.logAccess({ supervisor, callSid, at: this.now(), what });
    return timeline;
  }

  /** Records a CSV export (which calls: the filter as typed, masked fields only) in the access log. */
  async logExport(supervisor: string, parsed: ParsedSearch): Promise<void> {
    await this.deps.store.supervisors.logAccess({ supervisor, callSid: null, at: this.now(), what: 'export-csv', detail: JSON.stringify(parsed.form) });
  }

  /** The access log, newest first (optionally for one call). */
  async accessLog(filter: { callSid?: string; limit?: number }) {
    return this.deps.store.supervisors.accessLog(filter);
  }

  /** The time range of a flow or funnel request; by default the 7 days up to now (rounded up to the minute, so this minute counts). */
  parseRange(query: unknown): { from: Date; to: Date } {
    const q = parse(rangeQuery, query);
    const to = q.to ?? new Date(Math.ceil((this.now().getTime() + 1) / 60_000) * 60_000);
    const from = q.from ?? new Date(to.getTime() - 7 * 86_400_000);
    if (from.getTime() >= to.getTime()) throw new AppError(400, 'bad-request', 'from: must be before to');
    return { from, to };
  }

  /** The machine's graph with how many calls (started in the range) passed each state and transition and where they ended. */
  async flow(range: { from: Date; to: Date }): Promise<FlowView> {
    return { ...range, graph: machineGraph(), counts: await this.deps.store.callSearch.flowCounts(range.from, range.to) };
  }

  /** The password journey: called → identified → verified → password set, with drop-off between steps. */
  async funnel(range: { from: Date; to: Date }): Promise<FunnelStep[]> {
    const counts: FunnelCounts = await this.deps.store.callSearch.funnel(range.from, range.to);
    const values: Array<[FunnelStep['step'], number]> = [
      ['called', counts.called],
      ['identified', counts.identified],
      ['verified', counts.verified],
      ['password set', counts.passwordSet],
    ];
    return values.map(([step, calls], i) => {
      const previous = i === 0 ? calls : values[i - 1][1];
      return { step, calls, dropOff: previous - calls, rate: previous === 0 ? 0 : Math.round((calls / previous) * 1000) / 1000 };
    });
  }
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

/** A CSV field, quoted when needed; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it. */
export function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A date as a `datetime-local` input value (UTC, minutes). */
export function toLocalInput(date: Date): string {
  return date.toISOString().slice(0, 16);
}
