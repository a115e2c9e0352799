/** A CSV field, quoted when needed; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it. */
export function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
