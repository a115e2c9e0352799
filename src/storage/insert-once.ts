/** Runs an insert guarded by a unique key: true when it went in, false when the key existed (atomic on MongoDB and FerretDB). */
export async function insertOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 11000) return false;
    throw error;
  }
}

/**
 * Takes the first free slot of a series by inserting each `_id` in order until one goes in: the index of the
 * slot taken, or -1 when every slot is already taken. Concurrent callers each get a different slot, so a series
 * of N slots admits exactly N.
 */
export async function takeFirstFree(ids: string[], insert: (id: string) => Promise<unknown>): Promise<number> {
  for (let k = 0; k < ids.length; k += 1) {
    if (await insertOnce(() => insert(ids[k]))) return k;
  }
  return -1;
}
