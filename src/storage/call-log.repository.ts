import type { CallLogDoc, Models } from './models.ts';

/** One stored log line of a call (already masked by the logger's format). */
export type CallLogLine = CallLogDoc;

/** Log lines that carry a CallSid, kept so supervisors can read them with the call's timeline. */
export class CallLogRepository {
  constructor(private readonly models: Models) {}

  /** Stores one line. */
  async append(line: CallLogLine): Promise<void> {
    await this.models.CallLog.collection.insertOne({ ...line } as never);
  }

  /** Every line of a call, oldest first (at most `limit`). */
  async forCall(callSid: string, limit = 2000): Promise<CallLogLine[]> {
    return this.models.CallLog.find({ callSid }, { _id: 0 }).sort({ at: 1, _id: 1 }).limit(limit).lean<CallLogLine[]>();
  }
}
