import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { keyedHash } from '../../src/security/secrets.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { startTestApp, TEST_ENV, type TestApp } from '../support/test-app.ts';

const run = promisify(execFile);

describe('npm run seed', function () {
  this.timeout(60_000);
  let t: TestApp;
  let dir: string;
  before(async () => {
    t = await startTestApp('seed-cli', { seed: false });
    dir = await mkdtemp(path.join(os.tmpdir(), 'hotline-seed-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await t.close();
  });

  const seed = (file: string) =>
    run('npx', ['tsx', 'src/cli/seed.ts', file], {
      env: { ...process.env, ...TEST_ENV, MONGODB_URI: testMongoUri(), MONGODB_DB: t.dbName },
    });

  it('loads citizens from a JSON file, hashing any password, and updates them on a second run', async () => {
    const file = path.join(dir, 'citizens.json');
    await writeFile(file, JSON.stringify([{ idNumber: '11010519491231002X', name: 'Test', mobile: '+8613800138000', email: null, password: '602481' }]));
    const first = await seed(file);
    expect(first.stdout).to.contain('1 inserted, 0 updated');
    const second = await seed(file);
    expect(second.stdout).to.contain('0 inserted, 1 updated');
    const citizen = await t.store.citizens.findByIdHash(keyedHash(TEST_ENV.PIN_PEPPER, 'citizen-id', '11010519491231002X'));
    expect(citizen?.pinHash).to.match(/^\$argon2id\$/);
    expect(JSON.stringify(citizen)).not.to.contain('602481');
  });

  it('refuses a file with an invalid ID number, naming the entry, and loads nothing', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify([{ idNumber: '110105194912310021', name: 'Bad' }]));
    const error = (await seed(file).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).to.equal(65);
    expect(error.stderr).to.contain('entry 0.idNumber');
    expect(error.stderr).to.contain('GB 11643');
    expect(await t.store.citizens.count()).to.equal(1);
  });

  it('explains how to call it when no file is given', async () => {
    const error = (await run('npx', ['tsx', 'src/cli/seed.ts']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).to.equal(64);
    expect(error.stderr).to.contain('usage: npm run seed -- <citizens.json>');
  });
});
