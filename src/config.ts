import { z } from 'zod';
import { GATHER_TIMERS, type GatherTimer } from '../flows/call.machine.ts';
import { VOICES, type CONFIGURED_VALUES, type Language } from '../prompts/catalogue.ts';
import { isTimeZone } from './domain/local-time.ts';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const ttsVoice = (languageCode: string) =>
  z.string().regex(new RegExp(`^${languageCode}-[A-Za-z0-9]+-[A-Z]$`), `must be a Google voice name for ${languageCode}, e.g. ${languageCode}-Standard-A`);

/** Twilio `<Say>` voices: Amazon Polly (standard, neural, generative) or Google. */
const sayVoice = z
  .string()
  .regex(/^(Polly\.[A-Za-z]+(-Neural|-Generative)?|Google\.[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+-[A-Z])$/, 'must be a Twilio <Say> voice, e.g. Polly.Zhiyu or Polly.Joanna-Neural');

/**
 * A jambonz synthesizer for `say`: `vendor/language/voice`, optionally `/label` (which of the account's credentials
 * of that vendor), e.g. `google/cmn-CN/cmn-CN-Wavenet-A` or `microsoft/zh-CN/zh-CN-XiaoxiaoNeural`.
 */
const jambonzVoice = (languages: RegExp, example: string) =>
  z
    .string()
    .regex(/^([a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)?)\/([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)\/([^/\s]+)(\/[^/\s]+)?$/, { message: `must be vendor/language/voice[/label], e.g. ${example}`, abort: true })
    .refine((value) => languages.test(value.split('/')[1]), `must name a language of this kind, e.g. ${example}`)
    .transform((value): JambonzSynthesizer => {
      const [vendor, language, voice, label] = value.split('/');
      return label ? { vendor, language, voice, label } : { vendor, language, voice };
    });

/** The development webhook secret of the jambonz routes (`npm start` and `npm run call -- --carrier jambonz` agree on it); never valid in production. */
export const DEV_JAMBONZ_WEBHOOK_SECRET = 'dev-jambonz-webhook-secret-change-me';

/** Seconds a `<Gather>` waits for the first key and between keys. */
const timerSeconds = z.coerce.number().int().min(2).max(60);

/** Variables that no longer exist: start-up stops and says what replaced them rather than ignoring them. */
const RETIRED: Record<string, string> = {
  GATHER_TIMEOUT_SECONDS:
    'replaced by one timer per kind of entry: GATHER_TIMEOUT_MENU_SECONDS, GATHER_TIMEOUT_ID_SECONDS, GATHER_TIMEOUT_CODE_SECONDS, GATHER_TIMEOUT_PIN_SECONDS; remove it',
};

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/, message: 'must be the http(s) URL Twilio calls, e.g. https://hotline.example.org' }).optional()),
  TWILIO_AUTH_TOKEN: z.string().min(8, 'must be the Twilio auth token (at least 8 characters)').default('dev-auth-token-change-me'),
  TWILIO_SIGNATURE_CHECK: bool(true),
  TWILIO_ACCOUNT_SID: optionalText.pipe(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits').optional()),
  TWILIO_SMS_FROM: optionalText.pipe(z.string().regex(/^\+?[0-9]{3,15}$/, 'must be the sending phone number, e.g. +15005550006').optional()),
  MONGODB_URI: optionalText.pipe(z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional()),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]+$/).default('hotline'),
  EMBEDDED_DB_ENGINE: z.enum(['auto', 'mongodb-memory-server', 'ferretdb']).default('auto'),
  DATA_DIR: z.string().default('.data'),
  CACHE_DIR: z.string().default('.cache'),
  LOAD_DEMO_DATA: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
  PIN_PEPPER: z.string().min(16, 'must be a random secret of at least 16 characters').default('dev-pepper-change-me-0123456789'),
  QA_TOKEN: optionalText,
  METRICS_TOKEN: optionalText,
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  AGENT_NUMBER: z.string().regex(/^\+?[0-9]{3,15}$/, 'must be a phone number such as +8612345678901').default('+861012333'),
  SMTP_URL: optionalText.pipe(z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional()),
  EMAIL_FROM: z.email({ message: 'must be an email address' }).default('hotline@example.org'),
  OTP_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(300),
  CODE_SEND_FLOOR_MS: z.coerce.number().int().min(0).max(5000).default(300),
  OTP_MAX_SENDS: z.coerce.number().int().min(1).max(20).default(3),
  OTP_SEND_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  LOCK_AFTER_FAILURES: z.coerce.number().int().min(1).max(50).default(5),
  LOCK_MINUTES: z.coerce.number().int().min(1).max(10080).default(30),
  LOCK_MAX_FAILURES_PER_DAY: z.coerce.number().int().min(1).max(500).default(20),
  CALL_RETENTION_DAYS: z.coerce.number().int().min(7).max(3650).default(180),
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  SILENT_CALL_CLOSE_MINUTES: z.coerce.number().int().min(2).max(240).default(10),
  GATHER_TIMEOUT_MENU_SECONDS: timerSeconds.default(GATHER_TIMERS.menu),
  GATHER_TIMEOUT_ID_SECONDS: timerSeconds.default(GATHER_TIMERS.id),
  GATHER_TIMEOUT_CODE_SECONDS: timerSeconds.default(GATHER_TIMERS.code),
  GATHER_TIMEOUT_PIN_SECONDS: timerSeconds.default(GATHER_TIMERS.pin),
  CALLBACK_WITHIN_HOURS: z.coerce.number().int().min(1).max(72).default(4),
  AGENT_HOURS: z
    .string()
    .regex(/^([01]?[0-9]|2[0-3]):[0-5][0-9]-([01]?[0-9]|2[0-3]):[0-5][0-9]$/, 'must be the agents\' weekday hours as H:MM-H:MM, e.g. 8:30-17:30')
    .default('8:30-17:30'),
  MESSAGE_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(30000).default(3000),
  AUDIO_ENABLED: bool(true),
  AUDIO_DIR: z.string().default('prompts/audio'),
  TTS_VOICE_ZH: ttsVoice('cmn-CN').default(VOICES['zh-CN'].tts),
  TTS_VOICE_EN: ttsVoice('en-US').default(VOICES['en-US'].tts),
  TTS_ENCODING: z.enum(['LINEAR16', 'MULAW']).default('LINEAR16'),
  SAY_VOICE_ZH: sayVoice.default(VOICES['zh-CN'].say),
  SAY_VOICE_EN: sayVoice.default(VOICES['en-US'].say),
  JAMBONZ_WEBHOOK_SECRET: optionalText.pipe(z.string().min(8, 'must be the jambonz account\'s webhook secret (at least 8 characters)').optional()),
  JAMBONZ_VOICE_ZH: jambonzVoice(/^(cmn|zh)(-|$)/i, `google/cmn-CN/${VOICES['zh-CN'].tts}`).prefault(`google/cmn-CN/${VOICES['zh-CN'].tts}`),
  JAMBONZ_VOICE_EN: jambonzVoice(/^en(-|$)/i, `google/en-US/${VOICES['en-US'].tts}`).prefault(`google/en-US/${VOICES['en-US'].tts}`),
  GOOGLE_APPLICATION_CREDENTIALS: optionalText,
  SUPERVISOR_SESSION_MINUTES: z.coerce.number().int().min(5).max(10080).default(480),
  SUPERVISOR_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  SUPERVISOR_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(1000).default(20),
  SUPERVISOR_LOGIN_LOCK_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  CONSOLE_TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  DASHBOARD_APOLOGY_WARN_PERCENT: z.coerce.number().min(0).max(100).default(2),
  CONSOLE_MAX_CONCURRENT: z.coerce.number().int().min(1).max(64).default(4),
  CONSOLE_MAX_QUEUED: z.coerce.number().int().min(0).max(1000).default(16),
  SUPERVISOR_LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  SUPERVISOR_LOGIN_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
  TRUST_PROXY: optionalText.pipe(
    z
      .string()
      .regex(
        /^(false|[0-9]|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/[0-9]{1,3})?)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/[0-9]{1,3})?))*)$/,
        'must be false, the number of proxy hops in front of the app (e.g. 1), or the proxies\' addresses (e.g. loopback, 10.0.0.0/8)',
      )
      .optional(),
  ),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

/** The synthesizer jambonz's `say` uses for one language (its `synthesizer` object). */
export interface JambonzSynthesizer {
  vendor: string;
  language: string;
  voice: string;
  /** Which of the account's credentials for that vendor, when it has several. */
  label?: string;
}

/** The validated settings the whole service runs on. */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  publicBaseUrl: string;
  twilio: { authToken: string; signatureCheck: boolean; accountSid?: string; smsFrom?: string };
  /**
   * The jambonz adapter: mounted under `/jambonz` only when a webhook secret is configured (in development a
   * development secret is the default); the synthesizer `say` uses per language.
   */
  jambonz: { webhookSecret?: string; voices: Record<Language, JambonzSynthesizer> };
  mongo: { uri?: string; dbName: string; embeddedEngine: 'auto' | 'mongodb-memory-server' | 'ferretdb'; dataDir: string; cacheDir: string };
  /** Add the demo citizens at start: on by default only in development (`npm start`), refused in production. */
  loadDemoData: boolean;
  pinPepper: string;
  qaToken?: string;
  /** Bearer token for `GET /metrics`; unset → metrics are open (keep the route off the public load balancer). */
  metricsToken?: string;
  /** When set, `/metrics` is served only on this (internal) port, not on the public one. */
  metricsPort?: number;
  agentNumber: string;
  email: { smtpUrl?: string; from: string };
  otp: { ttlSeconds: number; maxSends: number; sendWindowMinutes: number };
  /** Card locks, per factor (current password, code): failures per lock, first lock's minutes (doubling within 24 hours), failures per UTC day. */
  lock: { afterFailures: number; minutes: number; maxFailuresPerDay: number };
  /** Seconds each kind of `<Gather>` waits for the first key and between keys (menus short, the ID and codes longer). */
  gatherTimeouts: Record<GatherTimer, number>;
  /** Callbacks offered when no agent answers: the time callers are told to expect one within. */
  callback: { withinHours: number };
  /** The agents' weekday hours, as callers are told them before a goodbye (`8:30`, `17:30`). */
  agentHours: { opens: string; closes: string };
  messageSendTimeoutMs: number;
  /** Every "send a code" turn takes at least this long, so timing does not tell registered cards from others. */
  codeSendFloorMs: number;
  /**
   * Supervisor console: session lifetime; failed logins allowed per username and (free, then with doubling backoff up
   * to `backoffMaxSeconds`) per client address within the window; console hashes allowed at once (beyond: 429).
   */
  supervisor: { sessionMinutes: number; maxFailures: number; maxFailuresPerIp: number; lockMinutes: number; backoffMaxSeconds: number; hashConcurrency: number };
  /** Express `trust proxy`: false, hops, or the proxies' addresses; decides which address a console login is counted under. */
  trustProxy: false | number | string;
  /**
   * Supervisor console: the IANA time zone every time is shown and typed in; console requests (pages and API) served at
   * once per instance, and how many more wait for a slot (beyond: 503 with Retry-After), so supervisors never slow callers.
   */
  console: { timeZone: string; maxConcurrent: number; maxQueued: number };
  /** Today's dashboard: the apology (technical problem) rate, percent of ended calls, above which it shows a warning. */
  dashboard: { apologyWarnPercent: number };
  /**
   * Housekeeping: calls (turns, logs, index, password-change records) are deleted `callRetentionDays` after they
   * started; sealed outbox messages after `outboxRetentionDays`; a call no webhook has reached for `silentCallMinutes`
   * (four hours on an agent's line) is closed as abandoned.
   */
  housekeeping: { callRetentionDays: number; outboxRetentionDays: number; silentCallMinutes: number };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; format: 'json' | 'pretty' };
  /** Pre-built prompt audio: where it lives and whether `<Play>` is used for it. */
  audio: { enabled: boolean; dir: string };
  /** How prompts are synthesised and, without audio, spoken. */
  voices: {
    tts: Record<Language, string>;
    say: Record<Language, string>;
    encoding: 'LINEAR16' | 'MULAW';
    /** Service-account key file for Google Cloud Text-to-Speech (else Application Default Credentials). */
    googleCredentials?: string;
  };
}

/** Thrown when the environment holds a bad value; the message names the variable. */
export class ConfigError extends Error {}

/** Reads and checks the environment once; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const retired = Object.keys(RETIRED).filter((name) => name in given);
  if (retired.length > 0) throw new ConfigError(`Invalid configuration:\n  ${retired.map((name) => `${name}: ${RETIRED[name]}`).join('\n  ')}`);
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (e.PIN_PEPPER.startsWith('dev-')) problems.push('PIN_PEPPER: must be set to a secret in production');
    if (e.TWILIO_AUTH_TOKEN.startsWith('dev-')) problems.push('TWILIO_AUTH_TOKEN: must be set in production');
    if (!e.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL: must be set in production (the URL Twilio calls)');
    if (!e.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID: must be set in production (SMS codes and change notices)');
    if (!e.SMTP_URL) problems.push('SMTP_URL: must be set in production (email codes)');
    if (!e.TWILIO_SIGNATURE_CHECK) problems.push('TWILIO_SIGNATURE_CHECK: must stay on in production (unsigned webhooks would be obeyed)');
    if (e.PUBLIC_BASE_URL?.startsWith('http://')) problems.push('PUBLIC_BASE_URL: must be https:// in production (webhooks, audio and the console cookie)');
    if (!e.METRICS_TOKEN && e.METRICS_PORT === undefined) problems.push('METRICS_TOKEN: must be set in production, unless /metrics is served on an internal METRICS_PORT');
    if (!e.MONGODB_URI) problems.push('MONGODB_URI: must be set in production (the embedded database is for development)');
    if (e.LOAD_DEMO_DATA !== undefined && ['true', '1', 'yes'].includes(e.LOAD_DEMO_DATA)) problems.push('LOAD_DEMO_DATA: must be off in production (the demo citizens have published passwords)');
    if (e.JAMBONZ_WEBHOOK_SECRET !== undefined && (e.JAMBONZ_WEBHOOK_SECRET.length < 20 || e.JAMBONZ_WEBHOOK_SECRET.startsWith('dev-'))) {
      problems.push('JAMBONZ_WEBHOOK_SECRET: must be the jambonz account\'s own webhook secret in production (at least 20 characters, not a development value), or unset to turn the jambonz routes off');
    }
    if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  if (e.LOCK_MAX_FAILURES_PER_DAY < e.LOCK_AFTER_FAILURES) {
    throw new ConfigError('Invalid configuration:\n  LOCK_MAX_FAILURES_PER_DAY: must be at least LOCK_AFTER_FAILURES');
  }
  if (Boolean(e.TWILIO_ACCOUNT_SID) !== Boolean(e.TWILIO_SMS_FROM)) {
    const missing = e.TWILIO_ACCOUNT_SID ? 'TWILIO_SMS_FROM' : 'TWILIO_ACCOUNT_SID';
    throw new ConfigError(`Invalid configuration:\n  ${missing}: TWILIO_ACCOUNT_SID and TWILIO_SMS_FROM go together`);
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    twilio: { authToken: e.TWILIO_AUTH_TOKEN, signatureCheck: e.TWILIO_SIGNATURE_CHECK, accountSid: e.TWILIO_ACCOUNT_SID, smsFrom: e.TWILIO_SMS_FROM },
    jambonz: {
      webhookSecret: e.JAMBONZ_WEBHOOK_SECRET ?? (e.NODE_ENV === 'development' ? DEV_JAMBONZ_WEBHOOK_SECRET : undefined),
      voices: { 'zh-CN': e.JAMBONZ_VOICE_ZH, 'en-US': e.JAMBONZ_VOICE_EN },
    },
    mongo: { uri: e.MONGODB_URI, dbName: e.MONGODB_DB, embeddedEngine: e.EMBEDDED_DB_ENGINE, dataDir: e.DATA_DIR, cacheDir: e.CACHE_DIR },
    loadDemoData: e.LOAD_DEMO_DATA === undefined ? e.NODE_ENV === 'development' : ['true', '1', 'yes'].includes(e.LOAD_DEMO_DATA),
    pinPepper: e.PIN_PEPPER,
    qaToken: e.QA_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    agentNumber: e.AGENT_NUMBER,
    email: { smtpUrl: e.SMTP_URL, from: e.EMAIL_FROM },
    otp: { ttlSeconds: e.OTP_TTL_SECONDS, maxSends: e.OTP_MAX_SENDS, sendWindowMinutes: e.OTP_SEND_WINDOW_MINUTES },
    lock: { afterFailures: e.LOCK_AFTER_FAILURES, minutes: e.LOCK_MINUTES, maxFailuresPerDay: e.LOCK_MAX_FAILURES_PER_DAY },
    gatherTimeouts: { menu: e.GATHER_TIMEOUT_MENU_SECONDS, id: e.GATHER_TIMEOUT_ID_SECONDS, code: e.GATHER_TIMEOUT_CODE_SECONDS, pin: e.GATHER_TIMEOUT_PIN_SECONDS },
    callback: { withinHours: e.CALLBACK_WITHIN_HOURS },
    agentHours: { opens: e.AGENT_HOURS.split('-')[0], closes: e.AGENT_HOURS.split('-')[1] },
    messageSendTimeoutMs: e.MESSAGE_SEND_TIMEOUT_MS,
    codeSendFloorMs: e.CODE_SEND_FLOOR_MS,
    audio: { enabled: e.AUDIO_ENABLED, dir: e.AUDIO_DIR },
    voices: {
      tts: { 'zh-CN': e.TTS_VOICE_ZH, 'en-US': e.TTS_VOICE_EN },
      say: { 'zh-CN': e.SAY_VOICE_ZH, 'en-US': e.SAY_VOICE_EN },
      encoding: e.TTS_ENCODING,
      googleCredentials: e.GOOGLE_APPLICATION_CREDENTIALS,
    },
    supervisor: {
      sessionMinutes: e.SUPERVISOR_SESSION_MINUTES,
      maxFailures: e.SUPERVISOR_LOGIN_MAX_FAILURES,
      maxFailuresPerIp: e.SUPERVISOR_LOGIN_MAX_FAILURES_PER_IP,
      lockMinutes: e.SUPERVISOR_LOGIN_LOCK_MINUTES,
      backoffMaxSeconds: e.SUPERVISOR_LOGIN_BACKOFF_MAX_SECONDS,
      hashConcurrency: e.SUPERVISOR_LOGIN_HASH_CONCURRENCY,
    },
    console: { timeZone: e.CONSOLE_TIME_ZONE, maxConcurrent: e.CONSOLE_MAX_CONCURRENT, maxQueued: e.CONSOLE_MAX_QUEUED },
    dashboard: { apologyWarnPercent: e.DASHBOARD_APOLOGY_WARN_PERCENT },
    housekeeping: { callRetentionDays: e.CALL_RETENTION_DAYS, outboxRetentionDays: e.OUTBOX_RETENTION_DAYS, silentCallMinutes: e.SILENT_CALL_CLOSE_MINUTES },
    trustProxy: !e.TRUST_PROXY || e.TRUST_PROXY === 'false' ? false : /^[0-9]$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' || !process.stdout.isTTY ? 'json' : 'pretty') },
  };
}

/** Reads the environment with some settings replaced (the QA command runs its own in-process hotline). */
export function loadConfigWith(overrides: Record<string, string>): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/** Which channels really leave the building; the others go to the local outbox. */
export function realChannels(config: Config): { sms: boolean; email: boolean } {
  return { sms: Boolean(config.twilio.accountSid && config.twilio.smsFrom), email: Boolean(config.email.smtpUrl) };
}

/** True when both SMS and email are really delivered, in which case the QA outbox route is not mounted. */
export function realDeliveryConfigured(config: Config): boolean {
  const real = realChannels(config);
  return real.sms && real.email;
}

/** A code's lifetime in whole minutes, as callers hear it. */
export function otpMinutes(config: Config): number {
  return Math.ceil(config.otp.ttlSeconds / 60);
}

/** The configured values prompts name (`{otpMinutes}`, `{callbackHours}`, `{agentOpens}` …), as this configuration fills them in. */
export function promptParams(config: Config): Record<(typeof CONFIGURED_VALUES)[number], string | number> {
  return {
    otpMinutes: otpMinutes(config),
    lockMinutes: config.lock.minutes,
    lockAfter: config.lock.afterFailures,
    callbackHours: config.callback.withinHours,
    agentOpens: config.agentHours.opens,
    agentCloses: config.agentHours.closes,
  };
}
