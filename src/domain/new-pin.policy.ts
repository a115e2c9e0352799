import { COMMON_PINS } from './common-pins.ts';

/** Why a proposed new card password was refused; each has a prompt (`pin.weak.<reason>`) that says so. */
export type WeakPinReason =
  | 'format'
  | 'all-same'
  | 'sequence'
  | 'pattern'
  | 'keypad'
  | 'birth-date'
  | 'id-tail'
  | 'mobile-tail'
  | 'common'
  | 'same-as-current';

/** Straight lines of three keys on a phone keypad (rows, columns, diagonals, 2-5-8-0), either way. */
const KEYPAD_LINES = new Set(['123', '456', '789', '147', '258', '369', '580', '159', '357'].flatMap((line) => [line, [...line].reverse().join('')]));

/** Repeated or mirrored shapes: at most two different digits, abcabc, abccba, aabbcc. */
function isPattern(pin: string): boolean {
  const [a, b, c, d, e, f] = pin;
  if (new Set(pin).size <= 2) return true;
  if (pin.slice(0, 3) === pin.slice(3)) return true;
  if (a === f && b === e && c === d) return true;
  return a === b && c === d && e === f;
}

/** Checks a proposed 6-digit card password against the rules that do not need the stored hash. */
export function weakPinReason(pin: string, idNumber: string | undefined, mobile?: string | null): WeakPinReason | null {
  if (!/^[0-9]{6}$/.test(pin)) return 'format';
  if (/^(\d)\1{5}$/.test(pin)) return 'all-same';
  const steps = [...pin].slice(1).map((d, i) => (Number(d) - Number(pin[i]) + 10) % 10);
  if (steps.every((s) => s === 1) || steps.every((s) => s === 9)) return 'sequence';
  if (isPattern(pin)) return 'pattern';
  if (KEYPAD_LINES.has(pin.slice(0, 3)) && KEYPAD_LINES.has(pin.slice(3))) return 'keypad';
  if (idNumber && idNumber.length === 18) {
    const birth = idNumber.slice(6, 14);
    const yyyy = birth.slice(0, 4);
    const yy = birth.slice(2, 4);
    const mm = birth.slice(4, 6);
    const dd = birth.slice(6, 8);
    const exact = new Set([`${yy}${mm}${dd}`, `${dd}${mm}${yy}`, `${mm}${dd}${yy}`, `${yyyy}${mm}`, `${mm}${yyyy}`]);
    if (exact.has(pin) || birth.includes(pin) || pin.includes(`${mm}${dd}`) || pin.includes(`${dd}${mm}`)) return 'birth-date';
    if (pin === idNumber.replace(/X$/i, '').slice(-6)) return 'id-tail';
  }
  if (mobile && pin === mobile.replace(/[^0-9]/g, '').slice(-6)) return 'mobile-tail';
  if (COMMON_PINS.has(pin)) return 'common';
  return null;
}
