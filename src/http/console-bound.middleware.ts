import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from './app-error.ts';

/** Seconds a refused console request is told to wait. */
export const CONSOLE_RETRY_AFTER_SECONDS = 2;

/**
 * Bounds the console's work on one instance: at most `maxConcurrent` console requests (pages and API) are served at
 * once, up to `maxQueued` more wait in line for a slot, and any beyond are answered 503 with Retry-After at once. A
 * slot is held until the response is finished or the client went away. Callers' webhooks never pass through it, so
 * supervisors reading history cannot take the event loop or the database from the hotline.
 */
export class ConsoleBound {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most requests seen in flight and waiting at once, and how many were refused (for tests and metrics). */
  readonly seen = { running: 0, waiting: 0, refused: 0 };

  constructor(
    private readonly limits: { maxConcurrent: number; maxQueued: number },
    private readonly observe: { load(running: number, waiting: number): void; refused(): void } = { load() {}, refused() {} },
  ) {}

  private report(): void {
    this.observe.load(this.active, this.waiting.length);
  }

  /** Console requests being served now. */
  get running(): number {
    return this.active;
  }

  /** Console requests waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** The middleware: serves, queues or refuses the request. */
  readonly middleware: RequestHandler = (_req: Request, res: Response, next: NextFunction) => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const nextInLine = this.waiting.shift();
      if (nextInLine) nextInLine();
      else this.active -= 1;
      this.report();
    };
    const start = () => {
      this.seen.running = Math.max(this.seen.running, this.active);
      res.once('close', release);
      next();
    };
    if (this.active < this.limits.maxConcurrent) {
      this.active += 1;
      this.report();
      start();
      return;
    }
    if (this.waiting.length >= this.limits.maxQueued) {
      this.seen.refused += 1;
      this.observe.refused();
      res.setHeader('Retry-After', String(CONSOLE_RETRY_AFTER_SECONDS));
      next(new AppError(503, 'console-busy', `The console is busy; try again in ${CONSOLE_RETRY_AFTER_SECONDS} s`));
      return;
    }
    let abandoned = false;
    const leave = () => {
      abandoned = true;
      const at = this.waiting.indexOf(take);
      if (at !== -1) this.waiting.splice(at, 1);
      this.report();
    };
    const take = () => {
      res.off('close', leave);
      if (abandoned) release();
      else start();
    };
    res.once('close', leave);
    this.waiting.push(take);
    this.seen.waiting = Math.max(this.seen.waiting, this.waiting.length);
    this.report();
  };
}
