import { expect } from 'chai';
import supertest from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor, insertCall, ORIGIN, signIn } from './console-support.ts';

describe('supervisor console: roles and language', () => {
  let t: TestApp;
  const cookies: Record<string, string> = {};
  const get = (who: string, path: string) => supertest(t.app).get(path).set('Cookie', cookies[who]);
  const post = (who: string, path: string) => supertest(t.app).post(path).set('Cookie', cookies[who]).set('Origin', ORIGIN);

  before(async () => {
    t = await startTestApp('sup-roles', { seed: false });
    await addSupervisor(t, 'alice');
    await addSupervisor(t, 'audrey', 'correct horse battery', 'auditor');
    await addSupervisor(t, 'adam', 'correct horse battery', 'admin');
    await t.store.models.Supervisor.collection.insertOne({ _id: 'olga', passwordHash: (await t.store.supervisors.find('alice'))?.passwordHash, createdAt: new Date(), passwordSetAt: new Date() } as never);
    for (const who of ['alice', 'audrey', 'adam', 'olga']) cookies[who] = await signIn(t, who);
    await insertCall(t, { _id: 'CA00000000000000000000000000000r01' });
  });
  after(() => t.close());

  it('a supervisor searches and reads timelines and the flow, but is refused the access log and accounts with a 403 naming the role needed', async () => {
    for (const path of ['/api/supervisor/calls', '/api/supervisor/calls/CA00000000000000000000000000000r01', '/api/supervisor/flow', '/api/supervisor/funnel', '/supervisor/calls', '/supervisor/flow']) {
      expect((await get('alice', path)).status, path).to.equal(200);
    }
    for (const path of ['/api/supervisor/access-log', '/api/supervisor/access-log.csv']) {
      const res = await get('alice', path);
      expect(res.status, path).to.equal(403);
      expect(res.body).to.deep.equal({ error: 'forbidden', message: 'This needs the auditor role; you are signed in as supervisor. Ask an admin if you need it.' });
    }
    const accounts = await get('alice', '/api/supervisor/accounts');
    expect(accounts.status).to.equal(403);
    expect(accounts.body.message).to.contain('the admin role');
    expect((await post('alice', '/api/supervisor/accounts/audrey/role').send({ role: 'supervisor' })).status).to.equal(403);
    const page = await get('alice', '/supervisor/access-log');
    expect(page.status).to.equal(403);
    expect(page.headers['content-type']).to.contain('text/html');
    expect(page.text).to.contain('此功能需要“审计员”角色；您当前的角色是“值班主管”');
    const calls = await get('alice', '/supervisor/calls');
    expect(calls.text).not.to.contain('href="/supervisor/access-log"');
    expect(calls.text).not.to.contain('href="/supervisor/accounts"');
    expect((await post('alice', '/supervisor/accounts/audrey/role').type('form').send({ role: 'admin' })).status).to.equal(403);
    expect((await t.store.supervisors.find('audrey'))?.role).to.equal('auditor');
  });

  it('an auditor also reads the access log, but not accounts', async () => {
    expect((await get('audrey', '/api/supervisor/access-log')).status).to.equal(200);
    expect((await get('audrey', '/supervisor/access-log')).status).to.equal(200);
    expect((await get('audrey', '/api/supervisor/calls')).status).to.equal(200);
    expect((await get('audrey', '/api/supervisor/accounts')).status).to.equal(403);
    const nav = (await get('audrey', '/supervisor/calls')).text;
    expect(nav).to.contain('href="/supervisor/access-log"').and.not.contain('href="/supervisor/accounts"');
  });

  it('an admin does everything, lists the accounts and gives another account a role (recorded), but not their own', async () => {
    expect((await get('adam', '/api/supervisor/access-log')).status).to.equal(200);
    const list = await get('adam', '/api/supervisor/accounts');
    expect(list.status).to.equal(200);
    expect(list.body.accounts.map((a: { username: string; role: string }) => `${a.username}:${a.role}`)).to.deep.equal(['adam:admin', 'alice:supervisor', 'audrey:auditor', 'olga:supervisor']);
    expect(JSON.stringify(list.body)).not.to.contain('argon2');
    const page = await get('adam', '/supervisor/accounts');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('action="/supervisor/accounts/alice/role"').and.not.contain('action="/supervisor/accounts/adam/role"');

    const promoted = await post('adam', '/supervisor/accounts/olga/role').type('form').send({ role: 'auditor' });
    expect(promoted.status).to.equal(303);
    expect(promoted.headers.location).to.equal('/supervisor/accounts');
    expect((await get('olga', '/api/supervisor/access-log')).status).to.equal(200);
    const api = await post('adam', '/api/supervisor/accounts/olga/role').send({ role: 'supervisor' });
    expect(api.body).to.deep.equal({ username: 'olga', role: 'supervisor' });
    expect((await get('olga', '/api/supervisor/access-log')).status).to.equal(403);
    expect((await post('adam', '/api/supervisor/accounts/adam/role').send({ role: 'supervisor' })).status).to.equal(400);
    expect((await post('adam', '/api/supervisor/accounts/olga/role').send({ role: 'root' })).status).to.equal(400);
    expect((await post('adam', '/api/supervisor/accounts/nobody/role').send({ role: 'auditor' })).status).to.equal(404);
    expect((await supertest(t.app).post('/api/supervisor/accounts/olga/role').set('Cookie', cookies.adam).set('Origin', 'https://evil.example').send({ role: 'admin' })).status).to.equal(403);
    const changes = await accessLogEntries(t, { what: 'change-role' });
    expect(changes.map((e) => `${e.supervisor} ${e.how} ${e.subject} ${e.detail}`)).to.deep.equal(['adam api account olga role=supervisor', 'adam page account olga role=auditor']);
  });

  it('an account stored before roles existed acts as a supervisor', async () => {
    const me = await get('olga', '/api/supervisor/me');
    expect(me.body).to.include({ supervisor: 'olga', role: 'supervisor', language: 'zh-CN' });
  });

  it('speaks Chinese by default; a supervisor switches to English and the account keeps it', async () => {
    const before = await get('alice', '/supervisor/calls');
    expect(before.text).to.contain('<html lang="zh-CN">').and.contain('<h1>通话</h1>');
    const switched = await post('alice', '/supervisor/language').type('form').send({ language: 'en-US', back: '/supervisor/flow?range=today' });
    expect(switched.status).to.equal(303);
    expect(switched.headers.location).to.equal('/supervisor/flow?range=today');
    expect((await t.store.supervisors.find('alice'))?.language).to.equal('en-US');
    const again = await signIn(t, 'alice');
    const after = await supertest(t.app).get('/supervisor/calls').set('Cookie', again);
    expect(after.text).to.contain('<html lang="en-US">').and.contain('<h1>Calls</h1>');
    expect((await get('audrey', '/supervisor/calls')).text).to.contain('<h1>通话</h1>');
    const offsite = await post('alice', '/supervisor/language').type('form').send({ language: 'zh-CN', back: '//evil.example/x' });
    expect(offsite.headers.location).to.equal('/supervisor/dashboard');
    expect((await post('alice', '/supervisor/language').type('form').send({ language: 'fr-FR' })).status).to.equal(400);
    const api = await post('audrey', '/api/supervisor/me/language').send({ language: 'en-US' });
    expect(api.body).to.deep.equal({ language: 'en-US' });
    expect((await get('audrey', '/api/supervisor/me')).body.language).to.equal('en-US');
    expect((await supertest(t.app).post('/supervisor/language').set('Cookie', cookies.audrey).type('form').send({ language: 'zh-CN' })).status).to.equal(403);
  });

  it('the login page is Chinese unless English is asked for (kept for an account with no choice yet), and error pages follow the supervisor language', async () => {
    const zh = await supertest(t.app).get('/supervisor/login');
    expect(zh.text).to.contain('<html lang="zh-CN">').and.contain('用户名').and.contain('href="/supervisor/login?lang=en-US"');
    const en = await supertest(t.app).get('/supervisor/login?lang=en-US');
    expect(en.text).to.contain('<html lang="en-US">').and.contain('Username').and.contain('name="lang" value="en-US"');
    const wrong = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'alice', password: 'not the password', lang: 'en-US' });
    expect(wrong.status).to.equal(401);
    expect(wrong.text).to.contain('Wrong username or password.');
    const withNext = await supertest(t.app).get('/supervisor/login?next=%2Fsupervisor%2Fflow');
    expect(withNext.text).to.contain('href="/supervisor/login?next=%2Fsupervisor%2Fflow&amp;lang=en-US"').and.not.contain('name="lang"');
    await addSupervisor(t, 'nina');
    const fromEnglish = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'nina', password: 'correct horse battery', lang: 'en-US' });
    expect(fromEnglish.status).to.equal(303);
    expect((await t.store.supervisors.find('nina'))?.language).to.equal('en-US');
    await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username: 'audrey', password: 'correct horse battery', lang: 'zh-CN' });
    expect((await t.store.supervisors.find('audrey'))?.language).to.equal('en-US');
    const missing = await get('adam', '/supervisor/calls/CA0000000000000000000000000000dead');
    expect(missing.status).to.equal(404);
    expect(missing.text).to.contain('404 · 未找到');
  });

  it('without a session every console page redirects to sign-in and every API route answers 401', async () => {
    for (const path of ['/supervisor/access-log', '/supervisor/accounts', '/supervisor/calls']) {
      expect((await supertest(t.app).get(path)).status, path).to.equal(303);
    }
    for (const path of ['/api/supervisor/access-log', '/api/supervisor/access-log.csv', '/api/supervisor/accounts', '/api/supervisor/me']) {
      expect((await supertest(t.app).get(path)).status, path).to.equal(401);
    }
    expect((await supertest(t.app).post('/supervisor/language').set('Origin', ORIGIN).type('form').send({ language: 'en-US' })).status).to.equal(303);
    expect((await supertest(t.app).post('/api/supervisor/me/language').set('Origin', ORIGIN).send({ language: 'en-US' })).status).to.equal(401);
  });
});
