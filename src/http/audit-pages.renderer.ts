import { offsetLabel, QUICK_RANGES } from '../domain/local-time.ts';
import { ROLES } from '../domain/supervisor-role.policy.ts';
import { ACCESS_ACTIONS, type AccessLogQuery } from '../services/access-log.service.ts';
import { CALLER_MATCHES, type PasswordAuditPage, type PasswordAuditQuery } from '../services/password-audit.service.ts';
import type { AccountSummary } from '../services/supervisor-account.service.ts';
import type { AccessLogRead } from '../storage/supervisor.repository.ts';
import { esc, layout, query, t, timeHtml, word, type PageContext } from './console-layout.renderer.ts';
import { ACCESS_LABELS, CHANGE_LABELS, labelOf, msg, ROLE_LABELS, type MessageKey } from './console-messages.catalogue.ts';
import { callerMatchHtml } from './supervisor-pages.renderer.ts';

/** The access log for auditors: filters (supervisor, time in the console's zone with quick ranges, what), newest entries, CSV export. */
export function accessLogPage(ctx: PageContext, q: AccessLogQuery, read: AccessLogRead, now: Date): string {
  const f = q.form;
  const keep = Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'from' && k !== 'to'));
  const quick = QUICK_RANGES.map((range) => `<a href="${esc(`/supervisor/access-log${query({ ...keep, range })}`)}" data-range="${range}">${t(ctx, `range.${range}` as MessageKey)}</a>`).join('');
  const whatOptions = ACCESS_ACTIONS.map((a) => `<option value="${a}" title="${a}"${f.what === a ? ' selected' : ''}>${esc(labelOf(ACCESS_LABELS, ctx.language, a))}</option>`).join('');
  const rows = read.entries
    .map(
      (e) => `<tr data-what="${esc(e.what)}">
  <td>${timeHtml(ctx, e.at)}</td><td>${esc(e.supervisor)}</td><td>${word(ROLE_LABELS, ctx, e.role)}</td><td>${word(ACCESS_LABELS, ctx, e.what)}</td><td>${word(ACCESS_LABELS, ctx, e.how)}</td>
  <td class="mono">${e.callSid ? `<a href="/supervisor/calls/${esc(e.callSid)}">${esc(e.callSid)}</a>` : '–'}</td><td class="mono subject">${esc(e.subject ?? '–')}</td><td class="mono detail">${esc(e.detail ?? '')}</td></tr>`,
    )
    .join('\n');
  const status = read.more
    ? read.entries.length >= q.limit
      ? t(ctx, 'access.shown', { n: read.entries.length })
      : t(ctx, 'access.truncated', { scanned: read.scanned, until: '\u0000until' }).replace('\u0000until', timeHtml(ctx, read.readBackTo))
    : '';
  return layout(
    ctx,
    msg(ctx.language, 'access.title'),
    `<h1>${t(ctx, 'access.title')}</h1>
<p class="intro">${t(ctx, 'access.intro')}</p>
<form class="filters" method="get" action="/supervisor/access-log">
  <label>${t(ctx, 'access.supervisor')} <input name="supervisor" maxlength="64" autocomplete="off" value="${esc(f.supervisor)}"></label>
  <label>${t(ctx, 'time.from')} <input name="from" maxlength="40" autocomplete="off" placeholder="2026-03-01 08:00" value="${esc(f.from)}" aria-describedby="zone-hint"></label>
  <label>${t(ctx, 'time.to')} <input name="to" maxlength="40" autocomplete="off" placeholder="2026-03-01 18:00" value="${esc(f.to)}" aria-describedby="zone-hint"></label>
  <label>${t(ctx, 'access.what')} <select name="what"><option value="">${t(ctx, 'any')}</option>${whatOptions}</select></label>
  ${f.callSid ? `<input type="hidden" name="callSid" value="${esc(f.callSid)}">` : ''}
  <p class="zone-hint" id="zone-hint">${t(ctx, 'time.zoneHint', { zone: ctx.timeZone, offset: offsetLabel(now, ctx.timeZone) })}</p>
  <nav class="quick-ranges" aria-label="${t(ctx, 'time.quick')}">${quick}</nav>
  <div><button type="submit">${t(ctx, 'access.filter')}</button></div>
</form>
<div class="pager"><span class="muted status">${status}</span><a href="/api/supervisor/access-log.csv${query(f)}" download>${t(ctx, 'access.exportCsv')}</a></div>
<table class="access-log">
<thead><tr><th>${t(ctx, 'access.at')}</th><th>${t(ctx, 'access.supervisor')}</th><th>${t(ctx, 'access.role')}</th><th>${t(ctx, 'access.what')}</th><th>${t(ctx, 'access.how')}</th><th>${t(ctx, 'access.call')}</th><th>${t(ctx, 'access.subject')}</th><th>${t(ctx, 'access.detail')}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="muted">${t(ctx, 'access.none')}</td></tr>`}</tbody>
</table>`,
    'access-log',
  );
}

/** Accounts for admins: each with role, language and dates, and a form to give another account a different role. */
export function accountsPage(ctx: PageContext, accounts: AccountSummary[]): string {
  const me = ctx.user?.username;
  const rows = accounts
    .map((a) => {
      const roleCell =
        a.username === me
          ? `${word(ROLE_LABELS, ctx, a.role)} <span class="muted">${t(ctx, 'accounts.self')}</span>`
          : `<form class="inline" method="post" action="/supervisor/accounts/${esc(a.username)}/role"><select name="role" aria-label="${t(ctx, 'accounts.role')}">${ROLES.map(
              (r) => `<option value="${r}" title="${r}"${a.role === r ? ' selected' : ''}>${esc(labelOf(ROLE_LABELS, ctx.language, r))}</option>`,
            ).join('')}</select> <button type="submit">${t(ctx, 'accounts.save')}</button></form>`;
      return `<tr data-account="${esc(a.username)}"><td class="mono">${esc(a.username)}</td><td>${roleCell}</td><td>${esc(a.language)}</td><td>${timeHtml(ctx, a.createdAt)}</td><td>${timeHtml(ctx, a.passwordSetAt)}</td></tr>`;
    })
    .join('\n');
  return layout(
    ctx,
    msg(ctx.language, 'accounts.title'),
    `<h1>${t(ctx, 'accounts.title')}</h1>
<p class="intro">${t(ctx, 'accounts.intro')}</p>
<table class="accounts"><thead><tr><th>${t(ctx, 'accounts.username')}</th><th>${t(ctx, 'accounts.role')}</th><th>${t(ctx, 'accounts.language')}</th><th>${t(ctx, 'accounts.created')}</th><th>${t(ctx, 'accounts.passwordSet')}</th></tr></thead>
<tbody>${rows}</tbody></table>`,
    'accounts',
  );
}

/** The auditors' password-change audit: changes in a range (console's zone), filtered by whether the caller was the registered mobile; CSV export. */
export function passwordAuditPage(ctx: PageContext, q: PasswordAuditQuery, page: PasswordAuditPage, now: Date): string {
  const f = q.form;
  const keep = Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'from' && k !== 'to'));
  const quick = QUICK_RANGES.map((range) => `<a href="${esc(`/supervisor/password-changes${query({ ...keep, range })}`)}" data-range="${range}">${t(ctx, `range.${range}` as MessageKey)}</a>`).join('');
  const matchOptions = CALLER_MATCHES.map((m) => `<option value="${m}"${f.match === m ? ' selected' : ''}>${t(ctx, `match.${m}` as MessageKey)}</option>`).join('');
  const rows = page.changes
    .map(
      (c) => `<tr data-match="${c.callerMatchedMobile === true ? 'yes' : c.callerMatchedMobile === false ? 'no' : 'unknown'}"><td>${timeHtml(ctx, c.at)}</td><td class="mono">${esc(c.idMasked)}</td><td class="mono">${esc(c.callerMasked)}</td>
  <td>${callerMatchHtml(ctx, c.callerMatchedMobile)}</td><td>${word(CHANGE_LABELS, ctx, c.channel)}</td><td>${word(CHANGE_LABELS, ctx, c.status)}</td><td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td></tr>`,
    )
    .join('\n');
  const next = page.next ? `<a class="next" href="/supervisor/password-changes${query({ ...f, after: page.next })}">${t(ctx, 'audit.older')}</a>` : '';
  return layout(
    ctx,
    msg(ctx.language, 'audit.title'),
    `<h1>${t(ctx, 'audit.title')}</h1>
<p class="intro">${t(ctx, 'audit.intro')}</p>
<form class="filters" method="get" action="/supervisor/password-changes">
  <label>${t(ctx, 'time.from')} <input name="from" maxlength="40" autocomplete="off" placeholder="2026-03-01 08:00" value="${esc(f.from)}" aria-describedby="zone-hint"></label>
  <label>${t(ctx, 'time.to')} <input name="to" maxlength="40" autocomplete="off" placeholder="2026-03-01 18:00" value="${esc(f.to)}" aria-describedby="zone-hint"></label>
  <label>${t(ctx, 'call.callerMatch')} <select name="match"><option value="">${t(ctx, 'any')}</option>${matchOptions}</select></label>
  <p class="zone-hint" id="zone-hint">${t(ctx, 'time.zoneHint', { zone: ctx.timeZone, offset: offsetLabel(now, ctx.timeZone) })}</p>
  <nav class="quick-ranges" aria-label="${t(ctx, 'time.quick')}">${quick}</nav>
  <div><button type="submit">${t(ctx, 'access.filter')}</button></div>
</form>
<div class="pager"><span class="muted status">${t(ctx, 'audit.scanned', { n: page.scanned })}</span>${next}<a href="/api/supervisor/password-changes.csv${query(f)}" download>${t(ctx, 'calls.exportCsv')}</a></div>
<table class="password-audit"><thead><tr><th>${t(ctx, 'call.changedAt')}</th><th>${t(ctx, 'call.id')}</th><th>${t(ctx, 'call.caller')}</th><th>${t(ctx, 'call.callerMatch')}</th><th>${t(ctx, 'call.verifiedBy')}</th><th>${t(ctx, 'call.changeStatus')}</th><th>CallSid</th></tr></thead>
<tbody>${rows || `<tr><td colspan="7" class="muted">${t(ctx, 'audit.none')}</td></tr>`}</tbody></table>`,
    'password-changes',
  );
}
