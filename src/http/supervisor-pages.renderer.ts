import type { CallSearchPage } from '../storage/call-search.repository.ts';
import { OUTCOMES, toLocalInput, type CallTimeline, type FlowView, type FunnelStep, type ParsedSearch } from '../services/call-review.service.ts';
import { CALLBACK_RESOLUTIONS, type OpenCallback } from '../services/callback-queue.service.ts';
import { renderFlowDiagram } from './flow-diagram.renderer.ts';

/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function when(date: Date | null | undefined): string {
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')}` : '–';
}

function query(params: Record<string, string | null | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

function outcomeBadge(outcome: string | null, hadTrouble = false): string {
  const parts = outcome ? [`<span class="outcome ${esc(outcome)}">${esc(outcome)}</span>`] : ['<span class="muted">in progress</span>'];
  if (hadTrouble) parts.push('<span class="outcome error">error</span>');
  return parts.join(' ');
}

/** The page frame: header with navigation and the signed-in supervisor, then the body. */
export function layout(title: string, body: string, options: { supervisor?: string; active?: 'calls' | 'flow' | 'callbacks' } = {}): string {
  const nav = options.supervisor
    ? `<nav><a href="/supervisor/calls"${options.active === 'calls' ? ' class="active"' : ''}>Calls</a><a href="/supervisor/flow"${options.active === 'flow' ? ' class="active"' : ''}>Flow</a><a href="/supervisor/callbacks"${options.active === 'callbacks' ? ' class="active"' : ''}>Callbacks</a></nav>
  <div class="who"><span>${esc(options.supervisor)}</span><form method="post" action="/supervisor/logout"><button class="link" type="submit">Sign out</button></form></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Hotline supervisors</title><link rel="stylesheet" href="/supervisor/assets/console.css"></head>
<body><header class="top"><span class="brand">Password hotline · supervisors</span>${nav}</header>
<main>${body}</main></body></html>`;
}

/** The login form (with the reason of a refused attempt). */
export function loginPage(options: { error?: string; username?: string; next?: string } = {}): string {
  return layout(
    'Sign in',
    `<form class="login" method="post" action="/supervisor/login">
  <h1>Sign in</h1>
  ${options.error ? `<div class="error-box" role="alert">${esc(options.error)}</div>` : ''}
  <label>Username <input name="username" autocomplete="username" required maxlength="64" value="${esc(options.username)}" autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
  ${options.next ? `<input type="hidden" name="next" value="${esc(options.next)}">` : ''}
  <button type="submit">Sign in</button>
</form>`,
  );
}

/** The call search: filters, results newest first, next-page link and CSV export. */
export function searchPage(parsed: ParsedSearch, page: CallSearchPage, supervisor: string): string {
  const f = parsed.form;
  const select = (name: string, values: readonly string[], labels: Record<string, string> = {}) =>
    `<select name="${name}"><option value="">any</option>${values.map((v) => `<option value="${esc(v)}"${f[name] === v ? ' selected' : ''}>${esc(labels[v] ?? v)}</option>`).join('')}</select>`;
  const rows = page.calls
    .map(
      (c) => `<tr>
  <td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td>
  <td>${esc(when(c.startedAt))}</td><td class="num">${c.durationSeconds ?? '–'}</td><td>${esc(c.language)}</td>
  <td class="mono">${esc(c.callerMasked)}</td><td class="mono">${esc(c.idMasked ?? '–')}</td>
  <td>${outcomeBadge(c.outcome, c.hadTrouble)}</td><td>${esc(c.status === 'ended' ? (c.endedIn ?? c.state) : c.state)}</td></tr>`,
    )
    .join('\n');
  const next = page.next ? `<a class="next" href="/supervisor/calls${query({ ...f, after: page.next })}">Older calls →</a>` : '';
  const first = parsed.after ? `<a href="/supervisor/calls${query(f)}">← Newest</a>` : '';
  return layout(
    'Calls',
    `<h1>Calls</h1>
<form class="filters" method="get" action="/supervisor/calls">
  <label>From (UTC) <input type="datetime-local" name="from" value="${esc(f.from)}"></label>
  <label>To (UTC) <input type="datetime-local" name="to" value="${esc(f.to)}"></label>
  <label>Outcome ${select('outcome', OUTCOMES)}</label>
  <label>Caller (last digits or full number) <input name="caller" inputmode="tel" maxlength="32" value="${esc(f.caller)}"></label>
  <label>ID (masked or full) <input name="id" maxlength="32" value="${esc(f.id)}" placeholder="1101**********002X"></label>
  <label>Language ${select('language', ['zh-CN', 'en-US'])}</label>
  <label>CallSid <input name="callSid" maxlength="64" value="${esc(f.callSid)}"></label>
  <div><button type="submit">Search</button> <a href="/supervisor/calls">Clear</a></div>
</form>
<div class="pager">${first}${next}<a href="/api/supervisor/calls.csv${query(f)}" download>Export CSV</a></div>
<table class="results">
<thead><tr><th>CallSid</th><th>Started (UTC)</th><th class="num">Seconds</th><th>Language</th><th>Caller</th><th>ID</th><th>Outcome</th><th>Ended in</th></tr></thead>
<tbody>${rows || '<tr><td colspan="8" class="muted">No calls match.</td></tr>'}</tbody>
</table>
<div class="pager">${first}${next}</div>`,
    { supervisor, active: 'calls' },
  );
}

/** One call: facts, the step-by-step timeline, the password-change record and the call's log lines. */
export function callPage(t: CallTimeline, supervisor: string): string {
  const c = t.call;
  const steps = t.steps
    .map(
      (s) => `<tr>
  <td class="num">${s.step}</td><td>${esc(when(s.at))}</td><td>${esc(s.event)}</td><td class="mono">${esc(s.input ?? '')}</td>
  <td>${s.entered.map((name) => esc(name)).join(' → ') || `<span class="muted">stayed in ${esc(s.from)}</span>`}</td>
  <td><ol class="prompts">${s.prompts.map((p) => `<li><span class="id">${esc(p.id)}</span>${esc(p.text)}</li>`).join('')}</ol></td>
  <td class="num">${s.secondsInState ?? '–'}</td><td class="num">${s.processingMs}</td></tr>`,
    )
    .join('\n');
  const change = t.passwordChange
    ? `<dl class="facts"><dt>Changed at</dt><dd>${esc(when(t.passwordChange.at))}</dd><dt>Status</dt><dd>${esc(t.passwordChange.status)}</dd>
<dt>Verified by</dt><dd>${esc(t.passwordChange.channel)}</dd><dt>Card</dt><dd class="mono">${esc(t.passwordChange.idMasked)}</dd></dl>`
    : '<p class="muted">No password change on this call.</p>';
  const logs = t.logs
    .map(
      (l) =>
        `<tr><td>${esc(when(l.at))}</td><td>${esc(l.level)}</td><td>${esc(l.message)}</td><td class="mono">${esc(
          Object.entries(l.fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' '),
        )}</td></tr>`,
    )
    .join('\n');
  return layout(
    `Call ${c.callSid}`,
    `<h1>Call <span class="mono">${esc(c.callSid)}</span></h1>
<dl class="facts">
  <dt>Started</dt><dd>${esc(when(c.startedAt))}</dd><dt>Ended</dt><dd>${esc(when(c.endedAt))}</dd>
  <dt>Caller</dt><dd class="mono">${esc(c.callerMasked)}</dd><dt>ID</dt><dd class="mono">${esc(c.idMasked ?? '–')}</dd>
  <dt>Language</dt><dd>${esc(c.language)}</dd><dt>Duration</dt><dd>${c.durationSeconds ?? '–'} s</dd>
  <dt>Outcome</dt><dd class="ending">${outcomeBadge(c.outcome, c.hadTrouble)}</dd><dt>Ended in</dt><dd>${esc(t.ending.state ?? 'still in progress')}</dd>
</dl>
<div class="actions"><a href="/api/supervisor/calls/${esc(c.callSid)}/timeline.json" download>Export timeline (JSON)</a><a href="/supervisor/calls">Back to calls</a></div>
<h2>Timeline</h2>
<table class="timeline">
<thead><tr><th class="num">Step</th><th>At (UTC)</th><th>Event</th><th>Keys</th><th>States entered</th><th>Prompts played (${esc(c.language)})</th><th class="num">Seconds in state</th><th class="num">Server ms</th></tr></thead>
<tbody>${steps || '<tr><td colspan="8" class="muted">No steps recorded.</td></tr>'}</tbody>
</table>
<h2>Password change</h2>
${change}
<h2>Log lines</h2>
<table class="logs"><thead><tr><th>At (UTC)</th><th>Level</th><th>Message</th><th>Fields</th></tr></thead>
<tbody>${logs || '<tr><td colspan="4" class="muted">No log lines stored for this call.</td></tr>'}</tbody></table>`,
    { supervisor },
  );
}

/** The flow view: range form, the machine diagram with counts, where calls ended, and the password funnel. */
export function flowPage(view: FlowView, funnel: FunnelStep[], supervisor: string): string {
  const max = Math.max(1, ...funnel.map((s) => s.calls));
  const funnelRows = funnel
    .map(
      (s) => `<tr><td>${esc(s.step)}</td><td class="num">${s.calls}</td><td><svg width="240" height="12" role="img" aria-label="${s.calls} calls"><rect width="${Math.round((s.calls / max) * 240)}" height="12" rx="2" fill="#1f5fa8"/></svg></td>
  <td class="num">${s.dropOff}</td><td class="num">${(s.rate * 100).toFixed(1)}%</td></tr>`,
    )
    .join('\n');
  const endings = view.counts.endings
    .map((e) => `<tr><td>${esc(e.state)}</td><td>${outcomeBadge(e.outcome)}</td><td class="num">${e.calls}</td></tr>`)
    .join('\n');
  return layout(
    'Flow',
    `<h1>Flow</h1>
<form class="filters" method="get" action="/supervisor/flow">
  <label>From (UTC) <input type="datetime-local" name="from" value="${esc(toLocalInput(view.from))}"></label>
  <label>To (UTC) <input type="datetime-local" name="to" value="${esc(toLocalInput(view.to))}"></label>
  <div><button type="submit">Show</button></div>
</form>
<p class="summary">${view.counts.calls} calls started between ${esc(when(view.from))} and ${esc(when(view.to))} (UTC). Numbers on states and arrows count calls.</p>
<h2>Password journey</h2>
<table class="funnel"><thead><tr><th>Step</th><th class="num">Calls</th><th></th><th class="num">Dropped since previous</th><th class="num">Of previous</th></tr></thead>
<tbody>${funnelRows}</tbody></table>
<h2>Statechart</h2>
<div class="diagram">${renderFlowDiagram(view)}</div>
<h2>Where calls ended</h2>
<table class="endings"><thead><tr><th>State</th><th>Outcome</th><th class="num">Calls</th></tr></thead>
<tbody>${endings || '<tr><td colspan="3" class="muted">No calls in this range.</td></tr>'}</tbody></table>`,
    { supervisor, active: 'flow' },
  );
}

/** The callback queue: open requests oldest first, each closed with how it went. */
export function callbacksPage(open: OpenCallback[], supervisor: string): string {
  const resolutions = CALLBACK_RESOLUTIONS.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`).join('');
  const rows = open
    .map(
      (c) => `<tr${c.overdue ? ' class="overdue"' : ''}>
  <td>${esc(when(c.requestedAt))}</td><td>${esc(when(c.dueBy))}${c.overdue ? ' <span class="outcome error">overdue</span>' : ''}</td>
  <td class="mono">${esc(c.callerMasked)}</td><td>${esc(c.language)}</td><td>${esc(c.reason)}</td><td>${esc(c.state)}</td><td>${esc(c.agentLine)}</td>
  <td class="mono"><a href="/supervisor/calls/${esc(c.callSid)}">${esc(c.callSid)}</a></td>
  <td><form method="post" action="/supervisor/callbacks/${esc(c.callSid)}/close"><select name="resolution">${resolutions}</select> <button type="submit">Close</button></form></td></tr>`,
    )
    .join('\n');
  return layout(
    'Callbacks',
    `<h1>Callbacks</h1>
<p class="summary">${open.length} open ${open.length === 1 ? 'request' : 'requests'}, oldest first (times in UTC). The caller's number is not stored: ring it back from the call's record at the carrier, by its CallSid.</p>
<table class="results">
<thead><tr><th>Requested</th><th>Due by</th><th>Caller</th><th>Language</th><th>Reason</th><th>Where in the call</th><th>Agent line</th><th>CallSid</th><th>Close</th></tr></thead>
<tbody>${rows || '<tr><td colspan="9" class="muted">No open callback requests.</td></tr>'}</tbody>
</table>`,
    { supervisor, active: 'callbacks' },
  );
}

/** An error page for the console (the error middleware's HTML form). */
export function errorPage(status: number, message: string): string {
  return layout(`Error ${status}`, `<h1>${status}</h1><div class="error-box">${esc(message)}</div><p><a href="/supervisor/calls">Back to calls</a></p>`);
}
