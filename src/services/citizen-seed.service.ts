import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { checkCitizenId } from '../domain/citizen-id.ts';
import { hashPin, keyedHash } from '../security/secrets.ts';
import type { Store } from '../storage/store.ts';

/** One citizen as seed files and QA scripts declare it. */
export const citizenRecord = z.object({
  idNumber: z.string().refine((v) => checkCitizenId(v).ok, 'not a valid 18-character citizen ID number (GB 11643)'),
  name: z.string().min(1).max(100),
  mobile: z.string().regex(/^\+?[0-9]{6,15}$/, 'must be a phone number in E.164 form, e.g. +8613800138000').nullable().optional(),
  email: z.email().nullable().optional(),
  password: z.string().regex(/^[0-9]{6}$/, 'must be 6 digits').optional(),
});

/** The seed file format: an array of citizens. */
export const seedFile = z.array(citizenRecord);

/** Thrown when a seed file cannot be read or does not match the format; the message names the entry. */
export class SeedError extends Error {}

/** Reads and checks a seed file, hashing any password it gives. */
export async function readSeedFile(path: string, pepper: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new SeedError(`${path}: cannot read JSON (${(error as Error).message})`);
  }
  const parsed = seedFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SeedError(`${path}: entry ${issue.path.join('.')}: ${issue.message}`);
  }
  return prepareCitizens(parsed.data, pepper);
}

/** Turns declared citizens into stored form: upper-case ID, look-up hash, and a password hash when one is given. */
export async function prepareCitizens(records: Array<z.infer<typeof citizenRecord>>, pepper: string) {
  return Promise.all(
    records.map(async (record) => {
      const idNumber = record.idNumber.toUpperCase();
      return {
        idNumber,
        idHash: keyedHash(pepper, 'citizen-id', idNumber),
        name: record.name,
        mobile: record.mobile ?? null,
        email: record.email ?? null,
        pinHash: record.password ? await hashPin(record.password, pepper) : undefined,
      };
    }),
  );
}

/** Loads a seed file into the citizens collection by ID number: updating existing ones, or keeping them with `keepExisting`. */
export async function seedCitizens(store: Store, path: string, pepper: string, options: { keepExisting?: boolean } = {}) {
  return store.citizens.upsertMany(await readSeedFile(path, pepper), options);
}
