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
});

/** Reads and updates card holders. */
export class CitizenRepository {
  constructor(private readonly models: Models) {}

  /** The citizen with this ID look-up hash, or null. */
  async findByIdHash(idHash: string): Promise<Citizen | null> {
    const doc = await this.models.Citizen.findOne({ idHash }).lean();
    return doc ? toCitizen(doc) : null;
  }

  /** The citizen with this database id, or null. */
  async findById(id: string): Promise<Citizen | null> {
    if (!/^[0-9a-f]{24}$/.test(id)) return null;
    const doc = await this.models.Citizen.findById(id).lean();
    return doc ? toCitizen(doc) : null;
  }

  /** Stores a new password hash. */
  async setPinHash(id: string, pinHash: string, at: Date): Promise<void> {
    await this.models.Citizen.updateOne({ _id: id }, { $set: { pinHash, pinSetAt: at } });
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
      const fields: Record<string, unknown> = { idHash: seed.idHash, name: seed.name, mobile: seed.mobile ?? null, email: seed.email ?? null };
      if (seed.pinHash !== undefined) fields.pinHash = seed.pinHash;
      const update = options.keepExisting ? { $setOnInsert: fields } : { $set: fields };
      const result = await this.models.Citizen.updateOne({ idNumber: seed.idNumber }, update, { upsert: true });
      if (result.upsertedCount > 0) inserted += 1;
      else if (options.keepExisting) kept += 1;
      else updated += 1;
    }
    return { inserted, updated, kept };
  }

  /** How many card holders are registered. */
  async count(): Promise<number> {
    return this.models.Citizen.countDocuments();
  }
}
