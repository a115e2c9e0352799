import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/storage/embedded-database.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = path.join(repoRoot, '.cache');

const noteSchema = new mongoose.Schema({ key: { type: String, required: true, unique: true }, body: String });

function noteModel(connection: mongoose.Connection) {
  return connection.model('Note', noteSchema);
}

describe('embedded database', function () {
  this.timeout(180000);

  let dataDir: string;
  let database: EmbeddedDatabase | undefined;
  let connection: mongoose.Connection | undefined;

  async function start(): Promise<ReturnType<typeof noteModel>> {
    database = await startEmbeddedDatabase({ dataDir, cacheDir });
    connection = await mongoose.createConnection(database.uri, { dbName: 'embedded-database-test' }).asPromise();
    const Note = noteModel(connection);
    await Note.init();
    return Note;
  }

  async function stop(): Promise<void> {
    await connection?.close();
    connection = undefined;
    await database?.stop();
    database = undefined;
  }

  before(async function () {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'embedded-database-test-'));
  });

  afterEach(stop);

  after(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts a server that stores documents and enforces unique indexes', async function () {
    const Note = await start();
    expect(database?.uri).to.match(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(['mongodb-memory-server', 'ferretdb']).to.include(database?.engine);

    await Note.create({ key: 'greeting', body: 'hello' });
    const found = await Note.findOne({ key: 'greeting' }).lean();
    expect(found?.body).to.equal('hello');

    let duplicateError: unknown;
    try {
      await Note.create({ key: 'greeting', body: 'again' });
    } catch (error) {
      duplicateError = error;
    }
    expect(duplicateError).to.have.property('code', 11000);
    expect(await Note.countDocuments({ key: 'greeting' })).to.equal(1);
  });

  it('keeps documents across a restart on the same data folder', async function () {
    const Note = await start();
    const found = await Note.findOne({ key: 'greeting' }).lean();
    expect(found?.body).to.equal('hello');
  });

  it('refuses connections once stopped', async function () {
    await start();
    const uri = database!.uri;
    await stop();
    const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 500, directConnection: true });
    let connectError: unknown;
    try {
      await client.connect();
    } catch (error) {
      connectError = error;
    } finally {
      await client.close();
    }
    expect(connectError).to.be.instanceOf(Error);
  });
});

describe('embedded database without any engine', () => {
  it('stops with a message naming the three options', async function () {
    this.timeout(30_000);
    const emptyDir = await mkdtemp(path.join(os.tmpdir(), 'no-engine-'));
    const savedPath = process.env.PATH;
    process.env.PATH = emptyDir;
    try {
      const error = await startEmbeddedDatabase({ dataDir: path.join(emptyDir, 'data'), cacheDir: path.join(emptyDir, 'cache'), engine: 'ferretdb' }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.contain('MONGODB_URI');
      expect(error?.message).to.contain('mongodb-memory-server');
      expect(error?.message).to.contain('install Go');
      // With no go on PATH the build first tries the Go toolchain from the module proxy (refused here: tests reach only loopback).
      expect(error?.message).to.contain('Could not find the Go toolchain go1.24.3');
      expect(error?.message).to.contain('tests may only reach loopback');
    } finally {
      process.env.PATH = savedPath;
      await rm(emptyDir, { recursive: true, force: true });
    }
  });
});
