/** Bounds how many slow jobs (password hashing) run at once so other calls' turns are not starved. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly observe: () => { started(): void; finished(): void } = () => ({ started() {}, finished() {} }),
  ) {}

  /** Runs `job` when a slot is free; a finishing job hands its slot straight to the next in line. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    const watch = this.observe();
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
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
