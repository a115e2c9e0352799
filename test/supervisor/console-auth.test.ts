import { expect } from 'chai';
import supertest from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { addSupervisor, insertCall, ORIGIN, signIn } from './console-support.ts';

describe('supervisor console: signing in', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sup-auth', { seed: false, env: { SUPERVISOR_SESSION_MINUTES: '60', SUPERVISOR_LOGIN_MAX_FAILURES: '3', SUPERVISOR_LOGIN_MAX_FAILURES_PER_IP: '8', SUPERVISOR_LOGIN_LOCK_MINUTES: '10' } });
    await addSupervisor(t, 'alice');
    await addSupervisor(t, 'bob');
    await addSupervisor(t, 'carol');
  });
  after(() => t.close());

  it('without a session the API answers 401 and the pages redirect to the login form', async () => {
    const api = await supertest(t.app).get('/api/supervisor/calls');
    expect(api.status).to.equal(401);
    expect(api.body.error).to.equal('unauthorized');
    for (const path of ['/supervisor/calls', '/supervisor/flow', '/supervisor/calls/CA123']) {
      const page = await supertest(t.app).get(path);
      expect(page.status, path).to.equal(303);
      expect(page.headers.location).to.match(/^\/supervisor\/login\?next=/);
    }
    expect((await supertest(t.app).get('/api/supervisor/calls/CA123/timeline.json')).status).to.equal(401);
    expect((await supertest(t.app).get('/api/supervisor/calls.csv')).status).to.equal(401);
    expect((await supertest(t.app).get('/api/supervisor/calls').set('Cookie', 'hotline_supervisor=forged-token')).status).to.equal(401);
  });

  it('a right password gives an HttpOnly, SameSite=Strict, Secure cookie that opens the console', async () => {
    const res = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'alice', password: 'correct horse battery', next: '/supervisor/flow' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/supervisor/flow');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).to.match(/^hotline_supervisor=[A-Za-z0-9_-]{40,};/);
    expect(cookie).to.contain('HttpOnly').and.contain('SameSite=Strict').and.contain('Secure').and.contain('Path=/');
    const me = await supertest(t.app).get('/api/supervisor/me').set('Cookie', cookie.split(';')[0]);
    expect(me.status).to.equal(200);
    expect(me.body).to.deep.equal({ supervisor: 'alice', role: 'supervisor', language: 'zh-CN', timeZone: 'Asia/Shanghai' });
    const stored = JSON.stringify(await t.store.models.SupervisorSession.find({}).lean());
    expect(stored).not.to.contain(cookie.split(';')[0].split('=')[1]);
  });

  it('never sends the browser to another site after signing in', async () => {
    const res = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'alice', password: 'correct horse battery', next: '//evil.example/x' });
    expect(res.headers.location).to.equal('/supervisor/dashboard');
  });

  it('refuses a login POST from another origin or without one', async () => {
    const foreign = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', 'https://evil.example').send({ username: 'alice', password: 'correct horse battery' });
    expect(foreign.status).to.equal(403);
    const none = await supertest(t.app).post('/supervisor/login').type('form').send({ username: 'alice', password: 'correct horse battery' });
    expect(none.status).to.equal(403);
    expect(none.headers['set-cookie']).to.equal(undefined);
  });

  it('a wrong password is refused, and after the allowed failures even the right one is throttled for that username', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'bob', password: `wrong password ${i}` });
      expect(res.status).to.equal(401);
      expect(res.text).to.contain('用户名或密码错误');
      expect(res.headers['set-cookie']).to.equal(undefined);
    }
    const locked = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'bob', password: 'correct horse battery' });
    expect(locked.status).to.equal(429);
    expect(locked.text).to.contain('登录失败次数过多，请 10 分钟后再试');
    expect(locked.headers['set-cookie']).to.equal(undefined);
    const api = await supertest(t.app).post('/api/supervisor/login').set('Origin', ORIGIN).send({ username: 'bob', password: 'correct horse battery' });
    expect(api.status).to.equal(429);
    // Another account from the same address still gets in (the per-address limit is higher).
    expect(await signIn(t, 'carol')).to.match(/^hotline_supervisor=/);
    t.clock.advance(11 * 60_000);
    expect(await signIn(t, 'bob')).to.match(/^hotline_supervisor=/);
  });

  it('throttles an address that tries many usernames', async () => {
    const fresh = await startTestApp('sup-auth-ip', { seed: false, env: { SUPERVISOR_LOGIN_MAX_FAILURES: '5', SUPERVISOR_LOGIN_MAX_FAILURES_PER_IP: '4' } });
    try {
      await addSupervisor(fresh, 'dave');
      for (const name of ['u1', 'u2', 'u3', 'u4']) {
        const res = await supertest(fresh.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: name, password: 'whatever it is' });
        expect(res.status).to.equal(401);
      }
      const res = await supertest(fresh.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'dave', password: 'correct horse battery' });
      expect(res.status).to.equal(429);
    } finally {
      await fresh.close();
    }
  });

  it('a session expires after SUPERVISOR_SESSION_MINUTES, and signing out ends it at once', async () => {
    const cookie = await signIn(t, 'alice');
    await insertCall(t, {});
    t.clock.advance(59 * 60_000);
    expect((await supertest(t.app).get('/api/supervisor/calls').set('Cookie', cookie)).status).to.equal(200);
    t.clock.advance(2 * 60_000);
    expect((await supertest(t.app).get('/api/supervisor/calls').set('Cookie', cookie)).status).to.equal(401);
    expect((await supertest(t.app).get('/supervisor/calls').set('Cookie', cookie)).status).to.equal(303);

    const second = await signIn(t, 'alice');
    expect((await supertest(t.app).get('/api/supervisor/me').set('Cookie', second)).status).to.equal(200);
    const out = await supertest(t.app).post('/supervisor/logout').set('Cookie', second).set('Origin', ORIGIN);
    expect(out.status).to.equal(303);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).to.contain('Max-Age=0');
    expect((await supertest(t.app).get('/api/supervisor/me').set('Cookie', second)).status).to.equal(401);
  });

  it('pages carry a strict content security policy and are not cached', async () => {
    const cookie = await signIn(t, 'alice');
    const res = await supertest(t.app).get('/supervisor/calls').set('Cookie', cookie);
    expect(res.status).to.equal(200);
    expect(res.headers['content-security-policy']).to.contain("default-src 'none'").and.contain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).to.equal('no-store');
    const css = await supertest(t.app).get('/supervisor/assets/console.css');
    expect(css.status).to.equal(200);
    expect(css.headers['content-type']).to.contain('text/css');
  });
});
