import { z } from 'zod';
import type { Config } from '../config.ts';
import { formatLocal, formatLocalInput, nextMinute } from '../domain/local-time.ts';
import { AppError } from '../http/app-error.ts';
import type { AccessLogEntry, AccessLogRead } from '../storage/supervisor.repository.ts';
import type { Store } from '../storage/store.ts';
import { parseConsoleRange, parseOr400, RANGE_FIELDS } from './console-range.parser.ts';
import { csvField } from './csv-field.ts';
import type { ConsoleUser } from './supervisor-account.service.ts';
import { CALL_ID_SEARCH } from '../domain/call-id.ts';

/** What the access log records. */
export const ACCESS_ACTIONS = [
  'view-call',
  'view-card',
  'search',
  'unlock-card',
  'export-calls',
  'view-password-changes',
  'export-password-changes',
  'export-access-log',
  'change-role',
] as const;

/** One kind of access-log entry. */
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** How the access happened: a console page, the JSON API, or a downloaded file. */
export type AccessHow = 'page' | 'api' | 'csv' | 'json';

/** The longest range one access-log request may cover (it is read hour by hour). */
export const ACCESS_LOG_MAX_DAYS = 92;

/** Entries read at most for one page (matching or not) before it asks for a narrower range. */
export const ACCESS_LOG_SCAN_BUDGET = 20_000;

/** Entries one CSV export holds at most. */
export const ACCESS_LOG_CSV_MAX = 10_000;

const accessQuery = z.object({
  ...RANGE_FIELDS,
  supervisor: z.string().trim().toLowerCase().max(64).optional(),
  what: z.enum(ACCESS_ACTIONS).or(z.literal('')).optional(),
  callSid: z.string().trim().max(64).regex(CALL_ID_SEARCH, 'must be a call id (a Twilio CallSid or a jambonz call_sid)').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A parsed access-log request: the range, the filter, the page size and the query as typed in the zone. */
export interface AccessLogQuery {
  from: Date;
  to: Date;
  match: { supervisor?: string; what?: AccessAction; callSid?: string };
  limit: number;
  form: Record<string, string>;
}

/** Records who looked at what in the console, and reads the record back for auditors (filtered, bounded, CSV). */
export class AccessLogService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Appends one entry; `subject` and `detail` must already be masked. */
  async record(user: ConsoleUser, entry: { what: AccessAction; how: AccessHow; callSid?: string | null; subject?: string | null; detail?: string | null }): Promise<void> {
    await this.deps.store.supervisors.logAccess({
      at: this.now(),
      supervisor: user.username,
      role: user.role,
      what: entry.what,
      how: entry.how,
      callSid: entry.callSid ?? null,
      subject: entry.subject ?? null,
      detail: entry.detail ?? null,
    });
  }

  /** Reads the filters (time in the console's zone, default the last 7 days); 400 naming a bad one. */
  parseQuery(query: unknown): AccessLogQuery {
    const q = parseOr400(accessQuery, query);
    const now = this.now();
    const timeZone = this.deps.config.console.timeZone;
    const range = parseConsoleRange(q.from || q.to || q.range ? q : { range: 'last-7-days' }, { timeZone, now });
    const to = range.to ?? nextMinute(now);
    const from = range.from ?? new Date(to.getTime() - 7 * 86_400_000);
    if (from >= to) throw new AppError(400, 'bad-request', 'from: must be before to');
    if (to.getTime() - from.getTime() > ACCESS_LOG_MAX_DAYS * 86_400_000) throw new AppError(400, 'bad-request', `from: the range may cover at most ${ACCESS_LOG_MAX_DAYS} days`);
    const match = { ...(q.supervisor ? { supervisor: q.supervisor } : {}), ...(q.what ? { what: q.what } : {}), ...(q.callSid ? { callSid: q.callSid } : {}) };
    const form: Record<string, string> = { from: formatLocalInput(from, timeZone), to: formatLocalInput(to, timeZone), ...match };
    return { from, to, match, limit: q.limit, form };
  }

  /** The newest matching entries, at most `limit`, reading no more than the scan budget. */
  async read(q: AccessLogQuery): Promise<AccessLogRead> {
    return this.deps.store.supervisors.accessLog({ from: q.from, to: q.to, limit: q.limit, maxScan: ACCESS_LOG_SCAN_BUDGET, match: q.match });
  }

  /** Matching entries (up to ACCESS_LOG_CSV_MAX) as CSV: UTC ISO time and the console's local time side by side. */
  async csv(q: AccessLogQuery): Promise<string> {
    const read = await this.deps.store.supervisors.accessLog({ from: q.from, to: q.to, limit: ACCESS_LOG_CSV_MAX, maxScan: ACCESS_LOG_CSV_MAX * 10, match: q.match });
    const timeZone = this.deps.config.console.timeZone;
    const header = ['at', 'atLocal', 'supervisor', 'role', 'what', 'how', 'callSid', 'subject', 'detail'];
    const rows = read.entries.map((e: AccessLogEntry) =>
      [e.at.toISOString(), formatLocal(e.at, timeZone), e.supervisor, e.role, e.what, e.how, e.callSid ?? '', e.subject ?? '', e.detail ?? ''].map((v) => csvField(String(v))).join(','),
    );
    return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
  }
}
