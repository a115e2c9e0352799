import { z } from 'zod';
import type { Config } from '../config.ts';
import { formatLocal, formatLocalInput, nextMinute } from '../domain/local-time.ts';
import { AppError } from '../http/app-error.ts';
import { encodeCursor } from '../storage/call-search.repository.ts';
import type { Store } from '../storage/store.ts';
import type { AccessHow, AccessLogService } from './access-log.service.ts';
import { passwordChangeView, type PasswordChangeView } from './call-review.service.ts';
import { parseConsoleRange, parseOr400, RANGE_FIELDS } from './console-range.parser.ts';
import { csvField } from './csv-field.ts';
import type { ConsoleUser } from './supervisor-account.service.ts';

/** Whether the calling number was the registered mobile, as the audit filters it. */
export const CALLER_MATCHES = ['yes', 'no', 'unknown'] as const;

/** The longest range one audit request may cover. */
export const PASSWORD_AUDIT_MAX_DAYS = 92;

/** Calls read at most for one page (matching the filter or not) before the page says how far it got. */
export const PASSWORD_AUDIT_SCAN_BUDGET = 2000;

/** Rows one CSV export holds at most. */
export const PASSWORD_AUDIT_CSV_MAX = 10_000;

const auditQuery = z.object({
  ...RANGE_FIELDS,
  match: z.enum(CALLER_MATCHES).or(z.literal('')).optional(),
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A parsed audit request: the range (console's zone), the caller-match filter, the page. */
export interface PasswordAuditQuery {
  from: Date;
  to: Date;
  match: (typeof CALLER_MATCHES)[number] | null;
  after: string | null;
  limit: number;
  form: Record<string, string>;
}

/** One password change in the audit: the change as supervisors see it, and its call. */
export type AuditedChange = PasswordChangeView & { callSid: string; language: string };

/** A page of the audit, newest first: `next` continues after the last call read (null when the range is done). */
export interface PasswordAuditPage {
  changes: AuditedChange[];
  next: string | null;
  /** Calls read for this page. */
  scanned: number;
}

const matchOf = (matched: boolean | null): (typeof CALLER_MATCHES)[number] => (matched === true ? 'yes' : matched === false ? 'no' : 'unknown');

/**
 * The auditors' list of password changes in a time range, with whether each calling number was the registered mobile:
 * read through the call index's `o:password-changed:<hour>` keys and each change record by its CallSid (`_id`), never
 * by filtering the password changes; views and exports are recorded in the access log.
 */
export class PasswordAuditService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; access: AccessLogService; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Reads the filters (time in the console's zone, default the last 7 days); 400 naming a bad one. */
  parseQuery(query: unknown): PasswordAuditQuery {
    const q = parseOr400(auditQuery, query);
    const now = this.now();
    const timeZone = this.deps.config.console.timeZone;
    const range = parseConsoleRange(q.from || q.to || q.range ? q : { range: 'last-7-days' }, { timeZone, now });
    const to = range.to ?? nextMinute(now);
    const from = range.from ?? new Date(to.getTime() - 7 * 86_400_000);
    if (from >= to) throw new AppError(400, 'bad-request', 'from: must be before to');
    if (to.getTime() - from.getTime() > PASSWORD_AUDIT_MAX_DAYS * 86_400_000) throw new AppError(400, 'bad-request', `from: the range may cover at most ${PASSWORD_AUDIT_MAX_DAYS} days`);
    const form: Record<string, string> = { from: formatLocalInput(from, timeZone), to: formatLocalInput(to, timeZone), ...(q.match ? { match: q.match } : {}) };
    return { from, to, match: q.match || null, after: q.after ?? null, limit: q.limit, form };
  }

  /** Up to `limit` changes matching the filter, newest first, reading at most `budget` calls. */
  async read(q: PasswordAuditQuery, budget = PASSWORD_AUDIT_SCAN_BUDGET): Promise<PasswordAuditPage> {
    const { store } = this.deps;
    const changes: AuditedChange[] = [];
    let after = q.after;
    let scanned = 0;
    for (;;) {
      const page = await store.callSearch.search({ outcome: 'password-changed', from: q.from, to: q.to }, { limit: 100, after, now: this.now() });
      const records = await Promise.all(page.calls.map((call) => store.passwordChanges.findByCall(call.callSid)));
      for (const [i, call] of page.calls.entries()) {
        scanned += 1;
        const record = records[i];
        if (record && (!q.match || matchOf(record.callerMatchedMobile ?? null) === q.match)) changes.push({ ...passwordChangeView(record), callSid: call.callSid, language: call.language });
        if (changes.length >= q.limit || scanned >= budget) return { changes, next: i < page.calls.length - 1 || page.next ? encodeCursor(call) : null, scanned };
      }
      if (!page.next) return { changes, next: null, scanned };
      after = page.next;
    }
  }

  /** A supervisor's read of the audit (page or API), recorded in the access log with its filter. */
  async readAs(user: ConsoleUser, q: PasswordAuditQuery, how: AccessHow): Promise<PasswordAuditPage> {
    const page = await this.read(q);
    if (!q.after) await this.deps.access.record(user, { what: 'view-password-changes', how, detail: this.detailOf(q) });
    return page;
  }

  private detailOf(q: PasswordAuditQuery): string {
    return Object.entries(q.form)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
  }

  /** Matching changes (up to PASSWORD_AUDIT_CSV_MAX) as CSV with UTC and local times, recorded in the access log. */
  async csvAs(user: ConsoleUser, q: PasswordAuditQuery): Promise<string> {
    const timeZone = this.deps.config.console.timeZone;
    const page = await this.read({ ...q, after: null, limit: PASSWORD_AUDIT_CSV_MAX }, PASSWORD_AUDIT_CSV_MAX * 5);
    await this.deps.access.record(user, { what: 'export-password-changes', how: 'csv', detail: this.detailOf(q) });
    const header = ['at', 'atLocal', 'callSid', 'id', 'caller', 'callerMatchedMobile', 'verifiedBy', 'status', 'language'];
    const rows = page.changes.map((c) =>
      [c.at.toISOString(), formatLocal(c.at, timeZone), c.callSid, c.idMasked, c.callerMasked, matchOf(c.callerMatchedMobile), c.channel, c.status, c.language].map((v) => csvField(String(v))).join(','),
    );
    return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
  }
}
