import { eachLimited } from '../security/semaphore.ts';
import { insertOnce } from './insert-once.ts';
import type { BucketPageDoc, Models } from './models.ts';

/** Entries per page: a page is one small document, rewritten by its one writer as it fills. */
export const BUCKET_PAGE_SIZE = 200;

/** How many keys an instance remembers its slot for (a forgotten key just takes a new slot). */
const REMEMBERED_KEYS = 20_000;

/**
 * Sealed pages a reader keeps in memory: a page with a page after it never changes again (its one writer moved on
 * once it was full), so it is read once; about 30 KB each for the call index.
 */
const SEALED_PAGES_KEPT = 400;

/** Updates (and deletes) sent in one command: FerretDB 1.24.2 on SQLite stops answering an `update` command of 100 statements or more. */
const UPDATES_PER_COMMAND = 50;

interface SlotState {
  slot: number;
  page: number;
  count: number;
}

/** The `_id` of one page of a key. */
export const pageId = (key: string, slot: number, page: number) => `${key}|${slot}|${page}`;

/**
 * Append-only lists of strings under a key, readable by `_id` alone on every engine this project runs on.
 *
 * Each instance writes its own run of pages for a key (`key|slot|page`): it claims the first free slot with a
 * unique-key insert (the one atomic primitive on FerretDB 1.x) and from then on is that slot's only writer, so its
 * `$push`es never race (FerretDB's updates are read-modify-write); page 0 also carries how many pages the slot has.
 * Readers take slot 0, 1, … until one does not exist, and each slot's pages from that count (checking one further,
 * as the count is written just after a new page). Nothing here is a scan, so a key costs the same after a million calls.
 */
export class BucketLog {
  private readonly slots = new Map<string, SlotState>();
  private readonly sealedPages = new Map<string, string[]>();

  constructor(
    private readonly models: Models,
    private readonly pageSize = BUCKET_PAGE_SIZE,
  ) {}

  private remember(key: string, state: SlotState): void {
    this.slots.delete(key);
    this.slots.set(key, state);
    if (this.slots.size > REMEMBERED_KEYS) this.slots.delete(this.slots.keys().next().value as string);
  }

  private insertPage(key: string, slot: number, page: number, entries: string[]): Promise<boolean> {
    return insertOnce(() => this.models.CallIndex.collection.insertOne({ _id: pageId(key, slot, page), entries } as never));
  }

  /** Appends entries under a key (call it for one key at a time: the caller serialises appends per key). */
  async append(key: string, entries: string[]): Promise<void> {
    let rest = entries;
    while (rest.length > 0) {
      const state = this.slots.get(key);
      if (!state) {
        const first = rest.slice(0, this.pageSize);
        let slot = 0;
        while (!(await this.insertPage(key, slot, 0, first))) slot += 1;
        this.remember(key, { slot, page: 0, count: first.length });
        rest = rest.slice(first.length);
      } else if (state.count < this.pageSize) {
        const more = rest.slice(0, this.pageSize - state.count);
        await this.models.CallIndex.collection.updateOne({ _id: pageId(key, state.slot, state.page) } as never, { $push: { entries: { $each: more } } } as never);
        this.remember(key, { ...state, count: state.count + more.length });
        rest = rest.slice(more.length);
      } else {
        const next = rest.slice(0, this.pageSize);
        if (await this.insertPage(key, state.slot, state.page + 1, next)) {
          await this.models.CallIndex.collection.updateOne({ _id: pageId(key, state.slot, 0) } as never, { $set: { pages: state.page + 2 } } as never);
          this.remember(key, { slot: state.slot, page: state.page + 1, count: next.length });
          rest = rest.slice(next.length);
        } else {
          this.slots.delete(key);
        }
      }
    }
  }

  /**
   * Appends under many keys in few round trips: one unordered insert of the first page of every key this instance
   * has no slot for yet (slot 0; a key whose slot 0 is taken falls back to `append`, which takes the next free one),
   * one unordered bulk of `$push`es for keys whose page has room, and `append` for the rest.
   */
  async appendAll(batches: Array<[string, string[]]>, concurrency = 8): Promise<void> {
    const fresh: Array<[string, string[]]> = [];
    const pushable: Array<[string, string[], SlotState]> = [];
    const rest: Array<[string, string[]]> = [];
    for (const [key, lines] of batches) {
      const state = this.slots.get(key);
      if (!state && lines.length <= this.pageSize) fresh.push([key, lines]);
      else if (state && state.count + lines.length <= this.pageSize) pushable.push([key, lines, state]);
      else rest.push([key, lines]);
    }
    const collection = this.models.CallIndex.collection;
    if (fresh.length > 0) {
      const taken = new Set<number>();
      try {
        await collection.insertMany(fresh.map(([key, lines]) => ({ _id: pageId(key, 0, 0), entries: lines })) as never[], { ordered: false });
      } catch (error) {
        const writeErrors = (error as { writeErrors?: Array<{ index: number; code: number }> }).writeErrors;
        if (!writeErrors || writeErrors.some((w) => w.code !== 11000)) throw error;
        for (const w of writeErrors) taken.add(w.index);
      }
      fresh.forEach(([key, lines], i) => {
        if (taken.has(i)) rest.push([key, lines]);
        else this.remember(key, { slot: 0, page: 0, count: lines.length });
      });
    }
    for (let i = 0; i < pushable.length; i += UPDATES_PER_COMMAND) {
      const chunk = pushable.slice(i, i + UPDATES_PER_COMMAND);
      await collection.bulkWrite(
        chunk.map(([key, lines, state]) => ({ updateOne: { filter: { _id: pageId(key, state.slot, state.page) }, update: { $push: { entries: { $each: lines } } } } })) as never[],
        { ordered: false },
      );
      for (const [key, lines, state] of chunk) this.remember(key, { ...state, count: state.count + lines.length });
    }
    await eachLimited(rest, concurrency, ([key, lines]) => this.append(key, lines));
  }

  /** Deletes every page of a key (retention): each slot's pages by `_id`, at most 50 deletes to a command. */
  async remove(key: string): Promise<number> {
    this.slots.delete(key);
    for (const id of this.sealedPages.keys()) if (id.startsWith(`${key}|`)) this.sealedPages.delete(id);
    const ids: string[] = [];
    for (let slot = 0; ; slot += 1) {
      const first = await this.readPage(key, slot, 0);
      if (!first) break;
      let page = 0;
      for (; page < Math.max(1, first.pages ?? 1) || (await this.readPage(key, slot, page)) !== null; page += 1) ids.push(pageId(key, slot, page));
    }
    for (let i = 0; i < ids.length; i += UPDATES_PER_COMMAND) {
      await this.models.CallIndex.collection.bulkWrite(ids.slice(i, i + UPDATES_PER_COMMAND).map((_id) => ({ deleteOne: { filter: { _id } } })) as never[], { ordered: false });
    }
    return ids.length;
  }

  private readPage(key: string, slot: number, page: number): Promise<(BucketPageDoc & { pages?: number }) | null> {
    return this.models.CallIndex.collection.findOne({ _id: pageId(key, slot, page) } as never) as Promise<(BucketPageDoc & { pages?: number }) | null>;
  }

  /**
   * A page after a slot's first, from memory once it is `sealed` (page 0 counts a page after it). The first page is
   * always read: it says whether the key still exists and how many pages the slot has.
   */
  private async laterPage(key: string, slot: number, page: number, sealed: boolean): Promise<string[] | null> {
    const id = pageId(key, slot, page);
    const kept = this.sealedPages.get(id);
    if (kept) {
      this.sealedPages.delete(id);
      this.sealedPages.set(id, kept);
      return kept;
    }
    const doc = await this.readPage(key, slot, page);
    if (doc && sealed) {
      this.sealedPages.set(id, doc.entries);
      if (this.sealedPages.size > SEALED_PAGES_KEPT) this.sealedPages.delete(this.sealedPages.keys().next().value as string);
    }
    return doc?.entries ?? null;
  }

  /** Every entry under a key: each slot's pages in order, slot after slot (sealed pages after the first from memory). */
  async read(key: string): Promise<string[]> {
    const entries: string[] = [];
    for (let slot = 0; ; slot += 1) {
      const first = await this.readPage(key, slot, 0);
      if (!first) return entries;
      entries.push(...first.entries);
      const counted = Math.max(1, first.pages ?? 1);
      const pages = await Promise.all(Array.from({ length: counted - 1 }, (_, i) => this.laterPage(key, slot, i + 1, i + 2 < counted)));
      for (const page of pages) if (page) entries.push(...page);
      for (let page = counted; ; page += 1) {
        const later = await this.laterPage(key, slot, page, false);
        if (!later) break;
        entries.push(...later);
      }
    }
  }
}
