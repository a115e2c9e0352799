import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import twilio from 'twilio';
import { LANGUAGES, PROMPTS, promptText, type Language, type PromptId } from '../../prompts/catalogue.ts';
import type { AgentBehaviour } from './call-script.ts';

/** Which carrier's webhooks a replayed call sends. */
export type Carrier = 'twilio' | 'jambonz';

/** Where the replayer rings: the URL it connects to, the URL Twilio would sign, the auth token (or jambonz's webhook secret) and the QA token. */
export interface ReplayTarget {
  /** Whose webhooks the calls send: Twilio's (the default) or jambonz's. */
  carrier?: Carrier;
  /** The jambonz application's webhook secret (for `carrier: 'jambonz'`). */
  jambonzSecret?: string;
  /** Path of the call webhook, when not the carrier's default (`/voice`, `/jambonz/call`). */
  callHookPath?: string;
  /** Origin the HTTP requests go to, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Origin the app checks signatures against (its PUBLIC_BASE_URL); the base URL when not given. */
  publicBaseUrl?: string;
  authToken: string;
  qaToken?: string;
  /** Path of the status callback configured at the carrier (`/voice/status`, `/jambonz/status` by default). */
  statusCallbackPath?: string;
}

/** Something the caller heard (or a pause). */
export interface Utterance {
  kind: 'say' | 'play' | 'pause';
  text: string;
  language: Language | null;
  /** The catalogue prompt this was, when the text (or the audio manifest) identifies one. */
  promptId: PromptId | null;
  url?: string;
}

/** A line of a call's transcript. */
export interface TranscriptLine {
  who: 'line' | 'caller' | 'network';
  text: string;
}

/** One entry of the audio manifest served at `/audio/manifest.json`. */
export interface AudioPrompt {
  id: string;
  lang: Language;
  text: string;
  file: string;
  seconds?: number;
}

interface PendingGather {
  action: string;
  method: string;
  numDigits?: number;
  finishOnKey: string;
  actionOnEmptyResult: boolean;
  rest: Ordered[];
  url: string;
}

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: true, parseTagValue: false, parseAttributeValue: false });

const SAY_LANGUAGE: Record<string, Language> = { 'cmn-CN': 'zh-CN', 'zh-CN': 'zh-CN', 'en-US': 'en-US' };

let promptIndex: Array<{ id: PromptId; language: Language; pattern: RegExp }> | undefined;

/** The catalogue prompt (and its language) a spoken text is, allowing for `{placeholders}`; null for free text. */
export function identifyPrompt(text: string): { id: PromptId; language: Language } | null {
  promptIndex ??= (Object.keys(PROMPTS) as PromptId[]).flatMap((id) =>
    LANGUAGES.map((language) => {
      const source = promptText(id, language)
        .split(/\{\w+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.+?');
      return { id, language, pattern: new RegExp(`^${source}$`, 'su') };
    }),
  );
  const found = promptIndex.find((p) => p.pattern.test(text.trim()));
  return found ? { id: found.id, language: found.language } : null;
}

function textOf(children: unknown): string {
  return Array.isArray(children) ? (children as Ordered[]).map((c) => String(c['#text'] ?? '')).join('') : '';
}

function verbName(node: Ordered): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

const manifests = new Map<string, Promise<Map<string, AudioPrompt>>>();

/** The audio manifest of a target (fetched once; empty when the target serves none). */
export function audioManifest(baseUrl: string): Promise<Map<string, AudioPrompt>> {
  let pending = manifests.get(baseUrl);
  if (!pending) {
    pending = (async () => {
      const byFile = new Map<string, AudioPrompt>();
      try {
        const res = await fetch(`${baseUrl}/audio/manifest.json`);
        if (!res.ok) return byFile;
        const body = (await res.json()) as { prompts?: AudioPrompt[] };
        for (const p of body.prompts ?? []) if (p && typeof p.file === 'string') byFile.set(p.file, p);
      } catch {
        // no manifest: <Play> shows its URL
      }
      return byFile;
    })();
    manifests.set(baseUrl, pending);
  }
  return pending;
}

/** Forgets cached manifests (a target restarted with new audio). */
export function forgetAudioManifests(): void {
  manifests.clear();
}

/** A failed request's error that says which request failed and why (undici's own message is only "fetch failed"). */
export function fetchError(what: string, error: unknown): Error {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return new Error(`${what}: ${(error as Error).message} (${cause?.code ?? cause?.message ?? 'no cause given'})`);
}

/**
 * `fetch`, sent once more when the connection was reset before any answer (a kept-alive socket the server closed
 * as it was reused: a race the client cannot see coming). Webhooks are idempotent, as for a carrier's own retry.
 */
export async function fetchOnce(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? '';
    if (!['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code)) throw fetchError(what, error);
    return fetch(url, init).catch((again: unknown) => {
      throw fetchError(what, again);
    });
  }
}

/** A random-looking Twilio CallSid. */
export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}

/**
 * What Twilio would post for keys pressed into a `<Gather>`: the digits (finishing key removed, numDigits
 * honoured) and `FinishedOnKey`, the finishing key when it ended the entry, empty when the entry ended by
 * numDigits or by the timer running out after the last key (a partial entry).
 */
export function gatheredKeys(keys: string, gather: { numDigits?: number; finishOnKey: string }): { digits: string; finishedOnKey: string } {
  let digits = '';
  for (const key of keys) {
    if (gather.finishOnKey && key === gather.finishOnKey) return { digits, finishedOnKey: key };
    digits += key;
    if (gather.numDigits && digits.length >= gather.numDigits) break;
  }
  return { digits, finishedOnKey: '' };
}

/** The keys Twilio would post for what was pressed into a `<Gather>` (finishing key removed, numDigits honoured). */
export function gatheredDigits(keys: string, gather: { numDigits?: number; finishOnKey: string }): string {
  return gatheredKeys(keys, gather).digits;
}

/** A call being replayed, whichever carrier's webhooks it sends: start, keys, silence, hang-up, and what was heard. */
export interface ReplayCall {
  readonly callSid: string;
  readonly transcript: TranscriptLine[];
  readonly ended: boolean;
  readonly dialled: string | null;
  readonly waiting: boolean;
  start(): Promise<Utterance[]>;
  press(keys: string, shown?: string): Promise<Utterance[]>;
  silence(): Promise<Utterance[]>;
  hangup(): Promise<void>;
}

/**
 * One call placed the way Twilio places it: every webhook signed with the auth token, the TwiML followed
 * (`<Say>`, `<Play>`, `<Pause>`, `<Gather>`, `<Redirect>`, `<Dial>` and its action, `<Hangup>`), and the
 * status callback sent when the call ends.
 */
export class CallReplayer implements ReplayCall {
  readonly callSid: string;
  readonly transcript: TranscriptLine[] = [];
  ended = false;
  dialled: string | null = null;
  private gather: PendingGather | null = null;
  private dials = 0;
  private readonly started = Date.now();
  private pausedSeconds = 0;
  private heard: Utterance[] = [];
  private readonly publicBase: string;
  private answer = '';

  constructor(
    private readonly target: ReplayTarget,
    readonly from: string,
    /** `agent`: what the agent line does at each `<Dial>` in turn (the last repeats); answered by default. */
    private readonly options: { to?: string; agent?: AgentBehaviour | AgentBehaviour[]; callSid?: string; onLine?: (line: TranscriptLine) => void } = {},
  ) {
    this.callSid = options.callSid ?? newCallSid();
    this.publicBase = (target.publicBaseUrl ?? target.baseUrl).replace(/\/+$/, '');
  }

  /** True while a `<Gather>` waits for keys. */
  get waiting(): boolean {
    return this.gather !== null && !this.ended;
  }

  /** The `<Gather>` waiting for keys (its action as a full URL), or null. */
  get pendingGather(): Pick<PendingGather, 'action' | 'method' | 'numDigits' | 'finishOnKey'> | null {
    if (!this.gather || this.ended) return null;
    const { action, method, numDigits, finishOnKey, url } = this.gather;
    return { action: new URL(action, url).href, method, numDigits, finishOnKey };
  }

  /** The TwiML of the line's last answer, as it came. */
  get lastAnswer(): string {
    return this.answer;
  }

  /**
   * Posts one webhook of this call as Twilio would (signed, Twilio's parameters plus `extra`) and returns the answer
   * without following it: for a load generator that checks answers itself (the call's own state does not move).
   */
  webhook(publicUrl: string, extra: Record<string, string>, method = 'POST'): Promise<string> {
    return this.post(publicUrl, this.params(extra), method);
  }

  private note(line: TranscriptLine): void {
    this.transcript.push(line);
    this.options.onLine?.(line);
  }

  private params(extra: Record<string, string>): Record<string, string> {
    const to = this.options.to ?? '+8610123456';
    return {
      AccountSid: 'AC00000000000000000000000000000000',
      ApiVersion: '2010-04-01',
      CallSid: this.callSid,
      CallStatus: 'in-progress',
      Called: to,
      Caller: this.from,
      Direction: 'inbound',
      From: this.from,
      To: to,
      ...extra,
    };
  }

  private async post(publicUrl: string, params: Record<string, string>, method = 'POST'): Promise<string> {
    const url = new URL(publicUrl);
    const connect = url.origin === new URL(this.publicBase).origin ? `${this.target.baseUrl.replace(/\/+$/, '')}${url.pathname}${url.search}` : url.href;
    const form = new URLSearchParams(params).toString();
    const signedFor = method === 'GET' ? `${publicUrl}${publicUrl.includes('?') ? '&' : '?'}${form}` : publicUrl;
    const signature = twilio.getExpectedTwilioSignature(this.target.authToken, signedFor, method === 'GET' ? {} : params);
    const res = await fetchOnce(
      method === 'GET' ? `${connect}${connect.includes('?') ? '&' : '?'}${form}` : connect,
      { method, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: method === 'GET' ? undefined : form },
      `${method} ${url.pathname}`,
    );
    const text = await res.text();
    if (res.status === 403 && text.includes('bad-signature')) {
      throw new Error(
        `${method} ${url.pathname} answered HTTP 403 (signature refused): the target checks signatures against its PUBLIC_BASE_URL and auth token; ` +
          `this call signed for ${this.publicBase} — pass --public-url with the target's PUBLIC_BASE_URL (e.g. http://localhost:3000) and check the auth token`,
      );
    }
    if (!res.ok) throw new Error(`${method} ${url.pathname} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text;
  }

  /** Rings the line and returns what it says before it first waits for keys (or ends). */
  async start(): Promise<Utterance[]> {
    this.note({ who: 'network', text: `call ${this.callSid} from ${this.from}` });
    const url = `${this.publicBase}${this.target.callHookPath ?? '/voice'}`;
    const twiml = await this.post(url, this.params({ CallStatus: 'ringing' }));
    return this.follow(twiml, url);
  }

  /**
   * Presses keys into the waiting `<Gather>` (shown in the transcript as `shown`); returns what the line says next.
   * Keys without the finishing key in an entry are a partial entry: posted as Twilio does when its timer runs out.
   * The finishing key alone posts nothing typed but `FinishedOnKey` (when the gather asks for empty results).
   */
  async press(keys: string, shown = keys): Promise<Utterance[]> {
    const gather = this.requireGather('press keys');
    const { digits, finishedOnKey } = gatheredKeys(keys, gather);
    this.note({ who: 'caller', text: `press ${shown}` });
    if (!digits && !(finishedOnKey && gather.actionOnEmptyResult)) return this.timeout(gather);
    this.gather = null;
    const url = new URL(gather.action, gather.url).href;
    return this.follow(await this.post(url, this.params({ Digits: digits, FinishedOnKey: finishedOnKey }), gather.method), url);
  }

  /** Lets the waiting `<Gather>` time out: its action with no digits when actionOnEmptyResult, else the next verb. */
  async silence(): Promise<Utterance[]> {
    const gather = this.requireGather('stay silent');
    this.note({ who: 'caller', text: '(silence)' });
    return this.timeout(gather);
  }

  /** The caller hangs up: Twilio's status callback (`completed`). */
  async hangup(): Promise<void> {
    if (this.ended) return;
    this.note({ who: 'caller', text: '(hangs up)' });
    await this.end();
  }

  private requireGather(what: string): PendingGather {
    if (this.ended) throw new ReplayError(`cannot ${what}: the call has ended`);
    if (!this.gather) throw new ReplayError(`cannot ${what}: the line is not waiting for keys`);
    return this.gather;
  }

  private async timeout(gather: PendingGather): Promise<Utterance[]> {
    this.gather = null;
    if (gather.actionOnEmptyResult) {
      const url = new URL(gather.action, gather.url).href;
      return this.follow(await this.post(url, this.params({ Digits: '', FinishedOnKey: '' }), gather.method), url);
    }
    this.heard = [];
    await this.run(gather.rest, gather.url);
    return this.heard;
  }

  private async end(): Promise<void> {
    this.ended = true;
    this.gather = null;
    const seconds = Math.max(1, Math.round((Date.now() - this.started) / 1000 + this.pausedSeconds));
    const url = `${this.publicBase}${this.target.statusCallbackPath ?? '/voice/status'}`;
    await this.post(url, this.params({ CallStatus: 'completed', CallDuration: String(seconds) }));
  }

  private async follow(twiml: string, url: string): Promise<Utterance[]> {
    this.heard = [];
    await this.run(this.verbsOf(twiml), url);
    return this.heard;
  }

  private verbsOf(twiml: string): Ordered[] {
    this.answer = twiml;
    const tree = parser.parse(twiml) as Ordered[];
    const response = tree.find((node) => 'Response' in node);
    if (!response) throw new ReplayError(`the line answered something that is not TwiML: ${twiml.slice(0, 200)}`);
    return response.Response as Ordered[];
  }

  private async hear(node: Ordered, base: string): Promise<void> {
    const name = verbName(node);
    const attrs = node[':@'] ?? {};
    if (name === 'Say') {
      const text = textOf(node.Say);
      const known = identifyPrompt(text);
      const utterance: Utterance = { kind: 'say', text, language: known?.language ?? SAY_LANGUAGE[attrs.language ?? ''] ?? null, promptId: known?.id ?? null };
      this.heard.push(utterance);
      this.note({ who: 'line', text: describe(utterance) });
    } else if (name === 'Play') {
      const url = new URL(textOf(node.Play), base).href;
      const file = new URL(url).pathname.split('/').pop() ?? '';
      const entry = (await audioManifest(this.target.baseUrl.replace(/\/+$/, ''))).get(decodeURIComponent(file));
      const id = entry && entry.id in PROMPTS ? (entry.id as PromptId) : null;
      const utterance: Utterance = entry
        ? { kind: 'play', text: entry.text, language: entry.lang, promptId: id, url }
        : { kind: 'play', text: `[audio ${url}]`, language: null, promptId: null, url };
      this.heard.push(utterance);
      this.note({ who: 'line', text: describe(utterance) });
    } else if (name === 'Pause') {
      const seconds = Number(attrs.length ?? 1) || 1;
      this.pausedSeconds += seconds;
      this.note({ who: 'line', text: `(pause ${seconds}s)` });
    }
  }

  private async run(verbs: Ordered[], url: string): Promise<void> {
    for (let i = 0; i < verbs.length; i += 1) {
      const node = verbs[i];
      const name = verbName(node);
      const attrs = node[':@'] ?? {};
      if (name === 'Say' || name === 'Play' || name === 'Pause') {
        await this.hear(node, url);
      } else if (name === 'Gather') {
        for (const child of (node.Gather as Ordered[]) ?? []) await this.hear(child, url);
        this.gather = {
          action: attrs.action ?? url,
          method: (attrs.method ?? 'POST').toUpperCase(),
          numDigits: attrs.numDigits ? Number(attrs.numDigits) : undefined,
          finishOnKey: attrs.finishOnKey ?? '#',
          actionOnEmptyResult: attrs.actionOnEmptyResult === 'true',
          rest: verbs.slice(i + 1),
          url,
        };
        return;
      } else if (name === 'Redirect') {
        const next = new URL(textOf(node.Redirect), url).href;
        this.note({ who: 'network', text: `redirect ${new URL(next).pathname}` });
        const twiml = await this.post(next, this.params({}), (attrs.method ?? 'POST').toUpperCase());
        await this.run(this.verbsOf(twiml), next);
        return;
      } else if (name === 'Dial') {
        const number = textOf(node.Dial).trim() || '(dial)';
        this.dialled = number;
        const behaviours = ([] as AgentBehaviour[]).concat(this.options.agent ?? 'answered');
        const behaviour = behaviours[Math.min(this.dials, behaviours.length - 1)] ?? 'answered';
        this.dials += 1;
        if (behaviour === 'caller-hangs-up') {
          this.note({ who: 'network', text: `dial ${number} → the caller hangs up while it rings` });
          await this.end();
          return;
        }
        const status = { answered: 'completed', busy: 'busy', 'no-answer': 'no-answer' }[behaviour];
        this.note({ who: 'network', text: `dial ${number} → ${status}` });
        if (attrs.action) {
          const next = new URL(attrs.action, url).href;
          const twiml = await this.post(next, this.params({ DialCallStatus: status, DialCallDuration: status === 'completed' ? '30' : '0' }), (attrs.method ?? 'POST').toUpperCase());
          await this.run(this.verbsOf(twiml), next);
          return;
        }
      } else if (name === 'Hangup' || name === 'Reject') {
        this.note({ who: 'line', text: '(hangs up)' });
        await this.end();
        return;
      }
    }
    this.note({ who: 'line', text: '(no more instructions: the call ends)' });
    await this.end();
  }
}

/** A call that could not go on (pressing keys after the end, an HTTP error, something that is not TwiML). */
export class ReplayError extends Error {}

/** An utterance as one transcript line: `main.menu [en-US] To set, reset …`. */
export function describe(u: Utterance): string {
  const what = u.kind === 'play' ? `play ${u.url ? (new URL(u.url).pathname.split('/').pop() ?? '') : ''} ` : '';
  return `${what}${u.promptId ?? '(free text)'}${u.language ? ` [${u.language}]` : ''}  ${u.text}`;
}

/** Reads the 6-digit one-time codes sent to a number or address (QA outbox), newest first. */
export async function outboxCodes(target: ReplayTarget, to: string): Promise<string[]> {
  if (!target.qaToken) throw new ReplayError('reading codes needs the QA token (--qa-token or QA_TOKEN)');
  const res = await fetchOnce(`${target.baseUrl.replace(/\/+$/, '')}/qa/outbox?to=${encodeURIComponent(to)}`, { headers: { authorization: `Bearer ${target.qaToken}` } }, 'GET /qa/outbox');
  if (res.status === 404) throw new ReplayError('the target has no QA outbox (QA_TOKEN unset, or real SMS and email are configured)');
  if (!res.ok) throw new ReplayError(`the QA outbox answered HTTP ${res.status}`);
  const body = (await res.json()) as { messages: Array<{ body: string }> };
  return body.messages.map((m) => /(?<!\d)(\d{6})(?!\d)/.exec(m.body)?.[1]).filter((c): c is string => Boolean(c));
}

/**
 * The newest code sent to an address that this caller has not used yet, waiting briefly for it: the line
 * answers a "send me a code" turn without waiting for the provider, so the message may land a moment later.
 */
export async function awaitOutboxCode(target: ReplayTarget, to: string, used: Set<string> = new Set(), waitMs = 3000): Promise<string | null> {
  const until = Date.now() + waitMs;
  for (;;) {
    const fresh = (await outboxCodes(target, to)).find((c) => !used.has(c));
    if (fresh || Date.now() >= until) return fresh ?? null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
