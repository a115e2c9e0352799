/**
 * How many numbers of a dense sequence (0, 1, 2, … with no gaps: turns of a call, messages to one recipient, entries
 * of an hour) exist, found with `exists` look-ups only — doubling until one is missing, then halving between the
 * last present and the first missing — so a sequence of n costs about 2·log2(n) reads, never a scan.
 */
export async function sequenceLength(exists: (n: number) => Promise<boolean>, max = Number.MAX_SAFE_INTEGER): Promise<number> {
  if (!(await exists(0))) return 0;
  let present = 0;
  let missing = 1;
  while (missing < max && (await exists(missing))) {
    present = missing;
    missing *= 2;
  }
  missing = Math.min(missing, max);
  while (missing - present > 1) {
    const middle = Math.floor((present + missing) / 2);
    if (await exists(middle)) present = middle;
    else missing = middle;
  }
  return present + 1;
}
