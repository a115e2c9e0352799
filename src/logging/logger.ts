import winston from 'winston';
import type Transport from 'winston-transport';
import { maskCitizenId } from '../domain/citizen-id.ts';
import { maskAddress, maskFreeText, maskPhone } from '../domain/masking.ts';

/** The logger type used across the service. */
export type Logger = winston.Logger;

const SECRET_KEYS = new Set(['digits', 'pin', 'code', 'password', 'otp', 'newpin', 'currentpin', 'secret', 'authtoken', 'pinpepper', 'qatoken']);
const ID_KEYS = new Set(['idnumber', 'citizenidnumber']);
const PHONE_KEYS = new Set(['caller', 'from', 'to', 'mobile', 'phone', 'called']);
const ADDRESS_KEYS = new Set(['email', 'address', 'recipient']);

const SIX_DIGITS = /(?<![0-9A-Za-z])[0-9]{6}(?![0-9A-Za-z])/g;

/** Free text in a log line: IDs and phone numbers masked, and any lone 6-digit run (a PIN or code?) hidden. */
function scrubText(text: string): string {
  return maskFreeText(text).replace(SIX_DIGITS, '••••••');
}

function scrub(value: unknown, key: string, depth: number): unknown {
  const k = key.toLowerCase();
  if (k === 'callsid') return value;
  if (SECRET_KEYS.has(k)) return value === undefined || value === null || value === '' ? value : '[redacted]';
  if (typeof value === 'string') {
    if (ID_KEYS.has(k)) return maskCitizenId(value);
    if (PHONE_KEYS.has(k)) return value.includes('@') ? maskAddress(value) : maskPhone(value);
    if (ADDRESS_KEYS.has(k)) return maskAddress(value);
    return scrubText(value);
  }
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: scrubText(value.message), stack: value.stack ? scrubText(value.stack) : undefined };
  if (Array.isArray(value)) return value.map((item) => scrub(item, '', depth + 1));
  return Object.fromEntries(Object.entries(value).map(([childKey, child]) => [childKey, scrub(child, childKey, depth + 1)]));
}

/** A winston format that masks IDs, phone numbers and addresses and drops PINs and codes from every line. */
export const maskSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    (info as Record<string, unknown>)[key] = scrub((info as Record<string, unknown>)[key], key, 0);
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
