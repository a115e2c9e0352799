import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { jambonzSignature } from '../../src/qa/jambonz-replayer.ts';
import type { TestApp } from './test-app.ts';

/** A jambonz verb as the app sends it. */
export type Verb = { verb: string } & Record<string, unknown>;

/** One spoken line of a jambonz answer: the words and the synthesizer that says them. */
export interface SpokenVerb {
  text: string;
  language?: string;
  voice?: string;
  vendor?: string;
}

/** A gather as a caller meets it: where it posts, how it listens, what it says or plays. */
export interface GatherVerb {
  actionHook: string;
  timeout?: number;
  numDigits?: number;
  finishOnKey?: string;
  minDigits?: number;
  interDigitTimeout?: number;
  dtmfBargein?: boolean;
  input?: string[];
  say?: { text: string | string[]; synthesizer?: Record<string, string> };
  play?: { url: string | string[] };
}

/** A jambonz answer reduced to what a caller experiences. */
export interface ParsedVerbs {
  verbs: Verb[];
  says: SpokenVerb[];
  /** URLs played, in order. */
  plays: string[];
  text: string;
  /** Every gather, in order; the caller waits at the last one. */
  gathers: GatherVerb[];
  gather?: GatherVerb;
  dial?: string;
  dialHook?: string;
  hangup: boolean;
  redirect?: string;
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Reads a jambonz answer (fails on anything that is not an array of verbs). */
export function parseVerbs(json: unknown): ParsedVerbs {
  if (!Array.isArray(json)) throw new Error(`not jambonz verbs: ${JSON.stringify(json).slice(0, 200)}`);
  const result: ParsedVerbs = { verbs: json as Verb[], says: [], plays: [], text: '', gathers: [], hangup: false };
  const say = (payload: { text: string | string[]; synthesizer?: Record<string, string> }) => {
    for (const text of list(payload.text)) result.says.push({ text, language: payload.synthesizer?.language, voice: payload.synthesizer?.voice, vendor: payload.synthesizer?.vendor });
  };
  for (const verb of json as Verb[]) {
    if (verb.verb === 'say') say(verb as never);
    if (verb.verb === 'play') result.plays.push(...list(verb.url as string | string[]));
    if (verb.verb === 'gather') {
      const gather = verb as unknown as GatherVerb;
      if (gather.say) say(gather.say);
      if (gather.play) result.plays.push(...list(gather.play.url));
      result.gathers.push(gather);
      result.gather = gather;
    }
    if (verb.verb === 'dial') {
      result.dial = (verb.target as Array<{ number: string }>)[0]?.number;
      result.dialHook = verb.actionHook as string;
    }
    if (verb.verb === 'hangup') result.hangup = true;
    if (verb.verb === 'redirect') result.redirect = verb.actionHook as string;
  }
  result.text = result.says.map((s) => s.text).join(' ');
  return result;
}

export { jambonzSignature };

/** Posts a JSON body to the app signed as jambonz would sign it (another secret or time when given). */
export function jambonzPost(t: Pick<TestApp, 'app' | 'config'>, path: string, payload: Record<string, unknown>, options: { secret?: string; seconds?: number } = {}) {
  const body = JSON.stringify(payload);
  const signature = jambonzSignature(options.secret ?? t.config.jambonz.webhookSecret!, body, options.seconds);
  return supertest(t.app).post(path).set('Content-Type', 'application/json').set('Jambonz-Signature', signature).send(body);
}

/** The call details jambonz puts in every webhook of a call. */
export function callInfo(callSid: string, from: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    call_sid: callSid,
    direction: 'inbound',
    from,
    to: '+8610123456',
    call_id: `${callSid.slice(0, 8)}-sip`,
    sip_status: 200,
    sip_reason: 'OK',
    call_status: 'in-progress',
    account_sid: '9351f46a-678c-43f5-b8a6-d4eb58d131af',
    application_sid: '0dddaabf-0a30-43e3-84e8-426873b1a78b',
    trace_id: '0123456789abcdef0123456789abcdef',
    fs_sip_address: '10.0.0.10:5060',
    ...extra,
  };
}

/** A scripted caller on the jambonz side: every webhook signed with the secret, JSON bodies with jambonz's field names. */
export class JambonzTestCall {
  readonly callSid = randomUUID();
  last!: ParsedVerbs;
  lastStatus = 0;

  constructor(
    private t: TestApp,
    readonly from = '+8613800138000',
  ) {}

  /** Sends the following webhooks to another app instance. */
  via(t: TestApp): this {
    this.t = t;
    return this;
  }

  private take(res: { status: number; body: unknown }): ParsedVerbs {
    this.lastStatus = res.status;
    this.last = parseVerbs(res.body);
    return this.last;
  }

  private waiting(): GatherVerb {
    if (!this.last.gather) throw new Error(`no gather to answer; last verbs: ${JSON.stringify(this.last.verbs)}`);
    return this.last.gather;
  }

  /** The call webhook: returns the welcome. */
  async start(): Promise<ParsedVerbs> {
    return this.take(await jambonzPost(this.t, '/jambonz/call', callInfo(this.callSid, this.from, { call_status: 'trying', sip_status: 100, caller_name: '' })));
  }

  /** Keys into the waiting gather: jambonz posts what was collected (without the finish key) as `dtmfDetected`. */
  async press(digits: string): Promise<ParsedVerbs> {
    return this.take(await jambonzPost(this.t, this.waiting().actionHook, callInfo(this.callSid, this.from, { reason: 'dtmfDetected', digits })));
  }

  /** Presses several entries in turn and returns the last answer. */
  async pressAll(entries: string[]): Promise<ParsedVerbs> {
    for (const entry of entries) await this.press(entry);
    return this.last;
  }

  /** An entry the inter-digit timer cut short: jambonz posts the keys typed so far, as `dtmfDetected`, like a finished one. */
  async pressPartial(digits: string): Promise<ParsedVerbs> {
    return this.press(digits);
  }

  /** Only the finish key: jambonz posts `dtmfDetected` with no digits. */
  async pressHashAlone(): Promise<ParsedVerbs> {
    return this.press('');
  }

  /** The waiting gather times out: jambonz posts `reason: timeout` with no digits. */
  async silence(): Promise<ParsedVerbs> {
    return this.take(await jambonzPost(this.t, this.waiting().actionHook, callInfo(this.callSid, this.from, { reason: 'timeout' })));
  }

  /** jambonz reports how the dial to the agent ended (`completed`, `busy`, `no-answer`, `failed`) to its actionHook. */
  async dialResult(status: string): Promise<ParsedVerbs> {
    if (!this.last.dialHook) throw new Error(`no dial to report on; last verbs: ${JSON.stringify(this.last.verbs)}`);
    const sip = { completed: 200, busy: 486, 'no-answer': 487, failed: 503 }[status] ?? 487;
    return this.take(await jambonzPost(this.t, this.last.dialHook, callInfo(this.callSid, this.from, { dial_call_status: status, dial_sip_status: sip, dial_call_sid: randomUUID() })));
  }

  /** The call status webhook at the end of the call. */
  async hangUp(status = 'completed'): Promise<number> {
    const res = await jambonzPost(this.t, '/jambonz/status', callInfo(this.callSid, this.from, { call_status: status, sip_status: status === 'completed' ? 200 : 487, duration: 42 }));
    return res.status;
  }
}
