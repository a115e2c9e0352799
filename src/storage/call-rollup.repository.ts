import { insertOnce } from './insert-once.ts';
import type { Models, RollupDoc } from './models.ts';

/** Counters by name (`calls`, `outcome:locked`, `state:enterId`, …); the names are the recorder's business. */
export type Counts = Record<string, number>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The start of the hour a moment falls in (UTC; every hotline time zone in use is whole hours off UTC). */
export function hourOf(at: Date | number): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The periods counters are kept for: an hour (`2026-03-01T08`) and a day (`2026-03-01`, UTC). */
export function periodsOf(at: Date | number): { hour: string; day: string } {
  const iso = new Date(hourOf(at)).toISOString();
  return { hour: iso.slice(0, 13), day: iso.slice(0, 10) };
}

/** How many periods are read at once. */
const PERIOD_BATCH = 24;

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += PERIOD_BATCH) results.push(...(await Promise.all(items.slice(i, i + PERIOD_BATCH).map(work))));
  return results;
}

function add(total: Counts, counts: Counts): Counts {
  for (const [name, value] of Object.entries(counts)) total[name] = (total[name] ?? 0) + value;
  return total;
}

/**
 * Counters per hour and per day of calls, kept by each instance in its own document (`<period>|<slot>`, the slot
 * claimed with a unique-key insert, then written by that instance alone with absolute values), and added up over the
 * slots when read. A week is read from seven day documents (a partial day from its hours), never from the calls.
 */
export class CallRollupRepository {
  private readonly slots = new Map<string, number>();

  constructor(private readonly models: Models) {}

  /** Stores this instance's counters for a period (absolute values: writing them again changes nothing). */
  async write(period: string, counts: Counts): Promise<void> {
    const slot = this.slots.get(period);
    if (slot !== undefined) {
      await this.models.CallRollup.collection.updateOne({ _id: `${period}|${slot}` } as never, { $set: { counts } } as never);
      return;
    }
    for (let next = 0; ; next += 1) {
      if (await insertOnce(() => this.models.CallRollup.collection.insertOne({ _id: `${period}|${next}`, period, counts } as never))) {
        this.slots.set(period, next);
        return;
      }
    }
  }

  /** Forgets this instance's slot for a period whose counters it no longer holds: later counts for it go to a new slot. */
  forget(period: string): void {
    this.slots.delete(period);
  }

  /** The counters of one period, added up over every instance's slot. */
  async readPeriod(period: string): Promise<Counts> {
    const total: Counts = {};
    for (let slot = 0; ; slot += 1) {
      const doc = (await this.models.CallRollup.collection.findOne({ _id: `${period}|${slot}` } as never)) as RollupDoc | null;
      if (!doc) return total;
      add(total, doc.counts ?? {});
    }
  }

  /** The counters of every hour from `from` to `to`, by the hour's start (hours with no calls are absent). */
  async hourly(from: Date, to: Date): Promise<Map<number, Counts>> {
    const hours: number[] = [];
    for (let hour = hourOf(from); hour < to.getTime(); hour += HOUR_MS) hours.push(hour);
    const counts = await inBatches(hours, (hour) => this.readPeriod(periodsOf(hour).hour));
    const result = new Map<number, Counts>();
    hours.forEach((hour, i) => {
      if (Object.keys(counts[i]).length > 0) result.set(hour, counts[i]);
    });
    return result;
  }

  /** The counters of a range added up: whole days from their day documents, the hours at either end from theirs. */
  async total(from: Date, to: Date): Promise<Counts> {
    const periods: string[] = [];
    let at = hourOf(from);
    while (at < to.getTime()) {
      if (at % DAY_MS === 0 && at + DAY_MS <= to.getTime()) {
        periods.push(periodsOf(at).day);
        at += DAY_MS;
      } else {
        periods.push(periodsOf(at).hour);
        at += HOUR_MS;
      }
    }
    const counts = await inBatches(periods, (period) => this.readPeriod(period));
    return counts.reduce((total, each) => add(total, each), {} as Counts);
  }
}
