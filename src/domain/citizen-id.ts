const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/** Why an entered citizen ID number was refused. */
export type CitizenIdProblem = 'length' | 'characters' | 'birth-date' | 'check-digit';

/** The result of checking an 18-character citizen ID number (GB 11643). */
export type CitizenIdCheck =
  | { ok: true; idNumber: string; birthDate: { year: number; month: number; day: number } }
  | { ok: false; problem: CitizenIdProblem };

/** The GB 11643 check character for the first 17 digits. */
export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/** Turns keypad input into an ID number: `*` stands for the final X. */
export function idFromKeypad(digits: string): string {
  return digits.replace(/\*/g, 'X').toUpperCase();
}

/** Checks length, characters, birth date and check digit of an 18-character citizen ID number. */
export function checkCitizenId(raw: string, today: Date = new Date()): CitizenIdCheck {
  const id = idFromKeypad(raw.trim());
  if (id.length !== 18) return { ok: false, problem: 'length' };
  if (!/^[0-9]{17}[0-9X]$/.test(id)) return { ok: false, problem: 'characters' };
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!real || year < 1850 || date.getTime() > today.getTime()) return { ok: false, problem: 'birth-date' };
  if (checkCharacter(id.slice(0, 17)) !== id[17]) return { ok: false, problem: 'check-digit' };
  return { ok: true, idNumber: id, birthDate: { year, month, day } };
}

/** Masks an ID number for people and logs: first four and last four characters kept. */
export function maskCitizenId(id: string): string {
  if (id.length < 9) return '*'.repeat(id.length);
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}
