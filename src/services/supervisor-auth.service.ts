import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { DEFAULT_ROLE, type Role } from '../domain/supervisor-role.policy.ts';
import type { Logger } from '../logging/logger.ts';
import { hashPin, keyedHash, verifyPin } from '../security/secrets.ts';
import type { Store } from '../storage/store.ts';

/** Usernames: 3 to 64 lower-case letters, digits, dots, dashes or underscores. */
export const USERNAME_PATTERN = /^[a-z0-9._-]{3,64}$/;

/** The shortest supervisor password accepted. */
export const MIN_PASSWORD_LENGTH = 10;

/** Why an account could not be created or a password not set. */
export class SupervisorAccountError extends Error {}

/** The result of a login attempt. */
export type LoginResult = { ok: true; token: string; username: string; expiresAt: Date } | { ok: false; reason: 'wrong' | 'throttled' };

/** A hash to verify against when the username does not exist, so both answers take as long. */
let decoyHash: Promise<string> | undefined;

/** Supervisor accounts, logins (throttled), sessions in MongoDB keyed by a keyed hash of a random token. */
export class SupervisorAuthService {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: Store; config: Config; logger: Logger; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
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

  /** Checks a username and password; refuses while the username or the address has too many recent failures. */
  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    const { supervisor: rules, pinPepper } = this.deps.config;
    const now = this.now();
    const since = new Date(now.getTime() - rules.lockMinutes * 60_000);
    const userKey = `user:${username.slice(0, 64)}`;
    const ipKey = `ip:${ip}`;
    const [userFailures, ipFailures] = await Promise.all([
      this.deps.store.supervisors.countFailures(userKey, since),
      this.deps.store.supervisors.countFailures(ipKey, since),
    ]);
    if (userFailures >= rules.maxFailures || ipFailures >= rules.maxFailuresPerIp) {
      this.deps.logger.warn('supervisor login throttled', { supervisor: username.slice(0, 64), ip });
      return { ok: false, reason: 'throttled' };
    }
    const account = USERNAME_PATTERN.test(username) ? await this.deps.store.supervisors.find(username) : null;
    decoyHash ??= hashPin(randomBytes(16).toString('hex'), pinPepper);
    const valid = await verifyPin(account?.passwordHash ?? (await decoyHash), password, pinPepper);
    if (!account || !valid) {
      await this.deps.store.supervisors.recordFailure([userKey, ipKey], now);
      this.deps.logger.warn('supervisor login failed', { supervisor: username.slice(0, 64), ip });
      return { ok: false, reason: 'wrong' };
    }
    await this.deps.store.supervisors.clearFailures(userKey);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + rules.sessionMinutes * 60_000);
    await this.deps.store.supervisors.createSession({ _id: this.tokenHash(token), username, createdAt: now, expiresAt });
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
