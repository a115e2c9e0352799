import { insertOnce, takeFirstFree } from './insert-once.ts';
import type { AccessLogDoc, Models, SupervisorDoc, SupervisorSessionDoc } from './models.ts';

/** A supervisor account as stored (the password only as a hash). */
export type Supervisor = SupervisorDoc;

/** A console login as stored (keyed by the token's keyed hash). */
export type SupervisorSession = SupervisorSessionDoc;

/** One entry of the access log. */
export type AccessLogEntry = AccessLogDoc;

/** Supervisor accounts, their sessions, failed-login records and the access log; nothing kept in memory. */
export class SupervisorRepository {
  constructor(private readonly models: Models) {}

  /** Creates an account; false when the username is taken. */
  async create(username: string, passwordHash: string, now: Date): Promise<boolean> {
    return insertOnce(() => this.models.Supervisor.collection.insertOne({ _id: username, passwordHash, createdAt: now, passwordSetAt: now } as never));
  }

  /** Replaces an account's password hash and ends its sessions; false when there is no such account. */
  async setPassword(username: string, passwordHash: string, now: Date): Promise<boolean> {
    const result = await this.models.Supervisor.updateOne({ _id: username }, { $set: { passwordHash, passwordSetAt: now } });
    await this.models.SupervisorSession.deleteMany({ username });
    return result.matchedCount > 0;
  }

  /** The account, or null. */
  async find(username: string): Promise<Supervisor | null> {
    return this.models.Supervisor.findById(username).lean<Supervisor>();
  }

  /** Stores a new session under the keyed hash of its token. */
  async createSession(session: SupervisorSession): Promise<void> {
    await this.models.SupervisorSession.collection.insertOne(session as never);
  }

  /** The session for a token hash if it has not expired at `now`. */
  async findSession(tokenHash: string, now: Date): Promise<SupervisorSession | null> {
    return this.models.SupervisorSession.findOne({ _id: tokenHash, expiresAt: { $gt: now } }).lean<SupervisorSession>();
  }

  /** Ends a session (logout). */
  async deleteSession(tokenHash: string): Promise<void> {
    await this.models.SupervisorSession.deleteOne({ _id: tokenHash });
  }

  /** Removes sessions that expired before `now` (housekeeping; expired ones are refused anyway). */
  async deleteExpiredSessions(now: Date): Promise<number> {
    return (await this.models.SupervisorSession.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  }

  /**
   * Reserves a login attempt under `key` in a time window before the password is checked: the first free slot
   * `<key>:<window>:<k>` for k below `limit` (a unique insert each, so concurrent logins get different slots). Null
   * when all are taken.
   */
  async reserveLoginSlot(key: string, window: number, limit: number, at: Date): Promise<string | null> {
    const ids = Array.from({ length: limit }, (_x, k) => `${key}:${window}:${k}`);
    const k = await takeFirstFree(ids, (id) => this.models.LoginFailure.collection.insertOne({ _id: id, key, at } as never));
    return k < 0 ? null : ids[k];
  }

  /**
   * Reserves a login attempt past the free allowance of `key`: slot `from + j` may be taken only `delayMs(j)` after
   * slot `from + j - 1` was (a read of a slot that never changes, then a unique insert). The slot, or the moment the
   * next attempt may come.
   */
  async reserveBackoffSlot(key: string, window: number, from: number, upTo: number, at: Date, delayMs: (j: number) => number): Promise<{ slot: string } | { retryAt: Date }> {
    for (let k = from; k < upTo; k += 1) {
      const id = `${key}:${window}:${k}`;
      if (await this.models.LoginFailure.findById(id, { _id: 1 }).lean()) continue;
      const previous = await this.models.LoginFailure.findById(`${key}:${window}:${k - 1}`, { at: 1 }).lean();
      const retryAt = new Date((previous?.at.getTime() ?? 0) + delayMs(k - from));
      if (at < retryAt) return { retryAt };
      if (await insertOnce(() => this.models.LoginFailure.collection.insertOne({ _id: id, key, at } as never))) return { slot: id };
    }
    return { retryAt: new Date(at.getTime() + delayMs(upTo - from)) };
  }

  /** Gives login slots back (the attempt succeeded, or was never checked). */
  async releaseLoginSlots(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.models.LoginFailure.deleteOne({ _id: id })));
  }

  /** Appends to the access log. */
  async logAccess(entry: AccessLogEntry): Promise<void> {
    await this.models.AccessLog.collection.insertOne({ ...entry, detail: entry.detail ?? null } as never);
  }

  /** Access-log entries, newest first, optionally for one call. */
  async accessLog(filter: { callSid?: string; limit?: number } = {}): Promise<AccessLogEntry[]> {
    const query = filter.callSid ? { callSid: filter.callSid } : {};
    return this.models.AccessLog.find(query, { _id: 0 })
      .sort({ at: -1, _id: -1 })
      .limit(filter.limit ?? 100)
      .lean<AccessLogEntry[]>();
  }
}
