import { offsetLabel, QUICK_RANGES } from '../domain/local-time.ts';
import type { CallSearchPage } from '../storage/call-search.repository.ts';
import { OUTCOMES, type CallTimeline, type FlowView, type FunnelStep, type ParsedSearch } from '../services/call-review.service.ts';
import { esc, layout, query, t, timeHtml, word, type PageContext, type PageFrame } from './console-layout.renderer.ts';
import {
  CALL_LANGUAGE_LABELS,
  CHANGE_LABELS,
  DIAL_STATUS_LABELS,
  EVENT_LABELS,
  FACTOR_LABELS,
  labelOf,
  MESSAGES,
  msg,
  OUTCOME_LABELS,
  STATE_LABELS,
  type Bilingual,
  type MessageKey,
} from './console-messages.catalogue.ts';
import { CALLBACK_RESOLUTIONS, type OpenCallback } from '../services/callback-queue.service.ts';
import { renderFlowDiagram } from './flow-diagram.renderer.ts';

/** Why an entry was refused unchecked, with until when in the console's zone (HTML). */
export function refusalText(ctx: PageContext, reason: string, until: Date | null): string {
  const key = `refused.${reason}`;
  if (!Object.hasOwn(MESSAGES, key)) return esc(reason);
  return t(ctx, key as MessageKey, { until: '\u0000until' }).replace('\u0000until', timeHtml(ctx, until));
}

/** A call's outcome in words, with badges for a technical problem and for an entry refused while the card was locked. */
export function outcomeBadge(ctx: PageContext, outcome: string | null, hadTrouble = false, refused: { reason: string; until: Date } | null = null): string {
  const parts = outcome ? [word(OUTCOME_LABELS, ctx, outcome, `outcome ${outcome}`)] : [`<span class="muted">${t(ctx, 'inProgress')}</span>`];
  if (hadTrouble) parts.push(word(OUTCOME_LABELS, ctx, 'error', 'outcome error'));
  if (refused) parts.push(`<span class="outcome refused-locked" title="refused-locked" data-reason="${esc(refused.reason)}">${refusalText(ctx, refused.reason, refused.until)}</span>`);
  return parts.join(' ');
}

/** Whether the calling number was the card's registered mobile, in words. */
export function callerMatchHtml(ctx: PageContext, matched: boolean | null | undefined): string {
  const key = matched === true ? 'match.yes' : matched === false ? 'match.no' : 'match.unknown';
  return `<span class="caller-match ${matched === true ? 'yes' : matched === false ? 'no' : 'unknown'}">${t(ctx, key)}</span>`;
}

/** The time fields of a search or range form: plain text in the console's zone, with the zone named, and the quick ranges. */
function timeFields(ctx: PageContext, values: { from?: string; to?: string }, keep: Record<string, string>, action: string, now: Date): string {
  const hint = t(ctx, 'time.zoneHint', { zone: ctx.timeZone, offset: offsetLabel(now, ctx.timeZone) });
  const quick = QUICK_RANGES.map((range) => `<a href="${esc(action + query({ ...keep, range }))}" data-range="${range}">${t(ctx, `range.${range}` as MessageKey)}</a>`).join('');
  return `<label>${t(ctx, 'time.from')} <input name="from" inputmode="numeric" autocomplete="off" maxlength="40" placeholder="2026-03-01 08:00" value="${esc(values.from)}" aria-describedby="zone-hint"></label>
  <label>${t(ctx, 'time.to')} <input name="to" inputmode="numeric" autocomplete="off" maxlength="40" placeholder="2026-03-01 18:00" value="${esc(values.to)}" aria-describedby="zone-hint"></label>
  <p class="zone-hint" id="zone-hint">${hint}</p>
  <nav class="quick-ranges" aria-label="${t(ctx, 'time.quick')}">${quick}</nav>`;
}

/** The login form (with the reason of a refused attempt), in the language asked for or Chinese; a language asked for is kept for an account that has none yet. */
export function loginPage(frame: PageFrame, options: { error?: string; username?: string; next?: string } = {}): string {
  return layout(
    frame,
    msg(frame.language, 'login.title'),
    `<form class="login" method="post" action="/supervisor/login">
  <h1>${t(frame, 'login.title')}</h1>
  ${options.error ? `<div class="error-box" role="alert">${esc(options.error)}</div>` : ''}
  <label>${t(frame, 'login.username')} <input name="username" autocomplete="username" required maxlength="64" value="${esc(options.username)}" autofocus></label>
  <label>${t(frame, 'login.password')} <input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
  ${frame.languageChosen ? `<input type="hidden" name="lang" value="${frame.language}">` : ''}
  ${options.next ? `<input type="hidden" name="next" value="${esc(options.next)}">` : ''}
  <button type="submit">${t(frame, 'login.submit')}</button>
</form>`,
  );
}

/** The call search: filters (times in the console's zone, quick ranges), results newest first, next-page link and CSV export. */
export function searchPage(ctx: PageContext, parsed: ParsedSearch, page: CallSearchPage, now: Date): string {
  const f = parsed.form;
  const select = (name: string, values: readonly string[], labels: Record<string, Bilingual>) =>
    `<select name="${name}"><option value="">${t(ctx, 'any')}</option>${values
      .map((v) => `<option value="${esc(v)}" title="${esc(v)}"${f[name] === v ? ' selected' : ''}>${esc(labelOf(labels, ctx.language, v))}</option>`)
      .join('')}</select>`;
  const rows = page.calls
    .map(
      (c) => `<tr>
  <td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td>
  <td>${timeHtml(ctx, c.startedAt)}</td><td class="num">${c.durationSeconds ?? '–'}</td><td>${word(CALL_LANGUAGE_LABELS, ctx, c.language)}</td>
  <td class="mono">${esc(c.callerMasked)}</td><td class="mono">${c.idMasked ? `<a href="/supervisor/calls/${esc(c.callSid)}/card" title="${t(ctx, 'call.openCard')}">${esc(c.idMasked)}</a>` : '–'}</td>
  <td>${outcomeBadge(ctx, c.outcome, c.hadTrouble, c.refused)}</td><td>${word(STATE_LABELS, ctx, c.status === 'ended' ? (c.endedIn ?? c.state) : c.state)}</td></tr>`,
    )
    .join('\n');
  const next = page.next ? `<a class="next" href="/supervisor/calls${query({ ...f, after: page.next })}">${t(ctx, 'calls.older')}</a>` : '';
  const first = parsed.after ? `<a href="/supervisor/calls${query(f)}">${t(ctx, 'calls.newest')}</a>` : '';
  const keep = Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'from' && k !== 'to'));
  return layout(
    ctx,
    msg(ctx.language, 'calls.title'),
    `<h1>${t(ctx, 'calls.title')}</h1>
<form class="filters" method="get" action="/supervisor/calls">
  ${timeFields(ctx, f, keep, '/supervisor/calls', now)}
  <label>${t(ctx, 'calls.outcome')} ${select('outcome', OUTCOMES, OUTCOME_LABELS)}</label>
  <label>${t(ctx, 'calls.caller')} <input name="caller" inputmode="tel" maxlength="32" value="${esc(f.caller)}"></label>
  <label>${t(ctx, 'calls.id')} <input name="id" maxlength="32" value="${esc(f.id)}" placeholder="1101**********002X"></label>
  <label>${t(ctx, 'calls.language')} ${select('language', ['zh-CN', 'en-US'], CALL_LANGUAGE_LABELS)}</label>
  <label>${t(ctx, 'calls.callSid')} <input name="callSid" maxlength="64" value="${esc(f.callSid)}"></label>
  <div><button type="submit">${t(ctx, 'calls.search')}</button> <a href="/supervisor/calls">${t(ctx, 'calls.clear')}</a></div>
</form>
<div class="pager">${first}${next}<a href="/api/supervisor/calls.csv${query(f)}" download>${t(ctx, 'calls.exportCsv')}</a></div>
<table class="results">
<thead><tr><th>CallSid</th><th>${t(ctx, 'calls.started')}</th><th class="num">${t(ctx, 'calls.seconds')}</th><th>${t(ctx, 'calls.language')}</th><th>${t(ctx, 'call.caller')}</th><th>${t(ctx, 'call.id')}</th><th>${t(ctx, 'calls.outcome')}</th><th>${t(ctx, 'calls.endedIn')}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="muted">${t(ctx, 'calls.none')}</td></tr>`}</tbody>
</table>
<div class="pager">${first}${next}</div>`,
    'calls',
  );
}

/** An entry refused in a step, unchecked: why, until when, and that the caller heard a wrong entry. */
function noteHtml(ctx: PageContext, note: CallTimeline['steps'][number]['notes'][number]): string {
  const factor = labelOf(FACTOR_LABELS, ctx.language, note.factor);
  return `<div class="note refused" data-reason="${esc(note.reason)}" data-factor="${esc(note.factor)}"><strong>${refusalText(ctx, note.reason, note.until)}</strong> ${t(ctx, 'refused.unchecked', { factor })}</div>`;
}

function promptList(prompts: Array<{ id: string; text: string }>): string {
  return `<ol class="prompts">${prompts.map((p) => `<li><span class="id">${esc(p.id)}</span>${esc(p.text)}</li>`).join('')}</ol>`;
}

/** What the caller heard last, as a sentence and the prompts (before a hang-up, or after a busy agent line). */
function lastHeardHtml(ctx: PageContext, t_: CallTimeline): string {
  const heard = t_.lastHeard;
  if (!heard) return '';
  const intro =
    heard.reason === 'hangup'
      ? t(ctx, 'call.lastHeard.hangup', { state: labelOf(STATE_LABELS, ctx.language, heard.state ?? '') })
      : t(ctx, 'call.lastHeard.agentBusy', { status: heard.dialCallStatus ? labelOf(DIAL_STATUS_LABELS, ctx.language, heard.dialCallStatus) : labelOf(OUTCOME_LABELS, ctx.language, 'agent-unavailable') });
  const prompts = heard.prompts.length ? promptList(heard.prompts) : `<p class="muted">${t(ctx, 'call.lastHeard.nothing')}</p>`;
  return `<section class="last-heard" data-reason="${heard.reason}"><h2>${t(ctx, 'call.lastHeard')}</h2><p>${intro}</p>${prompts}</section>`;
}

/** How carriers are named on the call page (their own spelling, in every console language). */
const CARRIER_NAMES: Record<string, string> = { twilio: 'Twilio', jambonz: 'jambonz' };

/** One call: facts (the carrier that served it among them), the step-by-step timeline in words (code names in tooltips), what the caller heard last, the password change and the log lines. */

export function callPage(ctx: PageContext, tl: CallTimeline): string {
  const c = tl.call;
  const states = (names: string[]) => names.map((name) => word(STATE_LABELS, ctx, name)).join(' → ');
  const steps = tl.steps
    .map(
      (s) => `<tr>
  <td class="num">${s.step}</td><td>${timeHtml(ctx, s.at)}</td><td>${word(EVENT_LABELS, ctx, s.event)}</td><td class="mono">${esc(s.input ?? '')}</td>
  <td>${states(s.entered) || `<span class="muted">${esc(msg(ctx.language, 'call.stayedIn', { state: labelOf(STATE_LABELS, ctx.language, s.from) }))}</span>`}${s.notes.map((n) => noteHtml(ctx, n)).join('')}</td>
  <td>${promptList(s.prompts)}</td>
  <td class="num">${s.secondsInState ?? '–'}</td><td class="num">${s.processingMs}</td></tr>`,
    )
    .join('\n');
  // The agent line's result is a step of its own; only on the stateless recovery path (no step) is it added here.
  const busyRow =
    tl.lastHeard?.reason === 'agent-unavailable' && !tl.steps.some((s) => s.event === 'DIAL_RESULT')
      ? `<tr class="after-flow"><td class="num">–</td><td>–</td><td>${word(OUTCOME_LABELS, ctx, 'agent-unavailable')}</td><td></td><td>${word(STATE_LABELS, ctx, tl.lastHeard.state)}</td><td>${promptList(tl.lastHeard.prompts)}</td><td class="num">–</td><td class="num">–</td></tr>`
      : '';
  const change = tl.passwordChange
    ? `<dl class="facts password-change"><dt>${t(ctx, 'call.changedAt')}</dt><dd>${timeHtml(ctx, tl.passwordChange.at)}</dd><dt>${t(ctx, 'call.changeStatus')}</dt><dd>${word(CHANGE_LABELS, ctx, tl.passwordChange.status)}</dd>
<dt>${t(ctx, 'call.verifiedBy')}</dt><dd>${word(CHANGE_LABELS, ctx, tl.passwordChange.channel)}</dd><dt>${t(ctx, 'call.card')}</dt><dd class="mono">${esc(tl.passwordChange.idMasked)}</dd>
<dt>${t(ctx, 'call.callerMatch')}</dt><dd>${esc(tl.passwordChange.callerMasked)} · ${callerMatchHtml(ctx, tl.passwordChange.callerMatchedMobile)}</dd></dl>`
    : `<p class="muted">${t(ctx, 'call.noChange')}</p>`;
  const logs = tl.logs
    .map(
      (l) =>
        `<tr><td>${timeHtml(ctx, l.at)}</td><td>${esc(l.level)}</td><td>${esc(l.message)}</td><td class="mono">${esc(
          Object.entries(l.fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' '),
        )}</td></tr>`,
    )
    .join('\n');
  return layout(
    ctx,
    msg(ctx.language, 'call.title', { callSid: c.callSid }),
    `<h1>${esc(msg(ctx.language, 'call.title', { callSid: '' }))}<span class="mono">${esc(c.callSid)}</span></h1>
<dl class="facts">
  <dt>${t(ctx, 'call.started')}</dt><dd>${timeHtml(ctx, c.startedAt)}</dd><dt>${t(ctx, 'call.ended')}</dt><dd>${timeHtml(ctx, c.endedAt)}</dd>
  <dt>${t(ctx, 'call.caller')}</dt><dd class="mono">${esc(c.callerMasked)}</dd><dt>${t(ctx, 'call.id')}</dt><dd class="mono">${esc(c.idMasked ?? '–')}</dd>
  <dt>${t(ctx, 'call.language')}</dt><dd>${word(CALL_LANGUAGE_LABELS, ctx, c.language)}</dd><dt>${t(ctx, 'call.duration')}</dt><dd>${c.durationSeconds === null ? '–' : t(ctx, 'call.seconds', { n: c.durationSeconds })}</dd>
  <dt>${t(ctx, 'call.outcome')}</dt><dd class="ending" data-outcome="${esc(c.outcome ?? '')}">${outcomeBadge(ctx, c.outcome, c.hadTrouble, tl.refused)}</dd><dt>${t(ctx, 'call.endedIn')}</dt><dd>${tl.ending.state ? word(STATE_LABELS, ctx, tl.ending.state) : t(ctx, 'call.stillInProgress')}</dd>
  <dt>${t(ctx, 'call.carrier')}</dt><dd data-carrier="${esc(c.carrier)}">${esc(CARRIER_NAMES[c.carrier] ?? c.carrier)}</dd>
</dl>
<div class="actions"><a href="/api/supervisor/calls/${esc(c.callSid)}/timeline.json" download>${t(ctx, 'call.exportJson')}</a>${c.idMasked ? `<a class="card-link" href="/supervisor/calls/${esc(c.callSid)}/card">${t(ctx, 'call.openCard')} <span class="mono">${esc(c.idMasked)}</span></a>` : ''}<a href="/supervisor/calls">${t(ctx, 'call.back')}</a></div>
${lastHeardHtml(ctx, tl)}
<h2>${t(ctx, 'call.timeline')}</h2>
<table class="timeline">
<thead><tr><th class="num">${t(ctx, 'call.step')}</th><th>${t(ctx, 'call.at')}</th><th>${t(ctx, 'call.event')}</th><th>${t(ctx, 'call.keys')}</th><th>${t(ctx, 'call.entered')}</th><th>${t(ctx, 'call.prompts', { language: labelOf(CALL_LANGUAGE_LABELS, ctx.language, c.language) })}</th><th class="num">${t(ctx, 'call.secondsInState')}</th><th class="num">${t(ctx, 'call.serverMs')}</th></tr></thead>
<tbody>${steps || `<tr><td colspan="8" class="muted">${t(ctx, 'call.noSteps')}</td></tr>`}${busyRow}</tbody>
</table>
<h2>${t(ctx, 'call.passwordChange')}</h2>
${change}
<h2>${t(ctx, 'call.logs')}</h2>
<table class="logs"><thead><tr><th>${t(ctx, 'call.at')}</th><th>${t(ctx, 'call.level')}</th><th>${t(ctx, 'call.message')}</th><th>${t(ctx, 'call.fields')}</th></tr></thead>
<tbody>${logs || `<tr><td colspan="4" class="muted">${t(ctx, 'call.noLogs')}</td></tr>`}</tbody></table>`,
  );
}

/** The flow view: range form (console's zone, quick ranges), the laid-out diagram with counts and drop-off, where calls ended, and the password funnel. */
export async function flowPage(ctx: PageContext, view: FlowView, form: { from: string; to: string }, funnel: FunnelStep[], now: Date): Promise<string> {
  const max = Math.max(1, ...funnel.map((s) => s.calls));
  const funnelRows = funnel
    .map(
      (s) => `<tr><td title="${esc(s.step)}">${t(ctx, `funnel.${s.step}` as MessageKey)}</td><td class="num">${s.calls}</td><td><svg width="240" height="12" role="img" aria-label="${s.calls}"><rect width="${Math.round((s.calls / max) * 240)}" height="12" rx="2" fill="#1f5fa8"/></svg></td>
  <td class="num">${s.dropOff}</td><td class="num">${(s.rate * 100).toFixed(1)}%</td><td class="num">${s.medianSeconds === null ? '–' : `${Math.round(s.medianSeconds)} s`}</td></tr>`,
    )
    .join('\n');
  const endings = view.counts.endings
    .map((e) => `<tr><td>${word(STATE_LABELS, ctx, e.state)}</td><td>${outcomeBadge(ctx, e.outcome)}</td><td class="num">${e.calls}</td></tr>`)
    .join('\n');
  const diagram = await renderFlowDiagram(view, ctx.language);
  return layout(
    ctx,
    msg(ctx.language, 'flow.title'),
    `<h1>${t(ctx, 'flow.title')}</h1>
<form class="filters" method="get" action="/supervisor/flow">
  ${timeFields(ctx, form, {}, '/supervisor/flow', now)}
  <div><button type="submit">${t(ctx, 'flow.show')}</button></div>
</form>
<p class="summary">${t(ctx, 'flow.summary', { calls: view.counts.calls, from: '\u0000from', to: '\u0000to' }).replace('\u0000from', timeHtml(ctx, view.from)).replace('\u0000to', timeHtml(ctx, view.to))}</p>
<h2>${t(ctx, 'flow.funnel')}</h2>
<table class="funnel"><thead><tr><th>${t(ctx, 'flow.funnel.step')}</th><th class="num">${t(ctx, 'flow.funnel.calls')}</th><th></th><th class="num">${t(ctx, 'flow.funnel.dropped')}</th><th class="num">${t(ctx, 'flow.funnel.rate')}</th><th class="num">${t(ctx, 'flow.funnel.median')}</th></tr></thead>
<tbody>${funnelRows}</tbody></table>
<h2>${t(ctx, 'flow.diagram')}</h2>
<p class="legend">${t(ctx, 'flow.legend')}</p>
<div class="diagram">${diagram}</div>
<h2>${t(ctx, 'flow.endings')}</h2>
<table class="endings"><thead><tr><th>${t(ctx, 'flow.endings.state')}</th><th>${t(ctx, 'flow.endings.outcome')}</th><th class="num">${t(ctx, 'flow.endings.calls')}</th></tr></thead>
<tbody>${endings || `<tr><td colspan="3" class="muted">${t(ctx, 'flow.endings.none')}</td></tr>`}</tbody></table>`,
    'flow',
  );
}

/** An error page for the console (the error middleware's HTML form), in the supervisor's language. */
export function errorPage(frame: PageFrame, status: number, message: string): string {
  const known = [400, 401, 403, 404, 429, 500, 503].includes(status) ? (`error.${status}` as MessageKey) : null;
  const heading = known ? msg(frame.language, known) : '';
  return layout(
    frame,
    msg(frame.language, 'error.title', { status }),
    `<h1>${status}${heading ? ` · ${esc(heading)}` : ''}</h1><div class="error-box" role="alert">${esc(message)}</div><p><a href="/supervisor/calls">${t(frame, 'error.back')}</a></p>`,
  );
}

/** The callback queue: open requests oldest first (overdue marked), each closed with how it went. */
export function callbacksPage(ctx: PageContext, open: OpenCallback[]): string {
  const resolutions = CALLBACK_RESOLUTIONS.map((r) => `<option value="${esc(r)}">${t(ctx, `callbacks.resolution.${r}` as MessageKey)}</option>`).join('');
  const rows = open
    .map(
      (c) => `<tr${c.overdue ? ' class="overdue"' : ''}>
  <td>${timeHtml(ctx, c.requestedAt)}</td><td>${timeHtml(ctx, c.dueBy)}${c.overdue ? ` <span class="outcome error">${t(ctx, 'callbacks.overdue')}</span>` : ''}</td>
  <td class="mono">${esc(c.callerMasked)}</td><td>${word(CALL_LANGUAGE_LABELS, ctx, c.language)}</td><td title="${esc(c.reason)}">${t(ctx, `callbacks.reason.${c.reason}` as MessageKey)}</td><td>${word(STATE_LABELS, ctx, c.state)}</td><td>${word(DIAL_STATUS_LABELS, ctx, c.agentLine)}</td>
  <td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td>
  <td><form method="post" action="/supervisor/callbacks/${esc(c.callSid)}/close"><select name="resolution">${resolutions}</select> <button type="submit">${t(ctx, 'callbacks.close')}</button></form></td></tr>`,
    )
    .join('\n');
  return layout(
    ctx,
    msg(ctx.language, 'callbacks.title'),
    `<h1>${t(ctx, 'callbacks.title')}</h1>
<p class="summary">${t(ctx, 'callbacks.summary', { open: open.length })}</p>
<table class="results">
<thead><tr><th>${t(ctx, 'callbacks.requested')}</th><th>${t(ctx, 'callbacks.due')}</th><th>${t(ctx, 'callbacks.caller')}</th><th>${t(ctx, 'callbacks.language')}</th><th>${t(ctx, 'callbacks.reason')}</th><th>${t(ctx, 'callbacks.state')}</th><th>${t(ctx, 'callbacks.agentLine')}</th><th>CallSid</th><th>${t(ctx, 'callbacks.close')}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="9" class="muted">${t(ctx, 'callbacks.none')}</td></tr>`}</tbody>
</table>`,
    'callbacks',
  );
}
