import { maskCitizenId } from './citizen-id.ts';

/** Masks a phone number the way supervisors see it: `+86 138****8000`. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const digits = phone.replace(/[^0-9]/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  if (phone.startsWith('+86') && digits.length === 13) return `+86 ${digits.slice(2, 5)}****${digits.slice(-4)}`;
  const plus = phone.startsWith('+') ? '+' : '';
  return `${plus}${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** Masks an email address: first letter of the name and the domain kept. */
export function maskEmail(email: string | null | undefined): string {
  if (!email) return '';
  const at = email.indexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** Masks a phone number or an email address, whichever it is. */
export function maskAddress(address: string): string {
  return address.includes('@') ? maskEmail(address) : maskPhone(address);
}

const ID_PATTERN = /(?<![0-9A-Za-z])[0-9]{17}[0-9Xx*](?![0-9A-Za-z*])/g;
const LONG_DIGITS = /(?<![0-9A-Za-z*])[0-9*]{16,}(?![0-9A-Za-z])/g;
const PHONE_PATTERN = /(?<![0-9A-Za-z*])\+?[0-9]{8,15}(?![0-9A-Za-z])/g;
const EMAIL_PATTERN = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/** Masks e-mail addresses, ID numbers (also as keyed, `*` for X), other long digit runs and phone numbers found in free text. */
export function maskFreeText(text: string): string {
  return text
    .replace(EMAIL_PATTERN, (email) => maskEmail(email))
    .replace(ID_PATTERN, (id) => maskCitizenId(id.toUpperCase().replace('*', 'X')))
    .replace(LONG_DIGITS, (run) => maskCitizenId(run))
    .replace(PHONE_PATTERN, (phone) => maskPhone(phone));
}

