import winston from 'winston';
import type Transport from 'winston-transport';
import { maskCitizenId } from '../domain/citizen-id.ts';
import { maskAddress, maskFreeText, maskPhone } from '../domain/masking.ts';

/** The logger type used across the service. */
export type Logger = winston.Logger;

const SECRET_KEYS = new Set([
  'digits',
  'pin',
  'code',
  'password',
  'otp',
  'newpin',
  'currentpin',
  'secret',
  'authtoken',
  'pinpepper',
  'qatoken',
  'metricstoken',
  'token',
  'authorization',
  'cookie',
  'body',
  'rawbody',
]);

/** Past this depth a value is replaced whole: the scrubber fails closed, never passes an unread branch through. */
const MAX_DEPTH = 32;
const ID_KEYS = new Set(['idnumber', 'citizenidnumber']);
const PHONE_KEYS = new Set(['caller', 'from', 'to', 'mobile', 'phone', 'called']);
const ADDRESS_KEYS = new Set(['email', 'address', 'recipient']);

const SIX_DIGITS = /(?<![0-9A-Za-z])[0-9]{6}(?![0-9A-Za-z])/g;

/** What every pattern masked in free text needs: a digit, `@` (an address) or `*` (a run the ID mask also takes). */
const MASKABLE = /[0-9@*]/;

/** Free text in a log line: IDs and phone numbers masked, and any lone 6-digit run (a PIN or code?) hidden. */
function scrubText(text: string): string {
  // Most fields (states, events, prompt ids) hold none of them: five regex passes each saved on every line.
  if (!MASKABLE.test(text)) return text;
  return maskFreeText(text).replace(SIX_DIGITS, '••••••');
}

function scrub(value: unknown, key: string, depth: number, seen: WeakSet<object>): unknown {
  const k = key.toLowerCase();
  if (k === 'callsid') return value;
  if (SECRET_KEYS.has(k)) return value === undefined || value === null || value === '' ? value : '[redacted]';
  if (typeof value === 'string') {
    if (ID_KEYS.has(k)) return maskCitizenId(value);
    if (PHONE_KEYS.has(k)) return value.includes('@') ? maskAddress(value) : maskPhone(value);
    if (ADDRESS_KEYS.has(k)) return maskAddress(value);
    return scrubText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  if (value instanceof Error) {
    // A body parser's error (it has a `type` such as entity.parse.failed) quotes the body in its message.
    const parser = typeof (value as { type?: unknown }).type === 'string';
    return { name: value.name, message: parser ? String((value as { type?: unknown }).type) : scrubText(value.message), stack: value.stack && !parser ? scrubText(value.stack) : undefined };
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => scrub(item, '', depth + 1, seen));
    return Object.fromEntries(Object.entries(value).map(([childKey, child]) => [childKey, scrub(child, childKey, depth + 1, seen)]));
  } finally {
    seen.delete(value);
  }
}

/** A winston format that masks IDs, phone numbers and addresses and drops PINs and codes from every line. */
export const maskSecrets = winston.format((info) => {
  const seen = new WeakSet<object>();
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    (info as Record<string, unknown>)[key] = scrub((info as Record<string, unknown>)[key], key, 0, seen);
  }
  return info;
});

/** Builds the service logger: JSON lines (or pretty in a terminal), masks applied before any transport. */
export function createLogger(options: { level: string; format: 'json' | 'pretty'; transports?: Transport[] }): Logger {
  const output =
    options.format === 'json'
      ? winston.format.json()
      : winston.format.combine(
          winston.format.colorize(),
          winston.format.printf(({ level, message, timestamp, ...rest }) => {
            const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${fields}`;
          }),
        );
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(maskSecrets(), winston.format.timestamp(), output),
    transports: options.transports ?? [new winston.transports.Console()],
  });
}
