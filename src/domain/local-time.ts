/** Quick time ranges the console offers, in the console's time zone. */
export const QUICK_RANGES = ['last-hour', 'today', 'yesterday', 'last-7-days'] as const;

/** One of the console's quick ranges. */
export type QuickRange = (typeof QUICK_RANGES)[number];

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the IANA time zone (e.g. `Asia/Shanghai`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone }).format(0);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Minutes east of UTC at that moment. */
  offsetMinutes: number;
}

/** The wall-clock reading of a moment in a zone, and the zone's offset from UTC then. */
function wallClock(date: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(date)) parts[part.type] = part.value;
  const offset = /GMT([+-])(\d{2}):(\d{2})/.exec(parts.timeZoneName ?? '');
  const offsetMinutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    offsetMinutes,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The zone's offset at a moment as a label: `UTC+8`, `UTC-3:30`, `UTC`. */
export function offsetLabel(date: Date, timeZone: string): string {
  const minutes = wallClock(date, timeZone).offsetMinutes;
  if (minutes === 0) return 'UTC';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${Math.floor(abs / 60)}${abs % 60 ? `:${pad(abs % 60)}` : ''}`;
}

/** A moment as the console shows it: ISO-like, 24-hour, in the zone, labelled (`2026-03-01 16:00:05 (UTC+8)`). */
export function formatLocal(date: Date, timeZone: string): string {
  const w = wallClock(date, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} (${offsetLabel(date, timeZone)})`;
}

/** A moment as a form value in the zone, without the label: `2026-03-01 16:00` (seconds only when not zero). */
export function formatLocalInput(date: Date, timeZone: string): string {
  const w = wallClock(date, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}${w.second ? `:${pad(w.second)}` : ''}`;
}

/**
 * The moment a wall-clock time in the zone stands for. In a gap (clocks going forward) the time after the gap is
 * taken; in an overlap (clocks going back) the earlier of the two moments.
 */
export function fromWallClock(fields: Omit<WallClock, 'offsetMinutes'>, timeZone: string): Date {
  const asUtc = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  const first = asUtc - wallClock(new Date(asUtc), timeZone).offsetMinutes * 60_000;
  const second = asUtc - wallClock(new Date(first), timeZone).offsetMinutes * 60_000;
  const candidates = [...new Set([first, second])].sort((a, b) => a - b);
  const exact = candidates.find((ms) => ms + wallClock(new Date(ms), timeZone).offsetMinutes * 60_000 === asUtc);
  return new Date(exact ?? candidates[candidates.length - 1]);
}

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const EXPLICIT_OFFSET = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Reads a time typed in the console: `2026-03-01 16:00[:05]`, `2026-03-01T16:00`, or a date alone (its midnight),
 * all in the zone; a value with `Z` or an offset (`2026-03-01T08:00Z`, `…+08:00`) is taken as written.
 * Null when it is none of these or not a real date.
 */
export function parseLocal(text: string, timeZone: string): Date | null {
  const value = text.trim();
  if (EXPLICIT_OFFSET.test(value)) {
    const date = new Date(value.replace(' ', 'T'));
    return Number.isNaN(date.getTime()) ? null : date;
  }
  const m = LOCAL_INPUT.exec(value);
  if (!m) return null;
  const fields = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4] ?? 0), minute: Number(m[5] ?? 0), second: Number(m[6] ?? 0) };
  const check = new Date(Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second));
  if (
    check.getUTCFullYear() !== fields.year ||
    check.getUTCMonth() !== fields.month - 1 ||
    check.getUTCDate() !== fields.day ||
    fields.hour > 23 ||
    fields.minute > 59 ||
    fields.second > 59
  ) {
    return null;
  }
  return fromWallClock(fields, timeZone);
}

/** Midnight (start of the day) in the zone, `days` days after the day that holds `date`. */
function startOfLocalDay(date: Date, timeZone: string, days = 0): Date {
  const w = wallClock(date, timeZone);
  const day = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return fromWallClock({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: 0, minute: 0, second: 0 }, timeZone);
}

/** The start of the minute after `date` (so a range ending there includes this minute). */
export function nextMinute(date: Date): Date {
  return new Date(Math.ceil((date.getTime() + 1) / 60_000) * 60_000);
}

/**
 * A quick range as [from, to): the last hour up to the end of this minute; today and yesterday as whole days in the zone; the last
 * 7 days as today and the six days before it.
 */
export function quickRange(range: QuickRange, now: Date, timeZone: string): { from: Date; to: Date } {
  switch (range) {
    case 'last-hour':
      return { from: new Date(now.getTime() - 3_600_000), to: nextMinute(now) };
    case 'today':
      return { from: startOfLocalDay(now, timeZone), to: startOfLocalDay(now, timeZone, 1) };
    case 'yesterday':
      return { from: startOfLocalDay(now, timeZone, -1), to: startOfLocalDay(now, timeZone) };
    case 'last-7-days':
      return { from: startOfLocalDay(now, timeZone, -6), to: startOfLocalDay(now, timeZone, 1) };
  }
}
