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
    try {
      await this.models.PasswordChange.create(change);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }

  /** Withdraws a claimed change whose password could not be saved. */
  async release(callSid: string): Promise<void> {
    await this.models.PasswordChange.deleteOne({ callSid });
  }

  /** The change made on a call, if any. */
  async findByCall(callSid: string): Promise<PasswordChange | null> {
    return this.models.PasswordChange.findOne({ callSid }, { _id: 0 }).lean<PasswordChange>();
  }
}
