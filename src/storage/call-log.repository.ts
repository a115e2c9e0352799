import { insertOnce } from './insert-once.ts';
import type { CallLogLineDoc, LateLogDoc, Models } from './models.ts';

/** One stored log line of a call (already masked by the logger's format). */
export type CallLogLine = CallLogLineDoc;

/** At most this many late batches are kept per call. */
const MAX_LATE_BATCHES = 50;

const lateId = (callSid: string, n: number) => `${callSid}:late:${n}`;

/**
 * Log lines of a call written outside its turns (a delivery that finished after the answer, the status callback):
 * batches keyed `CallSid:late:n`, n the first free number, so they are read by `_id` like everything else of a call.
 * The lines written while a turn runs are stored in the turn itself.
 */
export class CallLogRepository {
  constructor(private readonly models: Models) {}

  /** Stores a batch of lines of a call. */
  async appendLate(callSid: string, lines: CallLogLine[]): Promise<void> {
    for (let n = 0; n < MAX_LATE_BATCHES; n += 1) {
      if (await insertOnce(() => this.models.LateLog.collection.insertOne({ _id: lateId(callSid, n), callSid, lines } as never))) return;
    }
  }

  /** Every late line of a call, oldest batch first. */
  async late(callSid: string): Promise<CallLogLine[]> {
    const lines: CallLogLine[] = [];
    for (let n = 0; n < MAX_LATE_BATCHES; n += 1) {
      const batch = (await this.models.LateLog.collection.findOne({ _id: lateId(callSid, n) } as never)) as LateLogDoc | null;
      if (!batch) break;
      lines.push(...batch.lines);
    }
    return lines;
  }

  /** Deletes a call's late lines (retention). */
  async remove(callSid: string): Promise<void> {
    for (let n = 0; n < MAX_LATE_BATCHES; n += 1) {
      if ((await this.models.LateLog.collection.deleteOne({ _id: lateId(callSid, n) } as never)).deletedCount === 0) return;
    }
  }
}
