import type { Config } from '../config.ts';
import { quickRange } from '../domain/local-time.ts';
import type { Counts } from '../storage/call-rollup.repository.ts';
import type { Store } from '../storage/store.ts';
import { addCounts, COUNTER, countsUnder } from './call-stats.ts';

/** How often the dashboard page reloads itself, seconds. */
export const DASHBOARD_REFRESH_SECONDS = 60;

/** How many states losing most callers the dashboard names. */
const ABANDON_PLACES = 3;

/** One hour of today (a UTC hour of the counters, shown at its start in the console's zone). */
export interface DashboardHour {
  start: Date;
  calls: number;
  passwordChanges: number;
  transfers: number;
  abandons: number;
  /** Calls that met a technical problem (the caller heard the apology). */
  trouble: number;
}

/** Today at a glance, from the counters kept as calls start and end (never from reading calls). */
export interface Dashboard {
  /** Today in the console's zone: [from, to). */
  from: Date;
  to: Date;
  at: Date;
  /** Calls that started today. */
  calls: number;
  /** Calls that started today and have ended. */
  ended: number;
  /** Calls started today whose end is not recorded yet (calls − ended): in progress, or closed later by housekeeping. */
  inProgress: number;
  passwordChanges: number;
  transfers: number;
  agentUnavailable: number;
  abandons: number;
  trouble: number;
  /** Calls with an entry refused, unchecked, while the card was locked (or its day's failures used up). */
  refusedLocked: number;
  /** Abandoned ÷ ended (0 with no ended call). */
  abandonRate: number;
  /** The states most abandoned calls ended in, most first. */
  abandonedIn: Array<{ state: string; calls: number }>;
  /** Average duration of a call that changed a password, seconds (null with none). */
  avgHandleSecondsPasswordChanged: number | null;
  /** Calls with a technical problem ÷ ended (0 with no ended call). */
  apologyRate: number;
  /** The threshold, percent, above which the apology rate is a warning. */
  apologyWarnPercent: number;
  apologyWarning: boolean;
  hours: DashboardHour[];
}

const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

function hourOf(start: Date, counts: Counts): DashboardHour {
  const n = (name: string) => counts[name] ?? 0;
  return {
    start,
    calls: n(COUNTER.calls),
    passwordChanges: n(COUNTER.outcome('password-changed')),
    transfers: n(COUNTER.outcome('transferred')),
    abandons: n(COUNTER.outcome('abandoned')),
    trouble: n(COUNTER.trouble),
  };
}

/** Builds today's dashboard from the hourly counters (added up over instances) of the calls that started today. */
export class DashboardService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Today, hour by hour and in total. */
  async today(): Promise<Dashboard> {
    const at = this.now();
    const { timeZone } = this.deps.config.console;
    const { from, to } = quickRange('today', at, timeZone);
    const hourly = await this.deps.store.callSearch.hourlyCounts(from, to);
    const total: Counts = {};
    for (const counts of hourly.values()) addCounts(total, counts);
    const n = (name: string) => total[name] ?? 0;
    const ended = n(COUNTER.ended);
    const passwordChanges = n(COUNTER.outcome('password-changed'));
    const abandons = n(COUNTER.outcome('abandoned'));
    const trouble = n(COUNTER.trouble);
    const abandonedIn = Object.entries(countsUnder(total, 'ending:'))
      .filter(([key]) => key.endsWith('|abandoned'))
      .map(([key, calls]) => ({ state: key.slice(0, -'|abandoned'.length), calls }))
      .sort((a, b) => b.calls - a.calls || a.state.localeCompare(b.state))
      .slice(0, ABANDON_PLACES);
    const apologyRate = rate(trouble, ended);
    const apologyWarnPercent = this.deps.config.dashboard.apologyWarnPercent;
    const hours = [...hourly.entries()].sort((a, b) => a[0] - b[0]).map(([start, counts]) => hourOf(new Date(start), counts));
    return {
      from,
      to,
      at,
      calls: n(COUNTER.calls),
      ended,
      inProgress: Math.max(0, n(COUNTER.calls) - ended),
      passwordChanges,
      transfers: n(COUNTER.outcome('transferred')),
      agentUnavailable: n(COUNTER.outcome('agent-unavailable')),
      abandons,
      trouble,
      refusedLocked: n(COUNTER.refusedLocked),
      abandonRate: rate(abandons, ended),
      abandonedIn,
      avgHandleSecondsPasswordChanged: passwordChanges === 0 ? null : Math.round(n(COUNTER.handleSeconds('password-changed')) / passwordChanges),
      apologyRate,
      apologyWarnPercent,
      apologyWarning: ended > 0 && apologyRate * 100 > apologyWarnPercent,
      hours,
    };
  }
}
