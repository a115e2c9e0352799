import { createHmac, randomUUID } from 'node:crypto';
import { PROMPTS, type Language, type PromptId } from '../../prompts/catalogue.ts';
import type { AgentBehaviour } from './call-script.ts';
import { audioManifest, describe, fetchOnce, gatheredKeys, identifyPrompt, ReplayError, type ReplayCall, type ReplayTarget, type TranscriptLine, type Utterance } from './call-replayer.ts';

/** A jambonz verb as the line sends it. */
type Verb = { verb: string } & Record<string, unknown>;

/** What a waiting gather collects and where it posts. */
interface PendingGather {
  actionHook: string;
  numDigits?: number;
  finishOnKey?: string;
  rest: Verb[];
}

const SYNTH_LANGUAGE: Record<string, Language> = { 'cmn-CN': 'zh-CN', 'zh-CN': 'zh-CN', 'en-US': 'en-US' };
const list = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

/** Signs a webhook body as jambonz does: `t=<seconds>,v1=<HMAC-SHA256 of "<seconds>.<body>" under the webhook secret>`. */
export function jambonzSignature(secret: string, body: string, seconds = Math.floor(Date.now() / 1000)): string {
  return `t=${seconds},v1=${createHmac('sha256', secret).update(`${seconds}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * What jambonz posts for keys pressed into a gather: the digits (the finish key removed, numDigits honoured) as
 * `dtmfDetected`; an entry its inter-digit timer cut short is posted the same way; no key at all is a `timeout`.
 */
export function jambonzGathered(keys: string, gather: { numDigits?: number; finishOnKey?: string }): { reason: 'dtmfDetected' | 'timeout'; digits: string } {
  const { digits, finishedOnKey } = gatheredKeys(keys, { numDigits: gather.numDigits, finishOnKey: gather.finishOnKey ?? '' });
  return digits || finishedOnKey ? { reason: 'dtmfDetected', digits } : { reason: 'timeout', digits: '' };
}

/**
 * One call placed the way jambonz places it: JSON webhooks with jambonz's field names, each signed with the
 * application's webhook secret (`Jambonz-Signature`), the verbs followed (`say`, `play`, `pause`, `gather` with its
 * nested prompt, `redirect`, `dial` and its actionHook, `hangup`), and the call status webhook when the call ends.
 * A caller waits through every gather but the last of an answer before pressing (each earlier one times out and its
 * hook is told so, as jambonz would), so a script hears a state's prompts whole before it acts.
 */
export class JambonzCallReplayer implements ReplayCall {
  readonly callSid: string;
  readonly transcript: TranscriptLine[] = [];
  ended = false;
  dialled: string | null = null;
  private gather: PendingGather | null = null;
  private dials = 0;
  private readonly started = Date.now();
  private pausedSeconds = 0;
  private heard: Utterance[] = [];

  constructor(
    private readonly target: ReplayTarget,
    readonly from: string,
    private readonly options: { to?: string; agent?: AgentBehaviour | AgentBehaviour[]; callSid?: string; onLine?: (line: TranscriptLine) => void } = {},
  ) {
    if (!target.jambonzSecret) throw new ReplayError('ringing the jambonz side needs the webhook secret (JAMBONZ_WEBHOOK_SECRET or --jambonz-secret)');
    this.callSid = options.callSid ?? randomUUID();
  }

  /** True while a gather waits for keys. */
  get waiting(): boolean {
    return this.gather !== null && !this.ended;
  }

  private note(line: TranscriptLine): void {
    this.transcript.push(line);
    this.options.onLine?.(line);
  }

  /** The call details jambonz puts in every webhook of a call. */
  private details(extra: Record<string, unknown>): Record<string, unknown> {
    return {
      call_sid: this.callSid,
      direction: 'inbound',
      from: this.from,
      to: this.options.to ?? '+8610123456',
      call_id: `${this.callSid}@replayer`,
      sip_status: 200,
      call_status: 'in-progress',
      account_sid: '00000000-0000-4000-8000-000000000000',
      application_sid: '00000000-0000-4000-8000-000000000001',
      ...extra,
    };
  }

  /** Posts a signed webhook to a hook (a path on the application's base URL); the verbs it answers, none for an empty answer. */
  private async post(hook: string, payload: Record<string, unknown>): Promise<Verb[]> {
    const url = new URL(hook, `${this.target.baseUrl.replace(/\/+$/, '')}/`);
    const body = JSON.stringify(payload);
    const res = await fetchOnce(url.href, { method: 'POST', headers: { 'content-type': 'application/json', 'jambonz-signature': jambonzSignature(this.target.jambonzSecret!, body) }, body }, `POST ${url.pathname}`);
    const text = await res.text();
    if (res.status === 403) throw new Error(`POST ${url.pathname} answered HTTP 403 (signature refused): sign with the target's JAMBONZ_WEBHOOK_SECRET`);
    if (res.status === 404 && url.pathname.startsWith('/jambonz')) throw new Error(`POST ${url.pathname} answered HTTP 404: the target serves no jambonz routes (JAMBONZ_WEBHOOK_SECRET unset there)`);
    if (!res.ok) throw new Error(`POST ${url.pathname} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    if (!text.trim()) return [];
    const verbs = JSON.parse(text) as unknown;
    if (!Array.isArray(verbs)) throw new ReplayError(`the line answered something that is not jambonz verbs: ${text.slice(0, 200)}`);
    return verbs as Verb[];
  }

  /** Rings the line (the call webhook) and returns what it says before it first waits for keys (or ends). */
  async start(): Promise<Utterance[]> {
    this.note({ who: 'network', text: `call ${this.callSid} from ${this.from} (jambonz)` });
    return this.follow(await this.post(this.target.callHookPath ?? '/jambonz/call', this.details({ call_status: 'trying', sip_status: 100 })));
  }

  /** Presses keys into the waiting gather (shown as `shown`); keys without the finish key in an entry are a partial entry. */
  async press(keys: string, shown = keys): Promise<Utterance[]> {
    const gather = this.requireGather('press keys');
    this.note({ who: 'caller', text: `press ${shown}` });
    const { reason, digits } = jambonzGathered(keys, gather);
    return this.answer(gather, reason, digits);
  }

  /** Lets the waiting gather time out. */
  async silence(): Promise<Utterance[]> {
    const gather = this.requireGather('stay silent');
    this.note({ who: 'caller', text: '(silence)' });
    return this.answer(gather, 'timeout', '');
  }

  /** The caller hangs up: the call status webhook (`completed`). */
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

  /** A gather's result goes to its actionHook; new verbs replace the application, none let it go on with the rest. */
  private async answer(gather: PendingGather, reason: string, digits: string): Promise<Utterance[]> {
    this.gather = null;
    this.heard = [];
    const verbs = await this.post(gather.actionHook, this.details(reason === 'dtmfDetected' ? { reason, digits } : { reason }));
    await this.run(verbs.length ? verbs : gather.rest);
    return this.heard;
  }

  private async end(): Promise<void> {
    this.ended = true;
    this.gather = null;
    const duration = Math.max(1, Math.round((Date.now() - this.started) / 1000 + this.pausedSeconds));
    await this.post(this.target.statusCallbackPath ?? '/jambonz/status', this.details({ call_status: 'completed', sip_status: 200, duration }));
  }

  private async follow(verbs: Verb[]): Promise<Utterance[]> {
    this.heard = [];
    await this.run(verbs);
    return this.heard;
  }

  private hearUtterance(utterance: Utterance): void {
    this.heard.push(utterance);
    this.note({ who: 'line', text: describe(utterance) });
  }

  private async hear(verb: Verb): Promise<void> {
    if (verb.verb === 'say') {
      const synthesizer = (verb.synthesizer ?? {}) as { language?: string };
      for (const text of list(verb.text)) {
        const known = identifyPrompt(text);
        this.hearUtterance({ kind: 'say', text, language: known?.language ?? SYNTH_LANGUAGE[synthesizer.language ?? ''] ?? null, promptId: known?.id ?? null });
      }
    } else if (verb.verb === 'play') {
      const manifest = await audioManifest(this.target.baseUrl.replace(/\/+$/, ''));
      for (const played of list(verb.url)) {
        const url = new URL(played, this.target.baseUrl).href;
        const entry = manifest.get(decodeURIComponent(new URL(url).pathname.split('/').pop() ?? ''));
        const id = entry && entry.id in PROMPTS ? (entry.id as PromptId) : null;
        this.hearUtterance(entry ? { kind: 'play', text: entry.text, language: entry.lang, promptId: id, url } : { kind: 'play', text: `[audio ${url}]`, language: null, promptId: null, url });
      }
    } else if (verb.verb === 'pause') {
      const seconds = Number(verb.length ?? 1) || 1;
      this.pausedSeconds += seconds;
      this.note({ who: 'line', text: `(pause ${seconds}s)` });
    }
  }

  private async run(verbs: Verb[]): Promise<void> {
    for (let i = 0; i < verbs.length; i += 1) {
      const verb = verbs[i];
      if (verb.verb === 'say' || verb.verb === 'play' || verb.verb === 'pause') {
        await this.hear(verb);
      } else if (verb.verb === 'gather') {
        for (const nested of ['say', 'play'] as const) if (verb[nested]) await this.hear({ verb: nested, ...(verb[nested] as Record<string, unknown>) });
        const gather: PendingGather = {
          actionHook: String(verb.actionHook),
          numDigits: typeof verb.numDigits === 'number' ? verb.numDigits : undefined,
          finishOnKey: typeof verb.finishOnKey === 'string' ? verb.finishOnKey : undefined,
          rest: verbs.slice(i + 1),
        };
        if (!gather.rest.some((next) => next.verb === 'gather')) {
          this.gather = gather;
          return;
        }
        // More prompts follow in later gathers: the caller listens on, and this gather's timer runs out.
        const verbsAfter = await this.post(gather.actionHook, this.details({ reason: 'timeout' }));
        if (verbsAfter.length) {
          await this.run(verbsAfter);
          return;
        }
      } else if (verb.verb === 'redirect') {
        const hook = String(verb.actionHook);
        this.note({ who: 'network', text: `redirect ${new URL(hook, 'http://line.invalid').pathname}` });
        await this.run(await this.post(hook, this.details({})));
        return;
      } else if (verb.verb === 'dial') {
        const number = ((verb.target as Array<{ number?: string }> | undefined) ?? [])[0]?.number ?? '(dial)';
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
        if (typeof verb.actionHook === 'string') {
          const sip = { completed: 200, busy: 486, 'no-answer': 487 }[status];
          await this.run(await this.post(verb.actionHook, this.details({ dial_call_status: status, dial_sip_status: sip, dial_call_sid: randomUUID() })));
          return;
        }
      } else if (verb.verb === 'hangup') {
        this.note({ who: 'line', text: '(hangs up)' });
        await this.end();
        return;
      }
    }
    this.note({ who: 'line', text: '(no more instructions: the call ends)' });
    await this.end();
  }
}
