import { insertOnce } from './insert-once.ts';
import type { Models } from './models.ts';

/** Claims of housekeeping runs, so that of several instances one does each run (a unique-key insert decides). */
export class HousekeepingRepository {
  constructor(private readonly models: Models) {}

  /** Claims a run by its id; false when another instance (or an earlier run) has it. */
  async claim(id: string, at: Date): Promise<boolean> {
    return insertOnce(() => this.models.Housekeeping.collection.insertOne({ _id: id, at } as never));
  }

  /** Whether a run (or its `:done` marker) exists. */
  async exists(id: string): Promise<boolean> {
    return (await this.models.Housekeeping.collection.findOne({ _id: id } as never, { projection: { _id: 1 } })) !== null;
  }
}
