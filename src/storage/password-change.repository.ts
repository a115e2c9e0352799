import { insertOnce } from './insert-once.ts';
import type { Models, PasswordChangeDoc } from './models.ts';

/** A recorded password change. */
export type PasswordChange = PasswordChangeDoc;

/** Records every password change for audit. */
export class PasswordChangeRepository {
  constructor(private readonly models: Models) {}

  /**
   * Records the change of a call before it is made: a unique-key insert, so of two concurrent deliveries
   * only one hashes, saves and notifies. False when the call already has one.
   */
  async claim(change: Omit<PasswordChange, '_id'>): Promise<boolean> {
    return insertOnce(() => this.models.PasswordChange.collection.insertOne({ _id: change.callSid, ...change } as never));
  }

  /** Marks a claimed change done (the hash is written) or failed (it could not be). */
  async settle(callSid: string, status: 'done' | 'failed'): Promise<void> {
    await this.models.PasswordChange.collection.updateOne({ _id: callSid } as never, { $set: { status } });
  }

  /** Waits (polling, at most `ms`) until a claimed change of a call is done or failed; `pending` if it never settles. */
  async waitUntilSettled(callSid: string, ms: number): Promise<'pending' | 'done' | 'failed'> {
    const deadline = Date.now() + ms;
    for (;;) {
      const change = (await this.models.PasswordChange.collection.findOne({ _id: callSid } as never, { projection: { status: 1 } })) as Pick<PasswordChange, 'status'> | null;
      const status = change?.status ?? 'failed';
      if (status !== 'pending' || Date.now() >= deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The change made on a call, if any. */
  async findByCall(callSid: string): Promise<PasswordChange | null> {
    return (await this.models.PasswordChange.collection.findOne({ _id: callSid } as never)) as PasswordChange | null;
  }

  /** Deletes the change made on a call (retention). */
  async remove(callSid: string): Promise<void> {
    await this.models.PasswordChange.collection.deleteOne({ _id: callSid } as never);
  }
}
