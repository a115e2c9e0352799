import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { testMongoUri } from '../support/root-hooks.ts';
import { TEST_ENV, twilioSignature } from '../support/test-app.ts';
import { parseTwiml } from '../support/twiml.ts';
import { CallSessionRepository } from '../../src/storage/call-session.repository.ts';
import { registerModels } from '../../src/storage/models.ts';

interface Started {
  child: ChildProcessWithoutNullStreams;
  port: number;
  lines: string[];
  exited: Promise<number | null>;
}

async function startServer(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, ...env } });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${lines.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      lines.push(chunk.toString());
      const match = /"message":"hotline listening".*?"port":(\d+)|"port":(\d+).*?"message":"hotline listening"/.exec(lines.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1] ?? match[2]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    child.on('exit', () => reject(new Error(`server exited:\n${lines.join('')}`)));
  });
  return { child, port, lines, exited };
}

describe('the server process', function () {
  this.timeout(60_000);
  const dbName = `t_server_${process.pid}`;
  const killDbName = `t_server_kill_${process.pid}`;

  after(async () => {
    for (const name of [dbName, killDbName]) {
      const connection = await mongoose.createConnection(testMongoUri(), { dbName: name }).asPromise();
      await connection.dropDatabase();
      await connection.close();
    }
  });

  it('when a setting is invalid, it refuses to start and names the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'eighty' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).to.equal(78);
    expect(stderr).to.contain('PORT');
  });

  it('on SIGTERM, it finishes the turn in flight, then stops cleanly', async () => {
    const server = await startServer({
      ...TEST_ENV,
      NODE_ENV: 'development',
      MONGODB_URI: testMongoUri(),
      MONGODB_DB: dbName,
      PORT: '0',
      TWILIO_SIGNATURE_CHECK: 'false',
      CODE_SEND_FLOOR_MS: '1500',
    });
    const base = `http://127.0.0.1:${server.port}`;
    const callSid = `CA${'9'.repeat(32)}`;
    let step = 1;
    const post = (path: string, body: Record<string, string>) => supertest(base).post(path).type('form').send({ CallSid: callSid, ...body });
    expect((await post('/voice', { From: '+8613800138000' })).status).to.equal(200);
    for (const digits of ['2', '1', '11010519491231002*']) {
      expect((await post(`/voice/gather?step=${step}`, { Digits: digits })).status).to.equal(200);
      step += 1;
    }
    const inFlight = post(`/voice/gather?step=${step}`, { Digits: '1' }).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).to.equal(200);
    expect(parseTwiml(res.text).text).to.contain('a code has been sent');
    expect(await server.exited).to.equal(0);
    const log = server.lines.join('');
    expect(log).to.contain('"message":"draining"');
    expect(log).to.contain('"message":"stopped"');
  });

  it('when an instance is killed mid-turn, Twilio\'s fallback lands on another and the call finishes there', async () => {
    const env = { ...TEST_ENV, NODE_ENV: 'development', MONGODB_URI: testMongoUri(), MONGODB_DB: killDbName, PORT: '0', CODE_SEND_FLOOR_MS: '1500' };
    const first = await startServer(env);
    const second = await startServer(env);
    const callSid = `CA${'8'.repeat(32)}`;
    const post = (server: Started, path: string, params: Record<string, string>) =>
      supertest(`http://127.0.0.1:${server.port}`)
        .post(path)
        .set('X-Twilio-Signature', twilioSignature(TEST_ENV.TWILIO_AUTH_TOKEN, `${TEST_ENV.PUBLIC_BASE_URL}${path}`, { CallSid: callSid, ...params }))
        .type('form')
        .send({ CallSid: callSid, ...params });
    try {
      let twiml = parseTwiml((await post(first, '/voice', { From: '+8613800138000' })).text);
      for (const digits of ['2', '1', '11010519491231002*']) twiml = parseTwiml((await post(first, twiml.gather!.action, { Digits: digits })).text);
      expect(twiml.text).to.contain('text message');

      const sendCode = twiml.gather!.action;
      const dying = post(first, sendCode, { Digits: '1' }).then(
        () => 'answered',
        () => 'connection lost',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      first.child.kill('SIGKILL');
      expect(await dying).to.equal('connection lost');

      twiml = parseTwiml((await post(second, '/voice/fallback', { ErrorCode: '11200', ErrorUrl: `${TEST_ENV.PUBLIC_BASE_URL}${sendCode}` })).text);
      if (twiml.gather!.action === sendCode) twiml = parseTwiml((await post(second, sendCode, { Digits: '1' })).text);
      expect(twiml.text).to.contain('a code has been sent');
      const outbox = await supertest(`http://127.0.0.1:${second.port}`).get('/qa/outbox').query({ to: '+8613800138000' }).set('Authorization', `Bearer ${TEST_ENV.QA_TOKEN}`);
      const code = /\b(\d{6})\b/.exec(outbox.body.messages[0].body as string)![1];
      for (const digits of [code, '520746', '520746']) twiml = parseTwiml((await post(second, twiml.gather!.action, { Digits: digits })).text);
      expect(twiml.text).to.contain('Your password is set');

      const connection = await mongoose.createConnection(testMongoUri(), { dbName: killDbName }).asPromise();
      try {
        const changes = await connection.collection('password_changes').find({ callSid }).toArray();
        expect(changes.map((c) => c.status)).to.deep.equal(['done']);
        const turns = await new CallSessionRepository(registerModels(connection)).turns(callSid);
        expect(turns.find((turn) => turn.ended)).to.include({ outcome: 'password-changed', to: 'passwordChanged' });
      } finally {
        await connection.close();
      }
    } finally {
      first.child.kill('SIGKILL');
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
