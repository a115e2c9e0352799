import { sequenceLength } from './dense-sequence.ts';
import { insertOnce, takeFirstFree } from './insert-once.ts';
import type { AccessLogDoc, Models, SupervisorDoc, SupervisorSessionDoc } from './models.ts';

/** A supervisor account as stored (the password only as a hash). */
export type Supervisor = SupervisorDoc;

/** A console login as stored (keyed by the token's keyed hash). */
export type SupervisorSession = SupervisorSessionDoc;

/** One entry of the access log. */
export type AccessLogEntry = AccessLogDoc;

/** What the access log is filtered by (exact values; all given ones must match). */
export interface AccessLogMatch {
  supervisor?: string;
  what?: string;
  callSid?: string;
}

/** A newest-first read of the access log and how far back it got. */
export interface AccessLogRead {
  entries: AccessLogEntry[];
  /** Entries read (matching or not). */
  scanned: number;
  /** True when the read stopped (limit or scan budget) before reaching the start of the range. */
  more: boolean;
  /** The oldest hour that was read completely, or the range start when the whole range was read. */
  readBackTo: Date;
}

const SEQ_WIDTH = 6;
const PROBE_BATCH = 8;
const BUCKETS_AT_ONCE = 12;
const HOUR = 3_600_000;

/** The access-log bucket of a moment: its UTC hour as `YYYYMMDDHH`. */
export function accessLogBucket(at: Date): string {
  return at.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

const entryId = (bucket: string, seq: number) => `${bucket}:${String(seq).padStart(SEQ_WIDTH, '0')}`;

/** Supervisor accounts, their sessions, failed-login records and the access log; nothing kept in memory but a write hint. */
export class SupervisorRepository {
  /** The next free sequence number of the newest bucket this instance wrote to (a hint: a taken number is skipped). */
  private nextSeq: { bucket: string; seq: number } | null = null;

  constructor(private readonly models: Models) {}
  /** Creates an account; false when the username is taken. */
  async create(username: string, passwordHash: string, now: Date, role = 'supervisor'): Promise<boolean> {
    return insertOnce(() => this.models.Supervisor.collection.insertOne({ _id: username, passwordHash, createdAt: now, passwordSetAt: now, role, language: null } as never));
  }

  /** Sets an account's role; false when there is no such account. */
  async setRole(username: string, role: string): Promise<boolean> {
    return (await this.models.Supervisor.updateOne({ _id: username }, { $set: { role } })).matchedCount > 0;
  }

  /** Sets the console language an account chose; false when there is no such account. */
  async setLanguage(username: string, language: string): Promise<boolean> {
    return (await this.models.Supervisor.updateOne({ _id: username }, { $set: { language } })).matchedCount > 0;
  }

  /** Every account without its password hash, by username (a small collection, read whole). */
  async list(): Promise<Array<Omit<Supervisor, 'passwordHash'>>> {
    return this.models.Supervisor.find({}, { passwordHash: 0 }).sort({ _id: 1 }).limit(1000).lean<Array<Omit<Supervisor, 'passwordHash'>>>();
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

  /** Deletes login-failure slots taken before `cutoff` (housekeeping: their windows are over; a small collection). */
  async deleteLoginFailuresBefore(cutoff: Date): Promise<number> {
    return (await this.models.LoginFailure.deleteMany({ at: { $lt: cutoff } })).deletedCount;
  }

  /** Gives login slots back (the attempt succeeded, or was never checked). */
  async releaseLoginSlots(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.models.LoginFailure.deleteOne({ _id: id })));
  }

  /**
   * Appends to the access log under `<hour>:<n>`, claiming the next free number of the hour with a unique insert
   * (atomic on every server), so the hour's entries are numbered 0, 1, 2… without gaps.
   */
  async logAccess(entry: Omit<AccessLogEntry, '_id'>): Promise<void> {
    const bucket = accessLogBucket(entry.at);
    let seq = this.nextSeq?.bucket === bucket ? this.nextSeq.seq : await this.firstFree(bucket);
    for (let attempt = 0; attempt < 10_000; attempt += 1, seq += 1) {
      if (await insertOnce(() => this.models.AccessLog.collection.insertOne({ ...entry, _id: entryId(bucket, seq) } as never))) {
        this.nextSeq = { bucket, seq: seq + 1 };
        return;
      }
    }
    throw new Error(`access log hour ${bucket} is full`);
  }

  private async has(bucket: string, seq: number): Promise<boolean> {
    return (await this.models.AccessLog.findById(entryId(bucket, seq), { _id: 1 }).lean()) !== null;
  }

  /** The first free number of an hour (see dense-sequence.ts): `_id` look-ups only. */
  private firstFree(bucket: string): Promise<number> {
    return sequenceLength((seq) => this.has(bucket, seq));
  }


  /** Every entry of one hour, read by `_id`: the first number alone (most hours are empty), then batches until one ends on a free number. */
  private async readBucket(bucket: string): Promise<AccessLogEntry[]> {
    const first = await this.models.AccessLog.findById(entryId(bucket, 0)).lean<AccessLogEntry>();
    if (!first) return [];
    const found: AccessLogEntry[] = [first];
    for (let start = 1; ; start += PROBE_BATCH) {
      const batch = await Promise.all(Array.from({ length: PROBE_BATCH }, (_, i) => this.models.AccessLog.findById(entryId(bucket, start + i)).lean<AccessLogEntry>()));
      for (const entry of batch) if (entry) found.push(entry);
      if (!batch[PROBE_BATCH - 1]) return found;
    }
  }

  /**
   * Access-log entries in [from, to) matching the filter, newest first: reads the range hour by hour backwards by
   * `_id` (a few hours at once) and stops at `limit` matches or after `maxScan` entries read, so one request's cost
   * is bounded by the range and the budget, not by the size of the log.
   */
  async accessLog(query: { from: Date; to: Date; limit: number; maxScan: number; match?: AccessLogMatch }): Promise<AccessLogRead> {
    const { from, to, limit, maxScan, match = {} } = query;
    const entries: AccessLogEntry[] = [];
    let scanned = 0;
    const first = Math.floor((to.getTime() - 1) / HOUR) * HOUR;
    const last = Math.floor(from.getTime() / HOUR) * HOUR;
    for (let hour = first; hour >= last; hour -= BUCKETS_AT_ONCE * HOUR) {
      const hours = Array.from({ length: BUCKETS_AT_ONCE }, (_, i) => hour - i * HOUR).filter((h) => h >= last);
      const read = (await Promise.all(hours.map((h) => this.readBucket(accessLogBucket(new Date(h)))))).flat();
      read.sort((a, b) => b.at.getTime() - a.at.getTime() || (a._id < b._id ? 1 : -1));
      scanned += read.length;
      for (const entry of read) {
        if (entry.at < from || entry.at >= to) continue;
        if ((match.supervisor && entry.supervisor !== match.supervisor) || (match.what && entry.what !== match.what) || (match.callSid && entry.callSid !== match.callSid)) continue;
        entries.push(entry);
        if (entries.length >= limit) return { entries, scanned, more: true, readBackTo: entry.at };
      }
      const oldestHour = hours[hours.length - 1];
      if (scanned >= maxScan && oldestHour > last) return { entries, scanned, more: true, readBackTo: new Date(oldestHour) };
    }
    return { entries, scanned, more: false, readBackTo: from };
  }
}
