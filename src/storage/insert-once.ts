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
