import { z } from 'zod';
import { AppError } from '../http/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { CallbackRequest } from '../storage/callback-request.repository.ts';
import type { Store } from '../storage/store.ts';
import { isCallId } from '../domain/call-id.ts';

/** How a supervisor closes a callback request. */
export const CALLBACK_RESOLUTIONS = ['called-back', 'no-answer', 'not-needed'] as const;

/** One of the ways a callback request is closed. */
export type CallbackResolution = (typeof CALLBACK_RESOLUTIONS)[number];

/** An open callback request as supervisors see it (masked caller; no hash, no number). */
export type OpenCallback = CallbackRequest & { overdue: boolean };

const closeBody = z.object({ resolution: z.enum(CALLBACK_RESOLUTIONS, { message: `must be one of ${CALLBACK_RESOLUTIONS.join(', ')}` }) });
const callSid = z.string().refine(isCallId, 'must be a call id (a Twilio CallSid or a jambonz call_sid)');

/** The callback queue for the console: the open requests, and closing one (any signed-in supervisor). */
export class CallbackQueueService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; logger: Logger; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Every open request, oldest first, marked overdue once the time the caller was told has passed. */
  async open(): Promise<OpenCallback[]> {
    const now = this.now().getTime();
    return (await this.deps.store.callbacks.listOpen()).map((request) => ({ ...request, overdue: request.dueBy.getTime() < now }));
  }

  /** Closes the request a call made; 404 when there is none, 409 when it was already closed. */
  async close(supervisor: string, sid: unknown, body: unknown): Promise<{ callSid: string; resolution: CallbackResolution }> {
    const parsedSid = callSid.safeParse(sid);
    if (!parsedSid.success) throw new AppError(400, 'bad-request', 'callSid: must be a Twilio CallSid');
    const parsed = closeBody.safeParse(body ?? {});
    if (!parsed.success) throw new AppError(400, 'bad-request', `resolution: ${parsed.error.issues[0].message}`);
    const result = await this.deps.store.callbacks.close(parsedSid.data, { closedAt: this.now(), closedBy: supervisor, resolution: parsed.data.resolution });
    if (result === 'not-found') throw new AppError(404, 'not-found', 'No callback request for that call');
    if (result === 'already-closed') throw new AppError(409, 'already-closed', 'That callback request is already closed');
    this.deps.logger.child({ callSid: parsedSid.data }).info('callback closed', { supervisor, resolution: parsed.data.resolution });
    return { callSid: parsedSid.data, resolution: parsed.data.resolution };
  }
}
