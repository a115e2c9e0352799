import Transport from 'winston-transport';
import type { Logger } from './logger.ts';

/** Where call log lines go: anything with an `append` (the call-log repository). */
export interface CallLogSink {
  append(line: { callSid: string; at: Date; level: string; message: string; fields: string }): Promise<void>;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const OWN_KEYS = new Set(['level', 'message', 'timestamp', 'callSid']);

/** A winston transport that stores every line carrying a callSid (after masking), best effort, never waiting. */
export class CallLogTransport extends Transport {
  constructor(private readonly sink: CallLogSink) {
    super();
  }

  override log(info: Record<string, unknown>, next: () => void): void {
    const callSid = info.callSid;
    if (typeof callSid === 'string' && callSid !== '') {
      const fields = Object.fromEntries(Object.entries(info).filter(([key]) => !OWN_KEYS.has(key)));
      const at = typeof info.timestamp === 'string' ? new Date(info.timestamp) : new Date();
      this.sink
        .append({ callSid, at: Number.isNaN(at.getTime()) ? new Date() : at, level: String(info.level).replace(ANSI, ''), message: String(info.message), fields: JSON.stringify(fields) })
        .catch(() => undefined);
    }
    next();
  }
}

/** Adds the call-log transport to a logger once (a second call with the same logger does nothing). */
export function attachCallLog(logger: Logger, sink: CallLogSink): void {
  if (logger.transports.some((transport) => transport instanceof CallLogTransport)) return;
  logger.add(new CallLogTransport(sink));
}
