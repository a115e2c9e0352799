/** Console roles, each allowed everything the one before it is: supervisor < auditor < admin. */
export const ROLES = ['supervisor', 'auditor', 'admin'] as const;

/** A console role. */
export type Role = (typeof ROLES)[number];

/** The role of an account stored before roles existed (least privilege; promote with `supervisor:add -- --role`). */
export const DEFAULT_ROLE: Role = 'supervisor';

/** What a page or API route needs. */
export type Permission = 'calls' | 'audit' | 'accounts' | 'unlock';

/** The lowest role that has each permission. */
export const PERMISSION_ROLE: Record<Permission, Role> = {
  /** The dashboard, call search, timelines, card pages, the flow view, callbacks. */
  calls: 'supervisor',
  /** The access log and the password-change audit. */
  audit: 'auditor',
  /** Accounts and their roles. */
  accounts: 'admin',
  /** Lifting a card's lock before its time. */
  unlock: 'admin',
};

/** True when the role is one of ours. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when the role may do what the permission covers. */
export function can(role: Role, permission: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(PERMISSION_ROLE[permission]);
}
