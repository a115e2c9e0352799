import { insertOnce } from './insert-once.ts';
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

  /** Records one failed login under each key (`user:…`, `ip:…`). */
  async recordFailure(keys: string[], at: Date): Promise<void> {
    await this.models.LoginFailure.collection.insertMany(keys.map((key) => ({ key, at })) as never);
  }

  /** Failed logins for a key since a moment. */
  async countFailures(key: string, since: Date): Promise<number> {
    return this.models.LoginFailure.countDocuments({ key, at: { $gt: since } });
  }

  /** Forgets the failures of a key (after a successful login). */
  async clearFailures(key: string): Promise<void> {
    await this.models.LoginFailure.deleteMany({ key });
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
