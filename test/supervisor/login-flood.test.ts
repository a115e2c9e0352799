import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { Semaphore } from '../../src/security/semaphore.ts';
import { latestCode, signedPost, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { parseTwiml } from '../support/twiml.ts';
import { addSupervisor, ORIGIN } from './console-support.ts';

const WANG = { keys: '11010519491231002*', mobile: '+8613800138000' };

/** Serves the app on one loopback port, so hundreds of concurrent requests share one server. */
async function serve(t: TestApp): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a console login flood does not reach callers', () => {
  it('while 200 logins arrive at once, a caller confirming a new password is answered normally and never waits behind a console hash', async function () {
    this.timeout(120_000);
    const hashing = { calls: new Semaphore(2), console: new Semaphore(1) };
    const t = await startTestApp('login-flood', { app: { hashing } });
    const server = await serve(t);
    try {
      await addSupervisor(t, 'alice');
      const call = new TestCall(t, WANG.mobile);
      await call.start();
      await call.pressAll(['2', '1', WANG.keys, '1']);
      await call.press((await latestCode(t, WANG.mobile))!);
      await call.press('580317');
      const confirm = call.last.gather!.action;

      const flood = Array.from({ length: 200 }, (_x, i) =>
        supertest(server.url).post('/api/supervisor/login').set('Origin', ORIGIN).send({ username: 'alice', password: `not the password ${i}` }),
      );
      const answer = signedPost(t, confirm, { CallSid: call.callSid, Digits: '580317', From: WANG.mobile });
      const [logins, confirmed] = await Promise.all([Promise.all(flood), answer]);

      expect(parseTwiml(confirmed.text).text, 'the caller is answered normally, not with the apology').to.contain('Your password is set');
      expect(hashing.console.peak.running, 'console hashes in flight').to.be.at.most(1);
      expect(hashing.calls.peak.waiting, "the caller's hash never queued").to.equal(0);
      const statuses = logins.map((res) => res.status);
      expect(statuses.every((status) => status === 401 || status === 429)).to.equal(true);
      expect(statuses.filter((status) => status === 429).length, 'excess logins refused with 429').to.be.at.least(150);
      expect(logins.find((res) => res.status === 429)?.headers['retry-after']).to.match(/^\d+$/);
    } finally {
      await server.close();
      await t.close();
    }
  });

  it('logins reserve their throttle slot before hashing: of 30 concurrent wrong logins for one name exactly the allowed 3 are checked', async () => {
    const t = await startTestApp('login-slots', { seed: false, env: { SUPERVISOR_LOGIN_MAX_FAILURES: '3', SUPERVISOR_LOGIN_HASH_CONCURRENCY: '8' } });
    const server = await serve(t);
    try {
      await addSupervisor(t, 'bob');
      const logins = await Promise.all(
        Array.from({ length: 30 }, (_x, i) => supertest(server.url).post('/api/supervisor/login').set('Origin', ORIGIN).send({ username: 'bob', password: `wrong ${i}` })),
      );
      expect(logins.filter((res) => res.status === 401)).to.have.length(3);
      expect(logins.filter((res) => res.status === 429)).to.have.length(27);
      expect(t.logs.filter((line) => line.includes('"message":"supervisor login failed"'))).to.have.length(3);
    } finally {
      await server.close();
      await t.close();
    }
  });
});

describe('console logins behind a load balancer', () => {
  const attack = async (t: TestApp, from: string) => {
    for (let i = 0; i < 4; i += 1) {
      const res = await supertest(t.app).post('/api/supervisor/login').set('Origin', ORIGIN).set('X-Forwarded-For', from).send({ username: `guess${i}`, password: 'whatever it is' });
      expect(res.status).to.equal(401);
    }
  };
  const login = (t: TestApp, from: string) =>
    supertest(t.app).post('/api/supervisor/login').set('Origin', ORIGIN).set('X-Forwarded-For', from).send({ username: 'dave', password: 'correct horse battery' });

  it('with TRUST_PROXY set to the hops, failures from one client do not throttle another client behind the same proxy', async () => {
    const t = await startTestApp('login-proxy', { seed: false, env: { TRUST_PROXY: '1', SUPERVISOR_LOGIN_MAX_FAILURES_PER_IP: '4' } });
    try {
      await addSupervisor(t, 'dave');
      await attack(t, '203.0.113.7');
      expect((await login(t, '203.0.113.7')).status, 'the attacking client is slowed down').to.equal(429);
      expect((await login(t, '198.51.100.20')).status, 'another client gets in').to.equal(200);
    } finally {
      await t.close();
    }
  });

  it('without TRUST_PROXY everyone shares the proxy address: its failures slow sign-ins down for seconds, never lock them out for the window', async () => {
    const t = await startTestApp('login-shared', { seed: false, env: { SUPERVISOR_LOGIN_MAX_FAILURES_PER_IP: '4', SUPERVISOR_LOGIN_LOCK_MINUTES: '15' } });
    try {
      await addSupervisor(t, 'dave');
      await attack(t, '203.0.113.7');
      const refused = await login(t, '198.51.100.20');
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers['retry-after'])).to.be.at.most(2);
      t.clock.advance(2000);
      expect((await login(t, '198.51.100.20')).status).to.equal(200);
    } finally {
      await t.close();
    }
  });
});
