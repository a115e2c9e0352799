import { can } from '../domain/supervisor-role.policy.ts';
import type { CardLookup, CardView, FactorView, LockView } from '../services/card-review.service.ts';
import { esc, layout, query, t, timeHtml, word, type PageContext } from './console-layout.renderer.ts';
import { CALL_LANGUAGE_LABELS, CHANGE_LABELS, FACTOR_LABELS, msg, STATE_LABELS, type MessageKey } from './console-messages.catalogue.ts';
import { callerMatchHtml, outcomeBadge } from './supervisor-pages.renderer.ts';

/** The card look-up form (full or masked ID number), and the cards a masked number matched. */
export function cardLookupPage(ctx: PageContext, typed: string, found: CardLookup | null): string {
  let result = '';
  if (found?.kind === 'matches') {
    const rows = found.matches
      .map(
        (m) => `<tr><td class="mono"><a href="/supervisor/cards/${esc(m.ref)}">${esc(m.idMasked)}</a></td><td>${timeHtml(ctx, m.lastCall.startedAt)}</td>
  <td class="mono">${esc(m.lastCall.callerMasked)}</td><td class="num">${m.calls}</td></tr>`,
      )
      .join('\n');
    result = `<h2>${t(ctx, 'cards.matches', { masked: found.idMasked })}</h2>
<p class="intro">${t(ctx, 'cards.matchesIntro')}</p>
<table class="results card-matches"><thead><tr><th>${t(ctx, 'call.id')}</th><th>${t(ctx, 'cards.lastCall')}</th><th>${t(ctx, 'cards.lastCaller')}</th><th class="num">${t(ctx, 'cards.callCount')}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="4" class="muted">${t(ctx, 'cards.noMatches')}</td></tr>`}</tbody></table>`;
  }
  return layout(
    ctx,
    msg(ctx.language, 'cards.title'),
    `<h1>${t(ctx, 'cards.title')}</h1>
<p class="intro">${t(ctx, 'cards.intro')}</p>
<form class="filters" method="get" action="/supervisor/cards">
  <label>${t(ctx, 'calls.id')} <input name="id" maxlength="32" autocomplete="off" value="${esc(typed)}" placeholder="1101**********002X"></label>
  <div><button type="submit">${t(ctx, 'cards.find')}</button></div>
</form>
${result}`,
    'cards',
  );
}

function lockCell(ctx: PageContext, lock: LockView | null): string {
  if (!lock) return `<span class="muted">${t(ctx, 'card.notLocked')}</span>`;
  return `<span class="outcome locked">${t(ctx, 'card.lockedUntil', { until: '\u0000until' }).replace('\u0000until', timeHtml(ctx, lock.until))}</span>
  <div class="muted">${t(ctx, 'card.lockedSince', { at: '\u0000at' }).replace('\u0000at', timeHtml(ctx, lock.at))} · <a href="/supervisor/calls/${esc(lock.callSid)}">${esc(lock.callSid)}</a></div>`;
}

function factorRow(ctx: PageContext, card: CardView, f: FactorView): string {
  const cap = f.dailyCapUntil
    ? `<div class="outcome locked">${t(ctx, 'card.dailyCapUntil', { until: '\u0000until' }).replace('\u0000until', timeHtml(ctx, f.dailyCapUntil))}</div>`
    : '';
  return `<tr data-factor="${esc(f.factor)}"><td>${word(FACTOR_LABELS, ctx, f.factor)}</td><td>${lockCell(ctx, f.lock)}</td>
  <td class="num">${f.failuresInRun} / ${card.limits.afterFailures}</td><td class="num">${f.failuresToday} / ${card.limits.maxFailuresPerDay}${cap}</td></tr>`;
}

function unlockForm(ctx: PageContext, card: CardView): string {
  const locked = card.factors.some((f) => f.lock);
  if (!locked) return '';
  if (!ctx.user || !can(ctx.user.role, 'unlock')) return `<p class="muted unlock-note">${t(ctx, 'card.unlockAdminOnly')}</p>`;
  return `<form class="unlock" method="post" action="/supervisor/cards/${esc(card.ref)}/unlock">
  <label>${t(ctx, 'card.unlockReason')} <textarea name="reason" required minlength="2" maxlength="300" rows="2"></textarea></label>
  <p class="muted">${t(ctx, 'card.unlockHint')}</p>
  <div><button type="submit">${t(ctx, 'card.unlock')}</button></div>
</form>`;
}

function lockHistoryRow(ctx: PageContext, lock: LockView): string {
  const lifted = lock.unlock
    ? `${t(ctx, 'card.liftedBy', { by: lock.unlock.by, at: '\u0000at' }).replace('\u0000at', timeHtml(ctx, lock.unlock.at))}<div class="muted">${esc(lock.unlock.reason)}</div>`
    : '–';
  return `<tr data-factor="${esc(lock.factor)}"${lock.unlock ? ' class="lifted"' : ''}><td>${word(FACTOR_LABELS, ctx, lock.factor)}</td><td>${timeHtml(ctx, lock.at)}</td><td>${timeHtml(ctx, lock.until)}</td>
  <td class="mono"><a href="/supervisor/calls/${esc(lock.callSid)}">${esc(lock.callSid)}</a></td><td>${lifted}</td></tr>`;
}

/** A card: masked ID, password, locks in force with failures against the limits (unlock for admins), lock history, codes, calls and password changes. */
export function cardPage(ctx: PageContext, card: CardView, flash: { unlocked?: boolean } = {}): string {
  const codes = card.codes
    .map(
      (c) => `<tr data-status="${c.status}"><td>${timeHtml(ctx, c.createdAt)}</td><td>${word(CHANGE_LABELS, ctx, c.channel)}</td><td class="mono">${esc(c.toMasked ?? '–')}</td>
  <td><span class="code-status ${c.status}">${t(ctx, `card.code.${c.status}` as MessageKey)}</span>${c.usedAt ? ` ${timeHtml(ctx, c.usedAt)}` : c.voidedAt ? ` ${timeHtml(ctx, c.voidedAt)}` : ''}</td>
  <td class="num">${c.entries} / ${card.limits.codeMaxEntries}</td><td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td></tr>`,
    )
    .join('\n');
  const calls = card.calls
    .map(
      (c) => `<tr><td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td><td>${timeHtml(ctx, c.startedAt)}</td><td class="num">${c.durationSeconds ?? '–'}</td>
  <td>${word(CALL_LANGUAGE_LABELS, ctx, c.language)}</td><td class="mono">${esc(c.callerMasked)}</td><td>${outcomeBadge(ctx, c.outcome, c.hadTrouble, c.refused)}</td><td>${word(STATE_LABELS, ctx, c.endedIn ?? c.state)}</td></tr>`,
    )
    .join('\n');
  const changes = card.passwordChanges
    .map(
      (p) => `<tr><td>${timeHtml(ctx, p.at)}</td><td>${word(CHANGE_LABELS, ctx, p.status)}</td><td>${word(CHANGE_LABELS, ctx, p.channel)}</td><td class="mono">${esc(p.callerMasked)}</td>
  <td>${callerMatchHtml(ctx, p.callerMatchedMobile)}</td><td class="mono"><a href="/supervisor/calls/${esc(p.callSid)}">${esc(p.callSid)}</a></td></tr>`,
    )
    .join('\n');
  const state = card.lockedUntil
    ? `<span class="outcome locked">${t(ctx, 'card.lockedUntil', { until: '\u0000until' }).replace('\u0000until', timeHtml(ctx, card.lockedUntil))}</span>`
    : `<span class="muted">${t(ctx, 'card.notLocked')}</span>`;
  const next = card.next ? `<a class="next" href="/supervisor/cards/${esc(card.ref)}${query({ after: card.next })}">${t(ctx, 'calls.older')}</a>` : '';
  return layout(
    ctx,
    msg(ctx.language, 'card.title', { id: card.idMasked }),
    `<h1>${t(ctx, 'card.title', { id: '' })}<span class="mono">${esc(card.idMasked)}</span></h1>
${flash.unlocked ? `<div class="ok-box" role="status">${t(ctx, 'card.unlocked')}</div>` : ''}
<dl class="facts card-facts">
  <dt>${t(ctx, 'card.registered')}</dt><dd>${card.registered ? t(ctx, 'card.registered.yes') : `<span class="muted">${t(ctx, 'card.registered.no')}</span>`}</dd>
  <dt>${t(ctx, 'card.state')}</dt><dd class="card-state">${state}</dd>
  <dt>${t(ctx, 'card.mobile')}</dt><dd class="mono">${esc(card.contacts.mobile ?? '–')}</dd><dt>${t(ctx, 'card.email')}</dt><dd class="mono">${esc(card.contacts.email ?? '–')}</dd>
  <dt>${t(ctx, 'card.password')}</dt><dd class="password-state">${card.password.set ? t(ctx, 'card.password.set') : t(ctx, 'card.password.unset')}</dd>
  <dt>${t(ctx, 'card.passwordSetAt')}</dt><dd>${timeHtml(ctx, card.password.setAt)}</dd>
</dl>
<h2>${t(ctx, 'card.locksNow')}</h2>
<table class="factors"><thead><tr><th>${t(ctx, 'card.factor')}</th><th>${t(ctx, 'card.lock')}</th><th class="num">${t(ctx, 'card.failuresInRun')}</th><th class="num">${t(ctx, 'card.failuresToday')}</th></tr></thead>
<tbody>${card.factors.map((f) => factorRow(ctx, card, f)).join('\n')}</tbody></table>
${unlockForm(ctx, card)}
<h2>${t(ctx, 'card.lockHistory')}</h2>
<table class="lock-history"><thead><tr><th>${t(ctx, 'card.factor')}</th><th>${t(ctx, 'card.lockedAt')}</th><th>${t(ctx, 'card.until')}</th><th>${t(ctx, 'card.byCall')}</th><th>${t(ctx, 'card.lifted')}</th></tr></thead>
<tbody>${card.locks.map((l) => lockHistoryRow(ctx, l)).join('\n') || `<tr><td colspan="5" class="muted">${t(ctx, 'card.noLocks')}</td></tr>`}</tbody></table>
${card.moreLocks ? `<p class="muted">${t(ctx, 'card.moreLocks')}</p>` : ''}
<h2>${t(ctx, 'card.codes')}</h2>
<p class="intro">${t(ctx, 'card.codesIntro')}</p>
<table class="codes"><thead><tr><th>${t(ctx, 'card.sentAt')}</th><th>${t(ctx, 'card.channel')}</th><th>${t(ctx, 'card.sentTo')}</th><th>${t(ctx, 'card.codeStatus')}</th><th class="num">${t(ctx, 'card.entries')}</th><th>${t(ctx, 'card.byCall')}</th></tr></thead>
<tbody>${codes || `<tr><td colspan="6" class="muted">${t(ctx, 'card.noCodes')}</td></tr>`}</tbody></table>
<h2>${t(ctx, 'card.passwordChanges')}</h2>
<table class="password-changes"><thead><tr><th>${t(ctx, 'call.changedAt')}</th><th>${t(ctx, 'call.changeStatus')}</th><th>${t(ctx, 'call.verifiedBy')}</th><th>${t(ctx, 'call.caller')}</th><th>${t(ctx, 'call.callerMatch')}</th><th>CallSid</th></tr></thead>
<tbody>${changes || `<tr><td colspan="6" class="muted">${t(ctx, 'card.noChanges')}</td></tr>`}</tbody></table>
<h2>${t(ctx, 'card.calls')}</h2>
<table class="results card-calls"><thead><tr><th>CallSid</th><th>${t(ctx, 'calls.started')}</th><th class="num">${t(ctx, 'calls.seconds')}</th><th>${t(ctx, 'calls.language')}</th><th>${t(ctx, 'call.caller')}</th><th>${t(ctx, 'calls.outcome')}</th><th>${t(ctx, 'calls.endedIn')}</th></tr></thead>
<tbody>${calls || `<tr><td colspan="7" class="muted">${t(ctx, 'card.noCalls')}</td></tr>`}</tbody></table>
<div class="pager">${next}</div>`,
    'cards',
  );
}
