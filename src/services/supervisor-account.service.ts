import { DEFAULT_ROLE, isRole, type Role } from '../domain/supervisor-role.policy.ts';
import { AppError } from '../http/app-error.ts';
import { DEFAULT_CONSOLE_LANGUAGE, isConsoleLanguage, type ConsoleLanguage } from '../http/console-messages.catalogue.ts';
import type { Store } from '../storage/store.ts';
import type { AccessHow, AccessLogService } from './access-log.service.ts';

/** The signed-in supervisor as the console needs them: name, role and chosen language. */
export interface ConsoleUser {
  username: string;
  role: Role;
  language: ConsoleLanguage;
}

/** One account as admins see it (never the password hash). */
export interface AccountSummary extends ConsoleUser {
  createdAt: Date;
  passwordSetAt: Date;
}

/** Roles and language preferences of console accounts (passwords and sessions stay with SupervisorAuthService). */
export class SupervisorAccountService {
  constructor(private readonly deps: { store: Store; access?: AccessLogService }) {}

  /** The account behind a session: an unknown or missing role reads as `supervisor`, no language as Chinese. */
  async profile(username: string): Promise<ConsoleUser | null> {
    const account = await this.deps.store.supervisors.find(username);
    if (!account) return null;
    return { username, role: isRole(account.role) ? account.role : DEFAULT_ROLE, language: isConsoleLanguage(account.language) ? account.language : DEFAULT_CONSOLE_LANGUAGE };
  }

  /** Remembers the console language a supervisor chose (kept with the account, so it follows them everywhere). */
  async setLanguage(username: string, language: string): Promise<ConsoleLanguage> {
    if (!isConsoleLanguage(language)) throw new AppError(400, 'bad-request', 'language: zh-CN or en-US');
    if (!(await this.deps.store.supervisors.setLanguage(username, language))) throw new AppError(404, 'not-found', 'No such account');
    return language;
  }

  /** Keeps the language picked on the login page for an account that has not chosen one yet. */
  async adoptLanguage(username: string, language: ConsoleLanguage): Promise<void> {
    const account = await this.deps.store.supervisors.find(username);
    if (account && !isConsoleLanguage(account.language)) await this.deps.store.supervisors.setLanguage(username, language);
  }

  /** Every account with its role and language. */
  async list(): Promise<AccountSummary[]> {
    return (await this.deps.store.supervisors.list()).map((a) => ({
      username: a._id,
      role: isRole(a.role) ? a.role : DEFAULT_ROLE,
      language: isConsoleLanguage(a.language) ? a.language : DEFAULT_CONSOLE_LANGUAGE,
      createdAt: a.createdAt,
      passwordSetAt: a.passwordSetAt,
    }));
  }

  /**
   * Gives an account another role in the console, recorded in the access log; an admin cannot change their own (so
   * the last admin cannot lock everyone out).
   */
  async setRole(actor: ConsoleUser, username: string, role: string, how: AccessHow): Promise<Role> {
    if (username === actor.username) throw new AppError(400, 'own-role', 'You cannot change your own role');
    const given = await this.assignRole(username, role);
    await this.deps.access?.record(actor, { what: 'change-role', how, subject: `account ${username}`, detail: `role=${given}` });
    return given;
  }

  /** Gives an account a role (the operator's `supervisor:add -- <name> --role <role>`); 400 for an unknown role, 404 for an unknown account. */
  async assignRole(username: string, role: string): Promise<Role> {
    if (!isRole(role)) throw new AppError(400, 'bad-request', 'role: supervisor, auditor or admin');
    if (!(await this.deps.store.supervisors.setRole(username, role))) throw new AppError(404, 'not-found', `no supervisor named ${username}`);
    return role;
  }

  /** True when an account of that name exists. */
  async exists(username: string): Promise<boolean> {
    return (await this.deps.store.supervisors.find(username)) !== null;
  }
}
