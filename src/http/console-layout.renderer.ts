import { formatLocal } from '../domain/local-time.ts';
import { can, type Permission } from '../domain/supervisor-role.policy.ts';
import type { ConsoleUser } from '../services/supervisor-account.service.ts';
import { labelOf, msg, ROLE_LABELS, type Bilingual, type ConsoleLanguage, type MessageKey } from './console-messages.catalogue.ts';

/** What every console page is drawn with: the language, the signed-in supervisor (none on the login page), where it is. */
export interface PageFrame {
  language: ConsoleLanguage;
  user?: ConsoleUser;
  /** The page's own path and query, so switching the language comes back to it. */
  path?: string;
  /** On the login page: the language was asked for (`?lang=`), not taken by default. */
  languageChosen?: boolean;
}

/** A page frame plus the console's time zone, for pages that show times. */
export interface PageContext extends PageFrame {
  timeZone: string;
}

/** The console's sections, in navigation order (today's dashboard first: the page after sign-in); each shows only to roles with its permission. */
export const NAV_ITEMS: ReadonlyArray<{ id: string; href: string; label: MessageKey; permission: Permission }> = [
  { id: 'dashboard', href: '/supervisor/dashboard', label: 'nav.dashboard', permission: 'calls' },
  { id: 'calls', href: '/supervisor/calls', label: 'nav.calls', permission: 'calls' },
  { id: 'cards', href: '/supervisor/cards', label: 'nav.cards', permission: 'calls' },
  { id: 'flow', href: '/supervisor/flow', label: 'nav.flow', permission: 'calls' },
  { id: 'callbacks', href: '/supervisor/callbacks', label: 'nav.callbacks', permission: 'calls' },
  { id: 'password-changes', href: '/supervisor/password-changes', label: 'nav.passwordChanges', permission: 'audit' },
  { id: 'access-log', href: '/supervisor/access-log', label: 'nav.accessLog', permission: 'audit' },
  { id: 'accounts', href: '/supervisor/accounts', label: 'nav.accounts', permission: 'accounts' },
];

/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A query string from the non-empty values (with its `?`), or nothing. */
export function query(params: Record<string, string | null | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

/** A moment in the console's zone (`2026-03-01 16:00:05 (UTC+8)`), with the UTC instant as the element's datetime and tooltip. */
export function timeHtml(ctx: PageContext, date: Date | null | undefined): string {
  if (!date) return '–';
  const iso = date.toISOString();
  return `<time datetime="${iso}" title="${iso}">${esc(formatLocal(date, ctx.timeZone))}</time>`;
}

/** A code name in words, with the code itself in the tooltip (`<span title="NO_INPUT">无按键</span>`). */
export function word(table: Record<string, Bilingual>, frame: PageFrame, code: string | null | undefined, className = ''): string {
  if (!code) return '–';
  return `<span class="${esc(['code-word', className].filter(Boolean).join(' '))}" title="${esc(code)}">${esc(labelOf(table, frame.language, code))}</span>`;
}

/** A console text in the page's language, escaped. */
export function t(frame: PageFrame, key: MessageKey, params: Record<string, string | number> = {}): string {
  return esc(msg(frame.language, key, params));
}

function header(frame: PageFrame, active?: string): string {
  const other: ConsoleLanguage = frame.language === 'zh-CN' ? 'en-US' : 'zh-CN';
  const user = frame.user;
  if (!user) {
    const [pathname, search = ''] = (frame.path ?? '/supervisor/login').split('?');
    const params = new URLSearchParams(search);
    params.set('lang', other);
    const switchTo = `${pathname}?${params.toString()}`;
    return `<header class="top"><span class="brand">${t(frame, 'brand')}</span><div class="who"><a href="${esc(switchTo)}" lang="${other}" hreflang="${other}" title="${t(frame, 'switchLanguage.title')}">${t(frame, 'switchLanguage')}</a></div></header>`;
  }
  const nav = NAV_ITEMS.filter((item) => can(user.role, item.permission))
    .map((item) => `<a href="${item.href}"${item.id === active ? ' class="active" aria-current="page"' : ''}>${t(frame, item.label)}</a>`)
    .join('');
  return `<header class="top"><span class="brand">${t(frame, 'brand')}</span><nav aria-label="${t(frame, 'nav.main')}">${nav}</nav>
  <div class="who"><span class="user">${esc(user.username)} <span class="role" title="${esc(user.role)}">${esc(labelOf(ROLE_LABELS, frame.language, user.role))}</span></span>
  <form method="post" action="/supervisor/language"><input type="hidden" name="language" value="${other}"><input type="hidden" name="back" value="${esc(frame.path ?? '')}"><button class="link" type="submit" lang="${other}" title="${t(frame, 'switchLanguage.title')}">${t(frame, 'switchLanguage')}</button></form>
  <form method="post" action="/supervisor/logout"><button class="link sign-out" type="submit">${t(frame, 'signOut')}</button></form></div></header>`;
}

/**
 * The page frame: header with the sections the role may open, the supervisor, the language switch and sign-out; then
 * the body. A page that keeps itself current names `refreshSeconds` (a meta refresh: the console runs no JavaScript).
 */
export function layout(frame: PageFrame, title: string, body: string, active?: string, options: { refreshSeconds?: number } = {}): string {
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${Math.round(options.refreshSeconds)}">` : '';
  return `<!doctype html>
<html lang="${frame.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${esc(title)} · ${t(frame, 'brand')}</title><link rel="stylesheet" href="/supervisor/assets/console.css"></head>
<body>${header(frame, active)}
<main>${body}</main></body></html>`;
}
