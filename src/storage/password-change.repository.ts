import type { Models, PasswordChangeDoc } from './models.ts';

/** A recorded password change. */
export type PasswordChange = PasswordChangeDoc;

/** Records every password change for audit. */
export class PasswordChangeRepository {
  constructor(private readonly models: Models) {}

  /** Records a change; a repeated record for the same call is ignored. */
  async record(change: PasswordChange): Promise<void> {
    try {
      await this.models.PasswordChange.create(change);
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
    }
  }

  /** The change made on a call, if any. */
  async findByCall(callSid: string): Promise<PasswordChange | null> {
    return this.models.PasswordChange.findOne({ callSid }, { _id: 0 }).lean<PasswordChange>();
  }
}
