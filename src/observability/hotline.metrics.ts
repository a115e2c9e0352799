import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a webhook turn was answered: a new state, a repeated delivery's stored answer, or an apology. */
export type TurnResult = 'advanced' | 'repeated' | 'apology';

/** The hotline's Prometheus metrics, one registry per app so two apps in one process never share counters. */
export class HotlineMetrics {
  readonly registry = new Registry();
  private readonly turns = new Counter({
    name: 'hotline_turns_total',
    help: 'Webhook turns answered, by event and result (advanced, repeated, apology).',
    labelNames: ['event', 'result'] as const,
    registers: [this.registry],
  });
  private readonly turnSeconds = new Histogram({
    name: 'hotline_turn_duration_seconds',
    help: 'Time to answer one webhook turn, from request to TwiML.',
    labelNames: ['event'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly outcomes = new Counter({
    name: 'hotline_call_outcomes_total',
    help: 'Calls ended, by outcome (password-changed, transferred, goodbye, locked, abandoned, ...).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: 'hotline_card_lockouts_total',
    help: 'Cards locked after repeated failed verifications.',
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'hotline_deliveries_total',
    help: 'Messages to citizens (codes, change notices), by channel and result (sent, failed).',
    labelNames: ['channel', 'result'] as const,
    registers: [this.registry],
  });
  private readonly databaseErrors = new Counter({
    name: 'hotline_database_errors_total',
    help: 'Requests that failed because the database could not be reached or answered with an error.',
    labelNames: ['where'] as const,
    registers: [this.registry],
  });
  private readonly databaseCommands = new Counter({
    name: 'hotline_database_commands_total',
    help: 'Commands sent to the database (round trips), by command name.',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });
  private readonly hashing = new Gauge({
    name: 'hotline_password_hashes_in_flight',
    help: 'Password hashes running or waiting for a slot, by pool (calls, console), bounded so a burst cannot starve other turns.',
    labelNames: ['phase', 'pool'] as const,
    registers: [this.registry],
  });
  private readonly consoleRequests = new Gauge({
    name: 'hotline_console_requests',
    help: 'Supervisor console requests being served (running) or waiting for a slot (waiting) on this instance.',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  private readonly consoleRefusals = new Counter({
    name: 'hotline_console_requests_refused_total',
    help: 'Supervisor console requests answered 503 because the console bound and its line were full.',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'hotline_' });
  }

  /** Records one answered webhook turn and how long it took. */
  turn(event: string, result: TurnResult, seconds: number): void {
    this.turns.inc({ event, result });
    this.turnSeconds.observe({ event }, seconds);
  }

  /** Records how a call ended. */
  outcome(outcome: string): void {
    this.outcomes.inc({ outcome });
  }

  /** Records a card lock. */
  lockout(): void {
    this.lockouts.inc();
  }

  /** Records one message delivery attempt's result. */
  delivery(channel: 'sms' | 'email', result: 'sent' | 'failed'): void {
    this.deliveries.inc({ channel, result });
  }

  /** Records a database failure seen while answering a request. */
  databaseError(where: string): void {
    this.databaseErrors.inc({ where });
  }

  /** Records one command sent to the database. */
  databaseCommand(command: string): void {
    this.databaseCommands.inc({ command });
  }

  /** Tracks a hash of a pool (callers' `calls` or the `console`) from waiting for a slot through running; returns the callbacks for each phase change. */
  hashQueued(pool: 'calls' | 'console' = 'calls'): { started(): void; finished(): void } {
    this.hashing.inc({ phase: 'waiting', pool });
    let running = false;
    return {
      started: () => {
        running = true;
        this.hashing.dec({ phase: 'waiting', pool });
        this.hashing.inc({ phase: 'running', pool });
      },
      finished: () => {
        if (running) this.hashing.dec({ phase: 'running', pool });
        else this.hashing.dec({ phase: 'waiting', pool });
      },
    };
  }

  /** Records how many console requests are being served and waiting now. */
  consoleLoad(running: number, waiting: number): void {
    this.consoleRequests.set({ phase: 'running' }, running);
    this.consoleRequests.set({ phase: 'waiting' }, waiting);
  }

  /** Records a console request refused by the bound. */
  consoleRefused(): void {
    this.consoleRefusals.inc();
  }

  /** The metrics in Prometheus' text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** True when an error means the database was unreachable or failed, rather than a bug in the flow. */
export function isDatabaseError(error: unknown): boolean {
  for (let e = error as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (typeof e.name === 'string' && /^Mongo|^MongooseServerSelectionError$|DisconnectedError/.test(e.name)) return true;
  }
  return false;
}
