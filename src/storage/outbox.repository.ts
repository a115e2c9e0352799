import { sequenceLength } from './dense-sequence.ts';
import { insertOnce } from './insert-once.ts';
import type { Models, OutboxDoc } from './models.ts';

/** A message waiting in the local outbox (body still sealed). */
export type OutboxMessage = Omit<OutboxDoc, '_id'>;

const messageId = (toHash: string, n: number) => `${toHash}:${n}`;

/**
 * The local outbox used when no real SMS or email delivery is configured. Messages to one recipient are numbered
 * from 0 (`toHash:n`, the first free n claimed by a unique-key insert), so they are read by `_id` only.
 */
export class OutboxRepository {
  /** The next free number per recipient as this instance last saw it (a hint: the insert decides). */
  private readonly next = new Map<string, number>();

  constructor(private readonly models: Models) {}

  private async exists(toHash: string, n: number): Promise<boolean> {
    return (await this.models.Outbox.collection.findOne({ _id: messageId(toHash, n) } as never, { projection: { _id: 1 } })) !== null;
  }

  /** How many messages a recipient has (see dense-sequence.ts). */
  private countFor(toHash: string): Promise<number> {
    return sequenceLength((n) => this.exists(toHash, n));
  }

  /** Stores a sealed message. */
  async add(message: OutboxMessage): Promise<void> {
    let n = this.next.get(message.toHash) ?? (await this.countFor(message.toHash));
    while (!(await insertOnce(() => this.models.Outbox.collection.insertOne({ _id: messageId(message.toHash, n), ...message } as never)))) n += 1;
    this.next.set(message.toHash, n + 1);
  }

  /** Messages to one recipient, newest first. */
  async listFor(toHash: string, limit = 20): Promise<OutboxMessage[]> {
    const count = await this.countFor(toHash);
    const numbers = Array.from({ length: Math.min(limit, count) }, (_, i) => count - 1 - i);
    const docs = await Promise.all(numbers.map(async (n) => (await this.models.Outbox.collection.findOne({ _id: messageId(toHash, n) } as never)) as OutboxDoc | null));
    return docs.filter((doc): doc is OutboxDoc => doc !== null).map(({ _id, ...message }) => message);
  }

  /** Deletes messages older than a moment (retention of the sealed bodies). The outbox only exists outside production with no real delivery, so this one filtered delete (a scan on FerretDB) never meets a caller. */
  async removeOlderThan(before: Date): Promise<number> {
    return (await this.models.Outbox.collection.deleteMany({ createdAt: { $lt: before } } as never)).deletedCount;
  }
}
