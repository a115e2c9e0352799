import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import mongoose from 'mongoose';
import initSqlJs from 'sql.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/storage/embedded-database.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The write statements FerretDB logged at debug level as they started (`>>>`) and ended (`<<<`), in order. */
function writeEvents(output: string): Array<'start' | 'end'> {
  return output
    .split('\n')
    .map((line) => /DEBUG\t\S+\t(>>>|<<<) (INSERT|UPDATE|DELETE) /.exec(line)?.[1])
    .filter((mark): mark is string => mark !== undefined)
    .map((mark) => (mark === '>>>' ? 'start' : 'end'));
}

/** The SQL statements FerretDB logged at debug level (`>>> <statement>\t{args}`), for one table. */
function statementsOn(output: string, table: string): string[] {
  return output
    .split('\n')
    .map((line) => /DEBUG\t\S+\t>>> (.*?)\t\{/.exec(line)?.[1])
    .filter((statement): statement is string => statement !== undefined && statement.includes(`"${table}"`));
}

describe('the embedded FerretDB as the project builds it (its patches)', function () {
  this.timeout(240_000);
  let database: EmbeddedDatabase;
  let dataDir: string;
  let output = '';

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-ferretdb-patches-'));
    database = await startEmbeddedDatabase({
      dataDir,
      cacheDir: path.join(repoRoot, '.cache'),
      engine: 'ferretdb',
      ferretDbLogLevel: 'debug',
      onOutput: (chunk) => (output += chunk),
    });
  });

  after(async () => {
    await database?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('of 40 inserts, updates and deletes sent at once on 40 connections, each starts after the one before has ended, and all land', async () => {
    const client = new mongoose.mongo.MongoClient(database.uri, { directConnection: true, maxPoolSize: 40, minPoolSize: 40 });
    let events: Array<'start' | 'end'>;
    try {
      await client.connect();
      const things = client.db('serial').collection<{ _id: string; n: number }>('things');
      await things.insertMany(Array.from({ length: 20 }, (_, n) => ({ _id: `old-${n}`, n })));
      await Promise.all(Array.from({ length: 40 }, (_, n) => things.findOne({ _id: `warm-${n}` })));
      output = '';
      await Promise.all([
        ...Array.from({ length: 20 }, (_, n) => things.insertOne({ _id: `new-${n}`, n })),
        ...Array.from({ length: 10 }, (_, n) => things.updateOne({ _id: `old-${n}` }, { $set: { n: -n } })),
        ...Array.from({ length: 10 }, (_, n) => things.deleteOne({ _id: `old-${10 + n}` })),
      ]);
      events = writeEvents(output);
      expect(await things.countDocuments({})).to.equal(30);
      expect(await things.countDocuments({ n: { $lt: 0 } })).to.equal(9);
    } finally {
      await client.close();
    }

    expect(events.filter((event) => event === 'start'), 'write statements FerretDB ran').to.have.length.of.at.least(40);
    let open = 0;
    let mostOpen = 0;
    for (const event of events) {
      open += event === 'start' ? 1 : -1;
      mostOpen = Math.max(mostOpen, open);
    }
    expect(mostOpen, 'write statements running at once').to.equal(1);
    expect(open).to.equal(0);
  });

  it('reads, updates and deletes by _id through SEARCH … USING INDEX, and the unpatched form would scan', async () => {
    const client = new mongoose.mongo.MongoClient(database.uri, { directConnection: true });
    await client.connect();
    const db = client.db('idx');
    const things = db.collection<{ _id: string; n: number }>('things');
    await things.insertMany(Array.from({ length: 2000 }, (_, n) => ({ _id: `call-${n}:${n % 7}`, n })));
    output = '';
    expect(await things.findOne({ _id: 'call-1234:2' })).to.deep.equal({ _id: 'call-1234:2', n: 1234 });
    expect((await things.updateOne({ _id: 'call-17:3' }, { $set: { n: -17 } })).modifiedCount).to.equal(1);
    expect((await things.deleteOne({ _id: 'call-18:4' })).deletedCount).to.equal(1);
    const explained = (await db.command({ explain: { find: 'things', filter: { _id: 'call-5:5' } } })) as { queryPlanner: { Plan: string[] } };
    await client.close();
    await database.stop();

    expect(explained.queryPlanner.Plan.join(' ')).to.match(/SEARCH things_\w+ USING INDEX things_\w+__id_/);
    const table = /SEARCH (things_\w+) USING/.exec(explained.queryPlanner.Plan.join(' '))![1];
    const run = statementsOn(output, table);
    const select = run.find((s) => s.startsWith('SELECT'));
    const update = run.find((s) => s.startsWith('UPDATE'));
    const remove = run.find((s) => s.startsWith('DELETE'));
    expect(select, 'the find FerretDB ran').to.be.a('string');
    expect(update, 'the update FerretDB ran').to.be.a('string');
    expect(remove, 'the delete FerretDB ran').to.be.a('string');

    const SQL = await initSqlJs();
    const file = (await readdir(path.join(dataDir, 'ferretdb'))).find((name) => name === 'idx.sqlite');
    const sqlite = new SQL.Database(await readFile(path.join(dataDir, 'ferretdb', file!)));
    const plan = (statement: string): string => {
      const params = (statement.match(/\?/g) ?? []).map(() => '"x"');
      return sqlite.exec(`EXPLAIN QUERY PLAN ${statement}`, params)[0].values.map((row) => String(row[3])).join(' | ');
    };
    for (const statement of [select!, update!, remove!]) {
      expect(plan(statement), statement).to.match(/^SEARCH things_\w+ USING INDEX things_\w+__id_ \(<expr>=\?\)$/);
    }
    expect(plan(select!.replace("->'_id'", "->'$._id'")), 'the statement as FerretDB 1.24.2 writes it unpatched').to.match(/^SCAN things_\w+$/);
    sqlite.close();
  });
});

describe('the embedded FerretDB\u2019s memory allocator (patched)', function () {
  this.timeout(240_000);

  it('reading and writing 20 KB documents one at a time maps no fresh memory for each: under 25 page faults a read and an insert (about 40 with the allocator as released, 10 to 16 patched)', async () => {
    // Its own database at the default log level: at debug level FerretDB logs each statement with its arguments, whose allocations fault pages too.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-ferretdb-faults-'));
    const database = await startEmbeddedDatabase({ dataDir, cacheDir: path.join(repoRoot, '.cache'), engine: 'ferretdb' });
    const client = new mongoose.mongo.MongoClient(database.uri, { directConnection: true });
    try {
      expect(database.pid, 'the database runs as its own process').to.be.a('number');
      // /proc/<pid>/stat: after the command name in parentheses, minflt is the eighth field.
      const minorFaults = async () => {
        const stat = await readFile(`/proc/${database.pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
      };
      await client.connect();
      const pages = client.db('faults').collection<{ _id: string; entries: string }>('pages');
      const entries = 'x'.repeat(20_000);
      const readAndInsert = async (id: string) => {
        await pages.insertOne({ _id: id, entries });
        expect((await pages.findOne({ _id: id }))?.entries.length).to.equal(entries.length);
      };
      for (let n = 0; n < 50; n += 1) await readAndInsert(`warm-${n}`);
      const before = await minorFaults();
      for (let n = 0; n < 200; n += 1) await readAndInsert(`page-${n}`);
      const perReadAndInsert = ((await minorFaults()) - before) / 200;
      expect(perReadAndInsert, 'minor page faults of the database per read and insert').to.be.below(25);
    } finally {
      await client.close();
      await database.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
