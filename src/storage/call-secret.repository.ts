import { randomBytes } from 'node:crypto';
import { insertOnce } from './insert-once.ts';
import type { Models } from './models.ts';

/** What a live call keeps of a secret: its random key and the first new-PIN entry keyed with it. */
export interface CallSecret {
  key: string;
  firstPin: string | null;
}

/**
 * Secrets that live only as long as their call, in one document keyed by CallSid: a random per-call key and the
 * first new-PIN entry (an HMAC under that key). Nothing else holds them, so deleting the document when the call
 * ends leaves no form of the entry that can be brute-forced, even with the pepper.
 */
export class CallSecretRepository {
  constructor(private readonly models: Models) {}

  /** The call's random key, created on first use (a unique insert: concurrent deliveries of one call agree on it). */
  async keyFor(callSid: string, now: Date): Promise<string> {
    const fresh = randomBytes(32).toString('base64');
    if (await insertOnce(() => this.models.CallSecret.collection.insertOne({ _id: callSid, key: fresh, firstPin: null, at: now } as never))) return fresh;
    const existing = await this.models.CallSecret.findById(callSid, { key: 1 }).lean();
    if (!existing) throw new Error('call secret vanished while being created');
    return existing.key;
  }

  /** Keeps the first new-PIN entry (already keyed with the call's key). */
  async setFirstPin(callSid: string, keyed: string): Promise<void> {
    await this.models.CallSecret.updateOne({ _id: callSid }, { $set: { firstPin: keyed } });
  }

  /** The call's key and first entry, or null once forgotten. */
  async find(callSid: string): Promise<CallSecret | null> {
    const doc = await this.models.CallSecret.findById(callSid, { key: 1, firstPin: 1 }).lean();
    return doc ? { key: doc.key, firstPin: doc.firstPin ?? null } : null;
  }

  /** Forgets every secret of a call (when it ends); nothing happens if there were none. */
  async forget(callSid: string): Promise<void> {
    await this.models.CallSecret.deleteOne({ _id: callSid });
  }
}
