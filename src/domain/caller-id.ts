/** Caller ids that mean "withheld" (ANONYMOUS, RESTRICTED, UNAVAILABLE spelt on a keypad, as Twilio reports them). */
const WITHHELD = new Set(['266696687', '7378742833', '86282452253', '8656696']);

/** Whether a caller id is a number that can be called back (not withheld, not a SIP or client name), whatever the carrier. */
export function callbackReachable(from: string): boolean {
  const digits = from.replace(/[^0-9]/g, '');
  return /^\+?[0-9 ()-]+$/.test(from) && digits.length >= 7 && !WITHHELD.has(digits);
}
