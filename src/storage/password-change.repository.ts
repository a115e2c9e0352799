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
  async claim(change: PasswordChange): Promise<boolean> {
    return insertOnce(() => this.models.PasswordChange.create(change));
  }

  /** Marks a claimed change done (the hash is written) or failed (it could not be). */
  async settle(callSid: string, status: 'done' | 'failed'): Promise<void> {
    await this.models.PasswordChange.updateOne({ callSid, status: 'pending' }, { $set: { status } });
  }

  /** Waits (polling, at most `ms`) until a claimed change of a call is done or failed; `pending` if it never settles. */
  async waitUntilSettled(callSid: string, ms: number): Promise<'pending' | 'done' | 'failed'> {
    const deadline = Date.now() + ms;
    for (;;) {
      const change = await this.models.PasswordChange.findOne({ callSid }, { status: 1 }).lean();
      const status = change?.status ?? 'failed';
      if (status !== 'pending' || Date.now() >= deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The change made on a call, if any. */
  async findByCall(callSid: string): Promise<PasswordChange | null> {
    return this.models.PasswordChange.findOne({ callSid }, { _id: 0 }).lean<PasswordChange>();
  }
}
