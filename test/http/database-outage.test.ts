import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import supertest from 'supertest';
import winston from 'winston';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { OutboxMessenger } from '../../src/messaging/messenger.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/storage/embedded-database.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { signedPost, TEST_ENV, type TestApp } from '../support/test-app.ts';
import { parseTwiml } from '../support/twiml.ts';
import { callInfo, jambonzPost, parseVerbs } from '../support/jambonz.ts';

describe('when the database goes away mid-call', function () {
  this.timeout(60_000);
  let dataDir: string;
  let database: EmbeddedDatabase;
  let store: Store;
  let t: Pick<TestApp, 'app' | 'config'>;
  const logs: string[] = [];
  let failedTurn: { action: string };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-outage-'));
    database = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache') });
    store = await openStore(database.uri, 'outage');
    const config = loadConfig({ ...TEST_ENV });
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'debug', format: 'json', transports: [new winston.transports.Stream({ stream: sink })] });
    t = { app: createApp({ config, store, logger, messenger: new OutboxMessenger(store.outbox, config.pinPepper) }), config };
  });

  after(async () => {
    await store.close().catch(() => undefined);
    await database.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the caller hears an apology in their language with an agent offer, and the process keeps answering', async () => {
    const callSid = `CA${'e'.repeat(32)}`;
    const welcome = parseTwiml((await signedPost(t, '/voice', { CallSid: callSid, From: '+8613800138000' })).text);
    const menu = parseTwiml((await signedPost(t, welcome.gather!.action, { CallSid: callSid, Digits: '2' })).text);
    expect(menu.says[0].language).to.equal('en-US');

    await database.stop();

    const res = await signedPost(t, menu.gather!.action, { CallSid: callSid, Digits: '1' });
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('text/xml');
    const apology = parseTwiml(res.text);
    expect([...new Set(apology.says.map((s) => s.language))]).to.deep.equal(['en-US']);
    expect(apology.text).to.contain('Sorry, we are having a technical problem.');
    expect(apology.gather?.action).to.match(/^\/voice\/recover\?lang=/);
    expect(apology.hangup).to.equal(true);

    const agent = parseTwiml((await signedPost(t, apology.gather!.action, { CallSid: callSid, Digits: '0' })).text);
    expect(agent.dial).to.equal(TEST_ENV.AGENT_NUMBER);

    const newCall = await signedPost(t, '/voice', { CallSid: `CA${'f'.repeat(32)}`, From: '+8613800138000' });
    expect(newCall.status).to.equal(200);
    expect(parseTwiml(newCall.text).says.map((s) => s.language)).to.deep.equal(['cmn-CN', 'en-US', 'cmn-CN', 'en-US']);

    expect((await supertest(t.app).get('/readyz')).status).to.equal(503);
    expect((await supertest(t.app).get('/healthz')).status).to.equal(200);
    expect(logs.some((l) => l.includes('"level":"error"') && l.includes(callSid))).to.equal(true);
    const metrics = (await supertest(t.app).get('/metrics')).text;
    expect(metrics).to.match(/^hotline_database_errors_total\{where="turn"\} [1-9]/m);
    expect(metrics).to.match(/^hotline_turns_total\{event="DIGITS",result="apology"\} 1$/m);
    failedTurn = { action: menu.gather!.action };
  });

  it('through jambonz too: a turn while the database is away is answered with the apology in the caller\'s language as verbs, a new call with it in both', async () => {
    const callSid = '0b7c2a4e-1d2f-4e6a-9c3b-5a6d7e8f9a0b';
    const res = await jambonzPost(t, '/jambonz/gather?step=2&lang=en-US', callInfo(callSid, '+8613800138000', { reason: 'dtmfDetected', digits: '1' }));
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('application/json');
    const apology = parseVerbs(res.body);
    expect([...new Set(apology.says.map((s) => s.language))]).to.deep.equal(['en-US']);
    expect(apology.text).to.contain('Sorry, we are having a technical problem.');
    expect(apology.gather?.actionHook).to.equal('/jambonz/recover?lang=en-US');
    expect(apology.hangup).to.equal(true);
    const agent = parseVerbs((await jambonzPost(t, apology.gather!.actionHook, callInfo(callSid, '+8613800138000', { reason: 'dtmfDetected', digits: '0' }))).body);
    expect(agent.dial).to.equal(TEST_ENV.AGENT_NUMBER);
    const fresh = parseVerbs((await jambonzPost(t, '/jambonz/call', callInfo('1c8d3b5f-2e3a-4f7b-8d4c-6b7e8f9a0b1c', '+8613800138000'))).body);
    expect(fresh.says.map((s) => s.language)).to.include.members(['cmn-CN', 'en-US']);
    expect(fresh.text).to.contain('Sorry, we are having a technical problem.');
  });

  it('when it comes back, nothing was half-written: the call is where it was, the lost turn replays, and new calls complete', async function () {
    this.timeout(90_000);
    const callSid = `CA${'e'.repeat(32)}`;
    database = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache'), port: Number(new URL(database.uri).port) });
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await supertest(t.app).get('/readyz')).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).to.equal(200);

    const session = await store.callSessions.find(callSid);
    expect(session?.step).to.equal(2);
    expect(session?.state).to.equal('mainMenu');
    expect((await store.callSessions.turns(callSid)).map((turn) => turn.step)).to.deep.equal([0, 1]);

    const replayed = parseTwiml((await signedPost(t, failedTurn.action, { CallSid: callSid, Digits: '1' })).text);
    expect(replayed.text).to.contain('ID number');
    expect((await store.callSessions.find(callSid))?.state).to.equal('enterId');

    const fresh = `CA${'1'.repeat(32)}`;
    const welcome = parseTwiml((await signedPost(t, '/voice', { CallSid: fresh, From: '+8613800138001' })).text);
    const menu = parseTwiml((await signedPost(t, welcome.gather!.action, { CallSid: fresh, Digits: '2' })).text);
    expect(menu.says[0].language).to.equal('en-US');
    expect(menu.text).to.contain('password');
  });
});
