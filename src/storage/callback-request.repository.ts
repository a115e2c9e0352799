import { insertOnce } from './insert-once.ts';
import type { CallbackRequestDoc, ClosedCallbackDoc, Models } from './models.ts';

/** An open callback request as the services see it (without its key, a hash of the caller's number). */
export type CallbackRequest = Omit<CallbackRequestDoc, '_id'>;

/** A closed callback request. */
export type ClosedCallback = Omit<ClosedCallbackDoc, '_id'>;

/** How closing a request went. */
export type CloseResult = 'closed' | 'already-closed' | 'not-found';

/**
 * The callback queue in two collections. `callback_requests` holds only open requests, keyed by the keyed hash
 * of the caller's number: the insert is the one atomic step (on MongoDB and FerretDB alike), so concurrent
 * requests from one number leave exactly one open. Closing copies the request into `callback_requests_closed`
 * (keyed by its CallSid, so a repeated or concurrent close records it once) and then deletes it from the open
 * collection, which therefore stays as small as the work still to do: listing it never reads the history.
 */
export class CallbackRequestRepository {
  constructor(private readonly models: Models) {}

  /** Opens a request for a number; false when that number already has an open one. */
  async open(callerKey: string, request: CallbackRequest): Promise<boolean> {
    return insertOnce(() => this.models.CallbackRequest.collection.insertOne({ _id: callerKey, ...request } as never));
  }

  /** The open request of a number, or null (a look-up by `_id`). */
  async findOpen(callerKey: string): Promise<CallbackRequest | null> {
    return this.models.CallbackRequest.findById(callerKey, { _id: 0 }).lean<CallbackRequest>();
  }

  /** Every open request, oldest first (the open collection only ever holds the requests still to be called back). */
  async listOpen(): Promise<CallbackRequest[]> {
    return this.models.CallbackRequest.find({}, { _id: 0 }).sort({ requestedAt: 1, callSid: 1 }).lean<CallbackRequest[]>();
  }

  /**
   * Closes the open request a call made: records it as closed, then removes it from the open set. Safe to repeat
   * and to race: the closed record is a unique insert, and the delete names the CallSid, so it never removes a
   * newer request the same number made after this one was closed.
   */
  async close(callSid: string, closing: { closedAt: Date; closedBy: string; resolution: string }): Promise<CloseResult> {
    const open = await this.models.CallbackRequest.findOne({ callSid }).lean<CallbackRequestDoc>();
    if (!open) return (await this.models.ClosedCallback.exists({ _id: callSid })) ? 'already-closed' : 'not-found';
    const { _id: callerKey, ...request } = open;
    const recorded = await insertOnce(() => this.models.ClosedCallback.collection.insertOne({ _id: callSid, ...request, ...closing } as never));
    await this.models.CallbackRequest.deleteOne({ _id: callerKey, callSid });
    return recorded ? 'closed' : 'already-closed';
  }

  /** Closed requests of one call (the record of how it was closed), or null. */
  async findClosed(callSid: string): Promise<ClosedCallback | null> {
    return this.models.ClosedCallback.findById(callSid, { _id: 0 }).lean<ClosedCallback>();
  }

  /** Withdraws the open request of a number without a record (QA set-up only: a script starts with no open request). */
  async withdraw(callerKey: string): Promise<void> {
    await this.models.CallbackRequest.deleteOne({ _id: callerKey });
  }

  /** Deletes the closed request a call made (retention; open requests are closed by supervisors first). */
  async removeClosed(callSid: string): Promise<void> {
    await this.models.ClosedCallback.collection.deleteOne({ _id: callSid } as never);
  }
}
