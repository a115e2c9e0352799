/** Bounds how many slow jobs (password hashing) run at once so other calls' turns are not starved. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most jobs seen running at once, and the longest queue seen (for tests and metrics). */
  peak = { running: 0, waiting: 0 };

  constructor(
    private readonly limit: number,
    private readonly observe: () => { started(): void; finished(): void } = () => ({ started() {}, finished() {} }),
  ) {}

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Runs `job` when a slot is free; a finishing job hands its slot straight to the next in line. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    const watch = this.observe();
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.peak.waiting = Math.max(this.peak.waiting, this.waiting.length);
      });
    } else this.active += 1;
    return this.runHolding(job, watch);
  }

  /** Runs `job` only if a slot is free right now (never queues): `ran: false` when the bound is full. */
  async tryRun<T>(job: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.active >= this.limit) return { ran: false };
    this.active += 1;
    return { ran: true, value: await this.runHolding(job, this.observe()) };
  }

  private async runHolding<T>(job: () => Promise<T>, watch: { started(): void; finished(): void }): Promise<T> {
    this.peak.running = Math.max(this.peak.running, this.active);
    watch.started();
    try {
      return await job();
    } finally {
      watch.finished();
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** Runs `work` on every item, at most `limit` at once (background writes that must leave the pool to the callers' turns). */
export async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
