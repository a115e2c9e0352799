import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { XMLValidator } from 'fast-xml-parser';
import { createApp } from '../../src/app.ts';
import { timelineToScript } from '../../src/qa/call-export.ts';
import { loadCallScript, parseCallScript } from '../../src/qa/call-script.ts';
import { runScript } from '../../src/qa/script-runner.ts';
import { readCallTimeline } from '../../src/services/call-timeline.service.ts';
import { OutboxMessenger } from '../../src/messaging/messenger.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { TEST_ENV } from '../support/test-app.ts';
import { listenTestApp, type ListeningApp } from './qa-server.ts';

/** Runs a CLI without blocking this process (which serves the app the CLI talks to). */
function runChild(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const auth = { Authorization: `Bearer ${TEST_ENV.QA_TOKEN}` };

describe('QA tools: routes, export, the terminal phone and the qa command', function () {
  this.timeout(90_000);
  let s: ListeningApp;
  before(async () => {
    s = await listenTestApp('qa-tools');
  });
  after(async () => s.close());

  it('the timeline route needs the QA token and shows masked turns, never the snapshot or TwiML', async () => {
    const result = await runScript(await loadCallScript('qa/scripts/reset-by-sms.yaml'), s.target);
    expect(result.passed, result.failure).to.equal(true);
    const sid = result.callSids[0];
    await supertest(s.t.app).get(`/qa/calls/${sid}/timeline`).expect(401);
    await supertest(s.t.app).get('/qa/calls/CA00000000000000000000000000000000/timeline').set(auth).expect(404);
    const res = await supertest(s.t.app).get(`/qa/calls/${sid}/timeline`).set(auth).expect(200);
    expect(res.body.outcome).to.equal('password-changed');
    const text = JSON.stringify(res.body);
    expect(text).not.to.contain('snapshot');
    expect(text).not.to.contain('<Response');
    expect(text).not.to.contain('580317');
    const entry = res.body.turns.find((t: { from: string }) => t.from === 'enterId');
    expect(entry).to.include({ input: '1101**********1013', to: 'chooseChannel' });
    expect(entry.path).to.deep.equal(['enterId', 'identifying', 'chooseChannel']);
  });

  it('a reset script replayed twice against the same hotline passes both times (the set-up forgets the card\'s used codes)', async () => {
    const script = await loadCallScript('qa/scripts/reset-by-sms.yaml');
    const first = await runScript(script, s.target);
    expect(first.passed, first.failure).to.equal(true);
    const second = await runScript(script, s.target);
    expect(second.passed, second.failure).to.equal(true);
    expect(second.callSids[0]).not.to.equal(first.callSids[0]);
  });

  it('loading script citizens is refused without the token and absent in production', async () => {
    await supertest(s.t.app).post('/qa/citizens').send({ citizens: [] }).expect(401);
    await supertest(s.t.app).post('/qa/citizens').set(auth).send({ citizens: [{ idNumber: 'nope', name: 'x' }] }).expect(400);
    const production = createApp({
      config: { ...s.t.config, env: 'production' },
      store: s.t.store,
      logger: s.t.logger,
      messenger: new OutboxMessenger(s.t.store.outbox, s.t.config.pinPepper),
    });
    await supertest(production).post('/qa/citizens').set(auth).send({ citizens: [] }).expect(404);
  });

  it('an exported call replays once its placeholders and citizens are filled in (record → replay)', async () => {
    const recorded = await runScript(await loadCallScript('qa/scripts/change-with-current-password.yaml'), s.target);
    expect(recorded.passed, recorded.failure).to.equal(true);
    const yaml = timelineToScript((await readCallTimeline(s.t.store, recorded.callSids[0]))!);
    expect(yaml).to.contain('press: "<ID_NUMBER>"');
    expect(yaml).to.contain('press: "<WRONG_CURRENT_PIN>"');
    expect(yaml).to.contain('press: "<CURRENT_PIN>"');
    expect(yaml).to.contain('press: "<NEW_PIN>"');
    expect(yaml).to.contain('end: password-changed');
    expect(yaml).not.to.match(/271828|314159|640259/);
    expect(() => parseCallScript(yaml, 'exported.yaml')).to.throw(/exported\.yaml:\d+: press: fill in the placeholder <ID_NUMBER>/);
    const filled = yaml
      .replace(/^caller: .*$/m, 'caller: "+8613800000970"')
      .replace('press: "<ID_NUMBER>"', 'press: "110105198803151072#"')
      .replace('<WRONG_CURRENT_PIN>', '111111#')
      .replace('<CURRENT_PIN>', '271828#')
      .replaceAll('<NEW_PIN>', '640259#')
      .replace(/^steps:$/m, 'citizens:\n  - idNumber: "110105198803151072"\n    name: Replayed\n    password: "271828"\nsteps:');
    const replay = await runScript(parseCallScript(filled, 'exported.yaml'), s.target);
    expect(replay.passed, replay.failure).to.equal(true);
  });

  it('qa:export --target prints the script of a call read through the QA route', async () => {
    const recorded = await runScript(await loadCallScript('qa/scripts/reset-by-email.yaml'), s.target);
    const run = await runChild(['src/cli/qa-export.ts', recorded.callSids[0], '--target', s.target.baseUrl, '--qa-token', TEST_ENV.QA_TOKEN]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain(`# Exported from call ${recorded.callSids[0]}`);
    expect(run.stdout).to.contain('press: "<INVALID_ENTRY>"');
    expect(run.stdout).to.contain('code: "<EMAIL>"');
    expect(run.stdout).to.contain('language: zh-CN');
  });

  it('npm run call: a caller types keys on stdin, hears the prompts, sees the code arrive and the call ends', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/phone.ts', '--target', s.target.baseUrl, '--public-url', s.target.publicBaseUrl!, '--auth-token', s.target.authToken, '--qa-token', TEST_ENV.QA_TOKEN, '--from', '+8613800138000'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.write('2\n\n1\n11010519491231002*#\n1\n');
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /📩 sms to \+8613800138000: .*code is (\d{6})/.exec(out);
        if (found) {
          clearInterval(timer);
          resolve(found[1]);
        }
      }, 50);
      void exited.then(() => reject(new Error(`the phone ended before a code arrived:\n${out}`)));
    });
    child.stdin.write(`${code}#\n258036#\n258036#\n`);
    expect(await exited).to.equal(0);
    expect(out).to.contain('🔊 Welcome. For English, press 2.');
    expect(out).to.contain('🔊 We did not hear a key.');
    expect(out).to.contain('🔊 Your password is set.');
    expect(out).to.match(/☎ {2}call ended\n$/);
    const sid = /call (CA[0-9a-f]{32})/.exec(out)![1];
    expect((await s.t.store.callSessions.find(sid))?.outcome).to.equal('password-changed');
  });

  it('npm run call -- --carrier jambonz rings the jambonz side: signed JSON webhooks, the same prompts, a call recorded as jambonz\'s', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/phone.ts', '--carrier', 'jambonz', '--target', s.target.baseUrl, '--jambonz-secret', s.t.config.jambonz.webhookSecret!, '--qa-token', TEST_ENV.QA_TOKEN, '--from', '+8613800138009'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.end('2\n\nh\n');
    expect(await exited, out).to.equal(0);
    expect(out).to.contain('through jambonz');
    expect(out).to.contain('🔊 Welcome. For English, press 2.');
    expect(out).to.contain('🔊 For a forgotten or new password, press 1.');
    expect(out).to.contain('🔊 We did not hear a key.');
    const sid = /call ([0-9a-f-]{36}) from/.exec(out)![1];
    const call = await s.t.store.callSessions.find(sid);
    expect(call?.carrier).to.equal('jambonz');
    expect(call?.outcome).to.equal('abandoned');
  });

  it('npm run qa -- --carrier jambonz replays scripts through the jambonz webhooks of an in-process hotline', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/qa.ts', 'qa/scripts/policy-menu.yaml', '--carrier', 'jambonz'], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, MONGODB_URI: testMongoUri(), LOG_LEVEL: 'error' },
    });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.contain('through jambonz');
    expect(run.stdout).to.match(/\[1\/1\] ✓ Policy information menu \(English\)/);
    expect(run.stdout).to.contain('1 passed, 0 failed');
    const refused = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/qa.ts', '--carrier', 'sip'], { encoding: 'utf8', timeout: 30_000 });
    expect(refused.status).to.equal(2);
    expect(refused.stderr).to.contain('--carrier must be twilio or jambonz');
  });

  it('npm run qa runs scripts on an in-process hotline, prints coverage, writes JUnit and exits 0', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'qa-cli-'));
    try {
      const junit = path.join(dir, 'qa.xml');
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/qa.ts', 'qa/scripts/policy-menu.yaml', 'qa/scripts/other-ways-menu.yaml', '--junit', junit], {
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, MONGODB_URI: testMongoUri(), LOG_LEVEL: 'error' },
      });
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.match(/\[\d\/2\] ✓ Policy information menu \(English\)/);
      expect(run.stdout).to.match(/flow coverage: \d+(\.\d)?% — states \d+\/36, transitions \d+\/173\n {2}missed states:/);
      expect(run.stdout).to.contain('2 passed, 0 failed');
      expect(XMLValidator.validate(await readFile(junit, 'utf8'))).to.equal(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
