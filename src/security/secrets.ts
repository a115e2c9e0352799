import argon2 from 'argon2';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** OWASP's first-choice Argon2id parameters (19 MiB, 2 passes, 1 lane). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a card password with Argon2id, a per-record salt and the server-side pepper. */
export async function hashPin(pin: string, pepper: string): Promise<string> {
  return argon2.hash(pin, { ...ARGON2_OPTIONS, secret: Buffer.from(pepper) });
}

/** Checks a card password against its stored Argon2id hash (constant time inside argon2). */
export async function verifyPin(hash: string, pin: string, pepper: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, pin, { secret: Buffer.from(pepper) });
  } catch {
    return false;
  }
}

/** A keyed hash (HMAC-SHA256 with the pepper) for look-ups and one-time codes; purpose separates uses. */
export function keyedHash(pepper: string, purpose: string, value: string): string {
  return createHmac('sha256', pepper).update(`${purpose}\u0000${value}`).digest('hex');
}

/**
 * The keyed hashes (purpose `caller`) a phone number can be recorded under: its digits as written, and with or without
 * China's country code 86 (a caller's number arrives as +86…, a registered mobile may be written either way).
 */
export function phoneHashes(pepper: string, phone: string): string[] {
  const digits = phone.replace(/[^0-9]/g, '');
  if (!digits) return [];
  const variants = new Set([digits]);
  if (digits.startsWith('86') && digits.length === 13) variants.add(digits.slice(2));
  if (digits.length === 11) variants.add(`86${digits}`);
  return [...variants].map((d) => keyedHash(pepper, 'caller', d));
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** A 6-digit one-time code from the operating system's cryptographic generator. */
export function newOneTimeCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

function boxKey(pepper: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pepper, 'hotline-outbox', 'aes-256-gcm', 32));
}

/** Seals a message body (AES-256-GCM, key derived from the pepper) so the local outbox holds no code in clear. */
export function sealText(pepper: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', boxKey(pepper), iv);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64')).join('.');
}

/** Opens a body sealed by sealText. */
export function openText(pepper: string, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
  const decipher = createDecipheriv('aes-256-gcm', boxKey(pepper), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

function cardRefKey(pepper: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pepper, 'hotline-card-ref', 'aes-256-gcm', 32));
}

/**
 * An opaque, stable reference to a card for console links (`/supervisor/cards/<ref>`): its ID look-up hash sealed with
 * AES-256-GCM under a key derived from the pepper, the IV derived from the hash (so one card has one reference). The
 * console never shows the hash itself; only this app can open the reference.
 */
export function sealCardRef(pepper: string, idHash: string): string {
  const key = cardRefKey(pepper);
  const iv = createHmac('sha256', key).update(idHash).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(Buffer.from(idHash, 'hex')), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The ID look-up hash a card reference was sealed from, or null when it is not one of ours. */
export function openCardRef(pepper: string, ref: string): string | null {
  if (!/^[A-Za-z0-9_-]{80}$/.test(ref)) return null;
  const raw = Buffer.from(ref, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', cardRefKey(pepper), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('hex');
  } catch {
    return null;
  }
}
