import type { Models, OutboxDoc } from './models.ts';

/** A message waiting in the local outbox (body still sealed). */
export type OutboxMessage = OutboxDoc;

/** The local outbox used when no real SMS or email delivery is configured. */
export class OutboxRepository {
  constructor(private readonly models: Models) {}

  /** Stores a sealed message. */
  async add(message: OutboxMessage): Promise<void> {
    await this.models.Outbox.create(message);
  }

  /** Messages to one recipient, newest first. */
  async listFor(toHash: string, limit = 20): Promise<OutboxMessage[]> {
    return this.models.Outbox.find({ toHash }, { _id: 0 }).sort({ createdAt: -1 }).limit(limit).lean<OutboxMessage[]>();
  }
}
