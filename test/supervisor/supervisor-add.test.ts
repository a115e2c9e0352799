import { spawn } from 'node:child_process';
import { expect } from 'chai';
import supertest from 'supertest';
import { testMongoUri } from '../support/root-hooks.ts';
import { startTestApp, TEST_ENV, type TestApp } from '../support/test-app.ts';
import { ORIGIN } from './console-support.ts';

function run(t: TestApp, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/cli/supervisor-add.ts', ...args], {
      env: { ...process.env, ...TEST_ENV, MONGODB_URI: testMongoUri(), MONGODB_DB: t.dbName },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npm run supervisor:add', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sup-cli', { seed: false });
  });
  after(() => t.close());

  const login = (password: string) => supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'grace', password });

  it('creates an account from a password on standard input, stored only as an Argon2id hash, that can sign in', async () => {
    const result = await run(t, ['grace', '--password-stdin'], 'a long enough secret\n');
    expect(result.stdout, result.stderr).to.contain('supervisor grace created (supervisor)');
    expect((await t.store.supervisors.find('grace'))?.role).to.equal('supervisor');
    const stored = await t.store.supervisors.find('grace');
    expect(stored?.passwordHash).to.match(/^\$argon2id\$/);
    expect(JSON.stringify(stored)).not.to.contain('a long enough secret');
    expect((await login('a long enough secret')).status).to.equal(303);
  });

  it('refuses a second account with the same name, a short password and a bad username; --reset sets a new password', async () => {
    const again = await run(t, ['grace'], 'another long secret\n');
    expect(again.code).to.equal(65);
    expect(again.stderr).to.contain('already exists');
    const short = await run(t, ['heidi'], 'short\n');
    expect(short.code).to.equal(65);
    expect(short.stderr).to.contain('at least 10 characters');
    const bad = await run(t, ['Bad Name!'], 'a long enough secret\n');
    expect(bad.code).to.equal(65);
    expect(bad.stderr).to.contain('username');
    const reset = await run(t, ['grace', '--reset'], 'another long secret\n');
    expect(reset.stdout).to.contain('supervisor grace updated');
    expect((await login('a long enough secret')).status).to.equal(401);
    expect((await login('another long secret')).status).to.equal(303);
  });

  it('--role gives a new account its role, changes only the role of an existing one, and refuses an unknown role', async () => {
    const created = await run(t, ['ivan', '--role', 'auditor'], 'a long enough secret\n');
    expect(created.stdout, created.stderr).to.contain('supervisor ivan created (auditor)');
    expect((await t.store.supervisors.find('ivan'))?.role).to.equal('auditor');
    const before = (await t.store.supervisors.find('ivan'))?.passwordHash;
    const promoted = await run(t, ['ivan', '--role=admin'], '');
    expect(promoted.stdout, promoted.stderr).to.contain('supervisor ivan is now admin');
    const after = await t.store.supervisors.find('ivan');
    expect(after?.role).to.equal('admin');
    expect(after?.passwordHash).to.equal(before);
    const reset = await run(t, ['ivan', '--reset', '--role', 'supervisor'], 'a brand new secret\n');
    expect(reset.stdout).to.contain('supervisor ivan updated (supervisor)');
    expect((await t.store.supervisors.find('ivan'))?.role).to.equal('supervisor');
    const bad = await run(t, ['ivan', '--role', 'root'], '');
    expect(bad.code).to.equal(64);
    expect(bad.stderr).to.contain('--role: one of supervisor, auditor, admin');
  });
});
