import { Writable } from 'node:stream';
import type { Express } from 'express';
import mongoose from 'mongoose';
import supertest from 'supertest';
import twilio from 'twilio';
import winston from 'winston';
import { createApp, type AppDeps } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';
import { OutboxMessenger, type Messenger } from '../../src/messaging/messenger.ts';
import { seedCitizens } from '../../src/services/citizen-seed.service.ts';
import { CallRecorder } from '../../src/services/call-recorder.service.ts';
import type { CallLogCapture } from '../../src/logging/call-log.transport.ts';
import type { PromptAudio } from '../../src/services/prompt-audio.service.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { parseTwiml, type ParsedTwiml } from './twiml.ts';
import { testMongoUri } from './root-hooks.ts';

/** The settings every test app runs with (override per test). */
export const TEST_ENV = {
  NODE_ENV: 'test',
  PUBLIC_BASE_URL: 'https://hotline.test',
  TWILIO_AUTH_TOKEN: 'test-auth-token-0123456789',
  JAMBONZ_WEBHOOK_SECRET: 'wh_secret_test0123456789abcdef',
  PIN_PEPPER: 'test-pepper-0123456789abcdef',
  QA_TOKEN: 'qa-token-for-tests',
  AGENT_NUMBER: '+861012333',
  LOG_LEVEL: 'debug',
  LOG_FORMAT: 'json',
  CODE_SEND_FLOOR_MS: '150',
} as const;

/** A running app on a fresh database, with its captured log lines. */
export interface TestApp {
  app: Express;
  store: Store;
  config: Config;
  logger: Logger;
  logs: string[];
  dbName: string;
  clock: { now: Date; advance(ms: number): void };
  /** The app's writer of the call index and counters (flush it to read a call that has just started). */
  recorder: CallRecorder;
  /** Writes everything the app still holds in memory (index, counters, log lines no turn took): the database then stays still. */
  settle(): Promise<void>;
  close(): Promise<void>;
  /** Every document of every collection, serialised (to search for secrets). */
  dumpDatabase(): Promise<string>;
}

let counter = 0;

/** Starts an app on its own clean database (named after the test file) with a controllable clock. */
export async function startTestApp(
  name: string,
  options: {
    env?: Record<string, string>;
    messenger?: (store: Store, config: Config, logger: Logger) => Messenger;
    seed?: string | false;
    promptAudio?: PromptAudio;
    /** Extra app dependencies (e.g. an altered call machine). */
    app?: Pick<AppDeps, 'machine' | 'hashing'>;
  } = {},
): Promise<TestApp> {
  counter += 1;
  const dbName = `t_${name.replace(/[^A-Za-z0-9]/g, '_').slice(0, 40)}_${process.pid}_${counter}`;
  const config = loadConfig({ ...TEST_ENV, ...options.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', transports: [new winston.transports.Stream({ stream: sink })] });
  // As the running hotline does (database.ts): the console on its own pool, so the tests exercise that wiring.
  const store = await openStore(testMongoUri(), dbName, { consolePoolSize: config.console.maxConcurrent });
  const clock = {
    now: new Date('2026-03-01T08:00:00Z'),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  if (options.seed !== false) await seedCitizens(store, options.seed ?? 'data/demo-citizens.json', config.pinPepper);
  const messenger = options.messenger ? options.messenger(store, config, logger) : new OutboxMessenger(store.outbox, config.pinPepper);
  const recorder = new CallRecorder({ store, logger, flushMs: 50 });
  const app = createApp({ config, store, logger, messenger, now: () => clock.now, promptAudio: options.promptAudio, recorder, lateLogMs: 200, ...options.app });
  return {
    app,
    recorder,
    async settle() {
      await recorder.flush();
      await (app.locals.logCapture as CallLogCapture).flushLate(true);
    },
    store,
    config,
    logger,
    logs,
    dbName,
    clock,
    async dumpDatabase() {
      const connection = await mongoose.createConnection(testMongoUri(), { dbName }).asPromise();
      try {
        const db = connection.db!;
        const collections = await db.listCollections().toArray();
        const parts: string[] = [];
        for (const c of collections) parts.push(JSON.stringify(await db.collection(c.name).find({}).toArray()));
        return parts.join('\n');
      } finally {
        await connection.close();
      }
    },
    async close() {
      await recorder.close();
      const connection = await mongoose.createConnection(testMongoUri(), { dbName }).asPromise();
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
      await store.close();
    },
  };
}

/** Signs a webhook the way Twilio does (HMAC-SHA1 of the full URL plus sorted params, with the auth token). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** Posts a form to the app signed as Twilio would sign it. */
export function signedPost(t: Pick<TestApp, 'app' | 'config'>, path: string, params: Record<string, string>) {
  const signature = twilioSignature(t.config.twilio.authToken, `${t.config.publicBaseUrl}${path}`, params);
  return supertest(t.app).post(path).type('form').set('X-Twilio-Signature', signature).send(params);
}

/** A random-looking Twilio CallSid. */
export function newCallSid(): string {
  return `CA${Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('')}`;
}

/** A scripted caller: answers, presses keys, stays silent, reads codes from the outbox; every turn signed. */
export class TestCall {
  readonly callSid = newCallSid();
  last!: ParsedTwiml;
  lastStatus = 0;

  constructor(
    private t: TestApp,
    readonly from = '+8613800138000',
  ) {}

  /** Sends the following webhooks to another app instance (as a load balancer would). */
  via(t: TestApp): this {
    this.t = t;
    return this;
  }

  /** Dials in and returns the welcome. */
  async start(): Promise<ParsedTwiml> {
    const res = await signedPost(this.t, '/voice', { CallSid: this.callSid, From: this.from, To: '+8610123456', Caller: this.from, CallStatus: 'ringing' });
    return this.take(res);
  }

  private take(res: { status: number; text: string }): ParsedTwiml {
    this.lastStatus = res.status;
    this.last = parseTwiml(res.text);
    return this.last;
  }

  /** Answers the current `<Gather>` with keys (`#` is added for entry gathers by the caller as a real phone would). */
  async press(digits: string): Promise<ParsedTwiml> {
    if (!this.last.gather) throw new Error(`no Gather to answer; last TwiML: ${this.last.xml}`);
    const res = await signedPost(this.t, this.last.gather.action, { CallSid: this.callSid, Digits: digits, From: this.from });
    return this.take(res);
  }

  /**
   * Answers the current entry `<Gather>` as Twilio does when its timer runs out after some keys: the digits typed
   * so far, `FinishedOnKey` empty. With no digits it is the caller pressing only `#` (`FinishedOnKey=#`).
   */
  async pressPartial(digits: string): Promise<ParsedTwiml> {
    if (!this.last.gather) throw new Error(`no Gather to answer; last TwiML: ${this.last.xml}`);
    const res = await signedPost(this.t, this.last.gather.action, { CallSid: this.callSid, Digits: digits, FinishedOnKey: '', From: this.from });
    return this.take(res);
  }

  /** The caller presses only the finishing key: Twilio posts no digits and `FinishedOnKey=#` (actionOnEmptyResult is set). */
  async pressHashAlone(): Promise<ParsedTwiml> {
    if (!this.last.gather) throw new Error(`no Gather to answer; last TwiML: ${this.last.xml}`);
    const res = await signedPost(this.t, this.last.gather.action, { CallSid: this.callSid, Digits: '', FinishedOnKey: '#', From: this.from });
    return this.take(res);
  }

  /** Twilio reports how the `<Dial>` to the agent ended (`completed`, `busy`, `no-answer`, `failed`) to its action URL. */
  async dialResult(status: string): Promise<ParsedTwiml> {
    if (!this.last.dialAction) throw new Error(`no <Dial> to report on; last TwiML: ${this.last.xml}`);
    const res = await signedPost(this.t, this.last.dialAction, { CallSid: this.callSid, DialCallStatus: status, From: this.from, Caller: this.from });
    return this.take(res);
  }

  /** Presses several entries in turn and returns the last answer. */
  async pressAll(entries: string[]): Promise<ParsedTwiml> {
    for (const entry of entries) await this.press(entry);
    return this.last;
  }

  /** Lets the current `<Gather>` time out (Twilio posts with empty Digits because actionOnEmptyResult is set). */
  async silence(): Promise<ParsedTwiml> {
    if (!this.last.gather) throw new Error('no Gather to time out');
    const res = await signedPost(this.t, this.last.gather.action, { CallSid: this.callSid, Digits: '', From: this.from });
    return this.take(res);
  }

  /** Sends Twilio's final status callback. */
  async hangUp(status = 'completed'): Promise<number> {
    const res = await signedPost(this.t, '/voice/status', { CallSid: this.callSid, CallStatus: status, CallDuration: '42' });
    return res.status;
  }
}

/** The bodies of the messages in the QA outbox for a number or address, newest first. */
export async function outboxBodies(t: TestApp, to: string): Promise<string[]> {
  const res = await supertest(t.app).get('/qa/outbox').query({ to }).set('Authorization', `Bearer ${TEST_ENV.QA_TOKEN}`);
  if (res.status !== 200) throw new Error(`outbox answered ${res.status}`);
  return (res.body.messages as Array<{ body: string }>).map((m) => m.body);
}

/**
 * The newest one-time code in the QA outbox for a number or address, waiting briefly (bounded) for it: the line
 * answers "send me a code" after CODE_SEND_FLOOR_MS without waiting for delivery, so on a busy machine the
 * message can land a moment after the answer (as the QA replayer's awaitOutboxCode allows for too).
 */
export async function latestCode(t: TestApp, to: string): Promise<string | null> {
  for (let attempt = 0; ; attempt += 1) {
    const match = (await outboxBodies(t, to)).map((body) => /(\d{6})/.exec(body)).find((m) => m !== null);
    if (match || attempt >= 60) return match ? match[1] : null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
