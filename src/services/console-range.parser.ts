import { z } from 'zod';
import { AppError } from '../http/app-error.ts';
import { formatLocalInput, parseLocal, QUICK_RANGES, quickRange, type QuickRange } from '../domain/local-time.ts';

/** Parses a request part against a schema or throws a 400 naming the first problem. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AppError(400, 'bad-request', `${issue.path.join('.') || 'query'}: ${issue.message}`);
  }
  return result.data;
}

/** The query fields of a time range (see `RangeInput`), for the console's query schemas. */
export const RANGE_FIELDS = { from: z.string().max(40).optional(), to: z.string().max(40).optional(), range: z.string().max(20).optional() };

/** A time range as typed in the console: `from`/`to` in the console's zone, or a quick range by name. */
export interface RangeInput {
  from?: string;
  to?: string;
  range?: string;
}

/** A parsed range (either end may be open) and the values to show back in the form, in the console's zone. */
export interface ConsoleRange {
  from?: Date;
  to?: Date;
  form: { from?: string; to?: string };
}

function isQuickRange(value: string): value is QuickRange {
  return (QUICK_RANGES as readonly string[]).includes(value);
}

/**
 * Reads `from`/`to` (`2026-03-01 16:00`, in the zone; `…Z` or an offset taken as written) or `range`
 * (`last-hour`, `today`, `yesterday`, `last-7-days`, which wins over from/to); 400 naming the bad field.
 */
export function parseConsoleRange(input: RangeInput, options: { timeZone: string; now: Date }): ConsoleRange {
  const { timeZone, now } = options;
  let from: Date | undefined;
  let to: Date | undefined;
  if (input.range) {
    if (!isQuickRange(input.range)) throw new AppError(400, 'bad-request', `range: one of ${QUICK_RANGES.join(', ')}`);
    ({ from, to } = quickRange(input.range, now, timeZone));
  } else {
    for (const name of ['from', 'to'] as const) {
      const text = input[name]?.trim();
      if (!text) continue;
      const date = text.length <= 40 ? parseLocal(text, timeZone) : null;
      if (!date) throw new AppError(400, 'bad-request', `${name}: must be a date and time in ${timeZone} such as 2026-03-01 16:00 (or ISO with Z)`);
      if (name === 'from') from = date;
      else to = date;
    }
  }
  if (from && to && from.getTime() >= to.getTime()) throw new AppError(400, 'bad-request', 'from: must be before to');
  return {
    from,
    to,
    form: { ...(from ? { from: formatLocalInput(from, timeZone) } : {}), ...(to ? { to: formatLocalInput(to, timeZone) } : {}) },
  };
}
