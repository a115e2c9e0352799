import { formatLocal } from '../domain/local-time.ts';
import { DASHBOARD_REFRESH_SECONDS, type Dashboard } from '../services/dashboard.service.ts';
import { esc, layout, t, timeHtml, word, type PageContext } from './console-layout.renderer.ts';
import { msg, STATE_LABELS, type MessageKey } from './console-messages.catalogue.ts';

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function tile(ctx: PageContext, label: MessageKey, value: string | number, options: { note?: string; id: string; warn?: boolean } = { id: '' }): string {
  return `<div class="tile${options.warn ? ' warn' : ''}" data-tile="${esc(options.id)}"><div class="tile-label">${t(ctx, label)}</div><div class="tile-value">${esc(value)}</div>${
    options.note ? `<div class="tile-note">${esc(options.note)}</div>` : ''
  }</div>`;
}

/** Today at a glance: the day's totals, the apology-rate warning, where callers hang up, and hour by hour; reloads itself. */
export function dashboardPage(ctx: PageContext, d: Dashboard): string {
  const ofEnded = msg(ctx.language, 'dashboard.ofEnded', { ended: d.ended });
  const warning = d.apologyWarning
    ? `<div class="warning-box" role="alert" data-warning="apology">${t(ctx, 'dashboard.apologyWarning', { rate: percent(d.apologyRate), limit: `${d.apologyWarnPercent}%` })}</div>`
    : '';
  const tiles = [
    tile(ctx, 'dashboard.calls', d.calls, { id: 'calls' }),
    tile(ctx, 'dashboard.inProgress', d.inProgress, { id: 'in-progress', note: msg(ctx.language, 'dashboard.inProgressNote') }),
    tile(ctx, 'dashboard.passwordChanges', d.passwordChanges, { id: 'password-changes' }),
    tile(ctx, 'dashboard.avgHandle', d.avgHandleSecondsPasswordChanged === null ? '–' : `${d.avgHandleSecondsPasswordChanged} s`, { id: 'avg-handle' }),
    tile(ctx, 'dashboard.transfers', d.transfers, { id: 'transfers' }),
    tile(ctx, 'dashboard.agentUnavailable', d.agentUnavailable, { id: 'agent-unavailable' }),
    tile(ctx, 'dashboard.abandonRate', percent(d.abandonRate), { id: 'abandon-rate', note: `${d.abandons} · ${ofEnded}` }),
    tile(ctx, 'dashboard.apologyRate', percent(d.apologyRate), { id: 'apology-rate', note: `${d.trouble} · ${ofEnded}`, warn: d.apologyWarning }),
    tile(ctx, 'dashboard.refusedLocked', d.refusedLocked, { id: 'refused-locked' }),
  ].join('\n');
  const places = d.abandonedIn.map((p) => `<li>${word(STATE_LABELS, ctx, p.state)} <span class="num">${p.calls}</span></li>`).join('');
  const hours = d.hours
    .map(
      (h) => `<tr><td>${timeHtml(ctx, h.start)}</td><td class="num">${h.calls}</td><td class="num">${h.passwordChanges}</td><td class="num">${h.transfers}</td><td class="num">${h.abandons}</td><td class="num">${h.trouble}</td></tr>`,
    )
    .join('\n');
  return layout(
    ctx,
    msg(ctx.language, 'dashboard.title'),
    `<h1>${t(ctx, 'dashboard.title')}</h1>
<p class="intro">${t(ctx, 'dashboard.intro', { from: formatLocal(d.from, ctx.timeZone), seconds: DASHBOARD_REFRESH_SECONDS, at: formatLocal(d.at, ctx.timeZone) })}</p>
${warning}
<div class="tiles">${tiles}</div>
<h2>${t(ctx, 'dashboard.abandonedIn')}</h2>
${places ? `<ol class="abandoned-in">${places}</ol>` : `<p class="muted">${t(ctx, 'dashboard.abandonedNone')}</p>`}
<h2>${t(ctx, 'dashboard.byHour')}</h2>
<table class="results dashboard-hours"><thead><tr><th>${t(ctx, 'dashboard.hour')}</th><th class="num">${t(ctx, 'dashboard.calls')}</th><th class="num">${t(ctx, 'dashboard.passwordChanges')}</th><th class="num">${t(ctx, 'dashboard.transfers')}</th><th class="num">${t(ctx, 'dashboard.abandons')}</th><th class="num">${t(ctx, 'dashboard.trouble')}</th></tr></thead>
<tbody>${hours || `<tr><td colspan="6" class="muted">${t(ctx, 'dashboard.noCalls')}</td></tr>`}</tbody></table>
<p><a href="/supervisor/flow?range=today">${t(ctx, 'dashboard.flowLink')}</a></p>`,
    'dashboard',
    { refreshSeconds: DASHBOARD_REFRESH_SECONDS },
  );
}
