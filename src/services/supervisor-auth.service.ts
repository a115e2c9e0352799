import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { DEFAULT_ROLE, type Role } from '../domain/supervisor-role.policy.ts';
import type { Logger } from '../logging/logger.ts';
import { hashPin, keyedHash, verifyPin } from '../security/secrets.ts';
import { Semaphore } from '../security/semaphore.ts';
import type { Store } from '../storage/store.ts';

/** Usernames: 3 to 64 lower-case letters, digits, dots, dashes or underscores. */
export const USERNAME_PATTERN = /^[a-z0-9._-]{3,64}$/;

/** The shortest supervisor password accepted. */
export const MIN_PASSWORD_LENGTH = 10;

/** Why an account could not be created or a password not set. */
export class SupervisorAccountError extends Error {}

/**
 * The result of a login attempt: `throttled` (too many failures for the username or the address; try again after
 * `retryAfterSeconds`) and `busy` (the console's hashing bound is full) are both answered 429.
 */
export type LoginResult =
  | { ok: true; token: string; username: string; expiresAt: Date }
  | { ok: false; reason: 'wrong' }
  | { ok: false; reason: 'throttled' | 'busy'; retryAfterSeconds: number };

/** Extra slots an address may take past its free allowance in one window (each after a doubling wait). */
const BACKOFF_SLOTS = 64;

/** A hash to verify against when the username does not exist, so both answers take as long. */
let decoyHash: Promise<string> | undefined;

/** Supervisor accounts, logins (throttled), sessions in MongoDB keyed by a keyed hash of a random token. */
export class SupervisorAuthService {
  private readonly now: () => Date;
  /** The console's own hashing bound: never queues (a full bound answers 429), never shared with callers. */
  readonly hashing: Semaphore;

  constructor(private readonly deps: { store: Store; config: Config; logger: Logger; now?: () => Date; hashing?: Semaphore }) {
    this.now = deps.now ?? (() => new Date());
    this.hashing = deps.hashing ?? new Semaphore(deps.config.supervisor.hashConcurrency);
  }

  private tokenHash(token: string): string {
    return keyedHash(this.deps.config.pinPepper, 'supervisor-session', token);
  }

  /** Creates an account with a role (default `supervisor`), or with `reset` sets a new password (and the role, if given) on an existing one and ends its sessions. */
  async addSupervisor(username: string, password: string, options: { reset?: boolean; role?: Role } = {}): Promise<'created' | 'updated'> {
    if (!USERNAME_PATTERN.test(username)) throw new SupervisorAccountError('username: 3 to 64 characters a-z, 0-9, ".", "-" or "_"');
    if (password.length < MIN_PASSWORD_LENGTH) throw new SupervisorAccountError(`password: at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > 256) throw new SupervisorAccountError('password: at most 256 characters');
    const hash = await hashPin(password, this.deps.config.pinPepper);
    const now = this.now();
    if (options.reset) {
      if (!(await this.deps.store.supervisors.setPassword(username, hash, now))) throw new SupervisorAccountError(`no supervisor named ${username}`);
      if (options.role) await this.deps.store.supervisors.setRole(username, options.role);
      return 'updated';
    }
    if (!(await this.deps.store.supervisors.create(username, hash, now, options.role ?? DEFAULT_ROLE))) throw new SupervisorAccountError(`supervisor ${username} already exists (use --reset to set a new password)`);
    return 'created';
  }

  /**
   * Checks a username and password. A free slot of the console's hashing bound is taken first (none: `busy`, before
   * any database work), then a throttle slot for the username and one for the address are reserved before the hash
   * (unique inserts, so a flood cannot get more checks than there are slots); a wrong password keeps them. The
   * username is limited hard per window; the address gets a free allowance and then a doubling backoff, so one
   * address shared by everyone behind a proxy slows down but is not shut out for the window.
   */
  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    const attempt = await this.hashing.tryRun(() => this.checkLogin(username, password, ip));
    if (attempt.ran) return attempt.value;
    this.deps.logger.warn('supervisor login refused', { reason: 'busy', supervisor: username.slice(0, 64), ip });
    return { ok: false, reason: 'busy', retryAfterSeconds: 1 };
  }

  private async checkLogin(username: string, password: string, ip: string): Promise<LoginResult> {
    const { supervisor: rules, pinPepper } = this.deps.config;
    const { supervisors } = this.deps.store;
    const now = this.now();
    const windowMs = rules.lockMinutes * 60_000;
    const window = Math.floor(now.getTime() / windowMs);
    const windowEnds = Math.ceil(((window + 1) * windowMs - now.getTime()) / 1000);
    const userKey = `user:${username.slice(0, 64)}`;
    const ipKey = `ip:${ip}`;
    const throttled = (retryAfterSeconds: number, why: 'username' | 'address'): LoginResult => {
      this.deps.logger.warn('supervisor login throttled', { supervisor: username.slice(0, 64), ip, why, retryAfterSeconds });
      return { ok: false, reason: 'throttled', retryAfterSeconds };
    };
    const ipSlot =
      (await supervisors.reserveLoginSlot(ipKey, window, rules.maxFailuresPerIp, now)) ??
      (await supervisors.reserveBackoffSlot(ipKey, window, rules.maxFailuresPerIp, rules.maxFailuresPerIp + BACKOFF_SLOTS, now, (j) => Math.min(2 ** j, rules.backoffMaxSeconds) * 1000));
    if (typeof ipSlot !== 'string' && 'retryAt' in ipSlot) return throttled(Math.max(1, Math.ceil((ipSlot.retryAt.getTime() - now.getTime()) / 1000)), 'address');
    const ipSlotId = typeof ipSlot === 'string' ? ipSlot : ipSlot.slot;
    const userSlot = await supervisors.reserveLoginSlot(userKey, window, rules.maxFailures, now);
    if (!userSlot) {
      await supervisors.releaseLoginSlots([ipSlotId]);
      return throttled(windowEnds, 'username');
    }
    const account = USERNAME_PATTERN.test(username) ? await supervisors.find(username) : null;
    decoyHash ??= hashPin(randomBytes(16).toString('hex'), pinPepper);
    const valid = await verifyPin(account?.passwordHash ?? (await decoyHash), password, pinPepper);
    if (!account || !valid) {
      this.deps.logger.warn('supervisor login failed', { supervisor: username.slice(0, 64), ip });
      return { ok: false, reason: 'wrong' };
    }
    const userSlots = Array.from({ length: rules.maxFailures }, (_x, k) => `${userKey}:${window}:${k}`);
    await supervisors.releaseLoginSlots([ipSlotId, ...userSlots]);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + rules.sessionMinutes * 60_000);
    await supervisors.createSession({ _id: this.tokenHash(token), username, createdAt: now, expiresAt });
    this.deps.logger.info('supervisor logged in', { supervisor: username, ip });
    return { ok: true, token, username, expiresAt };
  }

  /** The supervisor a session token belongs to, or null when it is unknown or expired. */
  async authenticate(token: string | undefined): Promise<string | null> {
    if (!token || token.length > 128) return null;
    const session = await this.deps.store.supervisors.findSession(this.tokenHash(token), this.now());
    return session?.username ?? null;
  }

  /** Ends a session. */
  async logout(token: string | undefined): Promise<void> {
    if (token) await this.deps.store.supervisors.deleteSession(this.tokenHash(token));
  }
}
