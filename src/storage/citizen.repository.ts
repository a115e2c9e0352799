import type { CitizenDoc, Models } from './models.ts';

/** A card holder as the services see it. */
export interface Citizen {
  id: string;
  idNumber: string;
  idHash: string;
  name: string;
  mobile: string | null;
  email: string | null;
  pinHash: string | null;
  /** When the password was last set (null: never, or set before this was kept). */
  pinSetAt: Date | null;
}

/** A card holder to load with the seed command. */
export interface CitizenSeed {
  idNumber: string;
  idHash: string;
  name: string;
  mobile?: string | null;
  email?: string | null;
  pinHash?: string | null;
}

const toCitizen = (doc: Omit<CitizenDoc, 'createdAt' | 'updatedAt'> & { _id: unknown }): Citizen => ({
  id: String(doc._id),
  idNumber: doc.idNumber,
  idHash: doc.idHash,
  name: doc.name,
  mobile: doc.mobile ?? null,
  email: doc.email ?? null,
  pinHash: doc.pinHash ?? null,
  pinSetAt: doc.pinSetAt ?? null,
});

/** Reads and updates card holders. */
export class CitizenRepository {
  constructor(private readonly models: Models) {}

  /** The citizen with this ID look-up hash, or null (one `_id` read: a citizen is keyed by it). */
  async findByIdHash(idHash: string): Promise<Citizen | null> {
    return this.read(idHash);
  }

  /** The citizen with this database id (its ID look-up hash), or null. */
  async findById(id: string): Promise<Citizen | null> {
    return this.read(id);
  }

  private async read(id: string): Promise<Citizen | null> {
    if (!/^[0-9a-f]{64}$/.test(id)) return null;
    const doc = (await this.models.Citizen.collection.findOne({ _id: id } as never)) as CitizenDoc | null;
    return doc ? toCitizen(doc) : null;
  }

  /** Stores a new password hash. */
  async setPinHash(id: string, pinHash: string, at: Date): Promise<void> {
    await this.models.Citizen.collection.updateOne({ _id: id } as never, { $set: { pinHash, pinSetAt: at, updatedAt: at } });
  }

  /**
   * Inserts card holders by ID number; existing ones are updated, or left as they are with `keepExisting`
   * (so demo data loaded at every start never undoes a password set on a call). Returns the counts.
   */
  async upsertMany(seeds: CitizenSeed[], options: { keepExisting?: boolean } = {}): Promise<{ inserted: number; updated: number; kept: number }> {
    let inserted = 0;
    let updated = 0;
    let kept = 0;
    for (const seed of seeds) {
      const now = new Date();
      const fields: Record<string, unknown> = { idNumber: seed.idNumber, idHash: seed.idHash, name: seed.name, mobile: seed.mobile ?? null, email: seed.email ?? null, updatedAt: now };
      if (seed.pinHash !== undefined) fields.pinHash = seed.pinHash;
      const update = options.keepExisting ? { $setOnInsert: { ...fields, createdAt: now } } : { $set: fields, $setOnInsert: { createdAt: now } };
      const result = await this.models.Citizen.collection.updateOne({ _id: seed.idHash } as never, update, { upsert: true });
      if (result.upsertedCount > 0) inserted += 1;
      else if (options.keepExisting) kept += 1;
      else updated += 1;
    }
    return { inserted, updated, kept };
  }

  /** How many card holders are registered (a scan: the seed command's report only). */
  async count(): Promise<number> {
    return this.models.Citizen.countDocuments();
  }

  /**
   * Re-keys card holders stored by an earlier version (ObjectId `_id`, looked up by a secondary index) by their ID
   * look-up hash, so an existing data folder keeps its citizens and their passwords. Runs at start: it reads the
   * first document in storage order (legacy ones come first, as each is replaced by a new document at the end), and
   * only when that one is legacy does it read them all. Returns how many were moved.
   */
  async rekeyLegacy(): Promise<number> {
    const first = (await this.models.Citizen.collection.findOne({}, { projection: { _id: 1 } })) as { _id: unknown } | null;
    if (!first || typeof first._id === 'string') return 0;
    const legacy = (await this.models.Citizen.collection.find({ _id: { $type: 'objectId' } } as never).toArray()) as unknown as Array<CitizenDoc & { _id: unknown }>;
    if (legacy.length === 0) return 0;
    for (const index of ['idNumber_1', 'idHash_1']) await this.models.Citizen.collection.dropIndex(index).catch(() => undefined);
    for (const doc of legacy) {
      await this.models.Citizen.collection.updateOne({ _id: doc.idHash } as never, { $setOnInsert: { ...doc, _id: doc.idHash } } as never, { upsert: true });
      await this.models.Citizen.collection.deleteOne({ _id: doc._id } as never);
    }
    return legacy.length;
  }
}
