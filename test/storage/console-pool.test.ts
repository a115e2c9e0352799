import { expect } from 'chai';
import mongoose from 'mongoose';
import { loadConfig } from '../../src/config.ts';
import { connectDatabase } from '../../src/database.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { TEST_ENV } from '../support/test-app.ts';

const DB_NAME = `t_console_pool_${process.pid}`;
const BACKLOG = 300;

/** Starts BACKLOG console reads at once, then one caller's read; returns how many console reads had finished when the caller's did. */
async function consoleReadsDoneBeforeCaller(store: Store): Promise<number> {
  let done = 0;
  const backlog = Array.from({ length: BACKLOG }, (_, i) => store.console.callSessions.findEnd(`CA-console-${i}`).then(() => (done += 1)));
  await store.callSessions.findEnd('CA-caller');
  const seen = done;
  await Promise.all(backlog);
  return seen;
}

describe("the console's own database pool", function () {
  this.timeout(60_000);
  after(async () => {
    const connection = await mongoose.createConnection(testMongoUri(), { dbName: DB_NAME }).asPromise();
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  });

  it("when supervisors' reads fill the console's pool, a caller's read does not wait behind them", async () => {
    const store = await openStore(testMongoUri(), DB_NAME, { consolePoolSize: 1 });
    try {
      expect(store.console).to.not.equal(store);
      expect(await consoleReadsDoneBeforeCaller(store)).to.be.below(BACKLOG / 2);
    } finally {
      await store.close();
    }
  });

  it("without a pool of its own, the same caller's read queues behind the console's", async () => {
    const store = await openStore(testMongoUri(), DB_NAME, { maxPoolSize: 4 });
    try {
      expect(store.console).to.equal(store);
      expect(await consoleReadsDoneBeforeCaller(store)).to.be.above(BACKLOG / 2);
    } finally {
      await store.close();
    }
  });

  it('the running hotline opens the console its own pool, one connection per console request it may run', async () => {
    const config = loadConfig({ ...TEST_ENV, MONGODB_URI: testMongoUri(), MONGODB_DB: DB_NAME, CONSOLE_MAX_CONCURRENT: '2' });
    const database = await connectDatabase(config, createLogger({ level: 'error', format: 'json' }));
    try {
      expect(database.store.console).to.not.equal(database.store);
      expect(await consoleReadsDoneBeforeCaller(database.store)).to.be.below(BACKLOG / 2);
    } finally {
      await database.close();
    }
  });
});
