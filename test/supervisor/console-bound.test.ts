import { expect } from 'chai';
import supertest from 'supertest';
import type { ConsoleBound } from '../../src/http/console-bound.middleware.ts';
import { promSample } from '../../scripts/bench-support.ts';
import { startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { addSupervisor, ORIGIN, signIn } from './console-support.ts';

/** Waits (without a deadline of its own: mocha's timeout bounds it) until a condition holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the console never slows the hotline: console requests are bounded per instance', () => {
  let t: TestApp;
  let cookie: string;
  let bound: ConsoleBound;

  before(async () => {
    t = await startTestApp('sup-console-bound', { env: { CONSOLE_MAX_CONCURRENT: '2', CONSOLE_MAX_QUEUED: '3' } });
    await addSupervisor(t, 'alice');
    cookie = await signIn(t, 'alice');
    bound = t.app.locals.consoleBound as ConsoleBound;
  });
  after(() => t.close());

  /** Makes every dashboard request wait (holding its console slot) until `open`; `restore` undoes it and lets all go. */
  const holdDashboards = () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { callSearch } = t.store.console;
    const hourlyCounts = callSearch.hourlyCounts.bind(callSearch);
    callSearch.hourlyCounts = async (from, to) => {
      await gate;
      return hourlyCounts(from, to);
    };
    return {
      open,
      restore: () => {
        callSearch.hourlyCounts = hourlyCounts;
        open();
      },
    };
  };

  it('with 7 slow console requests at once, 2 are served, 3 wait in line, 2 get 503 with Retry-After; a caller is answered meanwhile', async () => {
    const { open, restore } = holdDashboards();
    try {
      const refusedBefore = bound.seen.refused;
      const requests = Array.from({ length: 7 }, () => supertest(t.app).get('/api/supervisor/dashboard').set('Cookie', cookie).then((res) => res));
      await until(() => bound.running === 2 && bound.queued === 3 && bound.seen.refused - refusedBefore === 2);
      const busy = (await supertest(t.app).get('/metrics')).text;
      expect(promSample(busy, 'hotline_console_requests', { phase: 'running' })).to.equal(2);
      expect(promSample(busy, 'hotline_console_requests', { phase: 'waiting' })).to.equal(3);
      expect(promSample(busy, 'hotline_console_requests_refused_total')).to.equal(2);

      const caller = new TestCall(t, '+8613100006666');
      const welcome = await caller.start();
      expect(welcome.gather).to.not.equal(undefined);
      const menu = await caller.press('1');
      expect(menu.gather).to.not.equal(undefined);
      expect(bound.running).to.equal(2);
      expect(bound.queued).to.equal(3);

      open();
      const answers = await Promise.all(requests);
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 503, 503]);
      const refused = answers.filter((res) => res.status === 503);
      expect(refused.map((res) => res.headers['retry-after'])).to.deep.equal(['2', '2']);
      expect(refused[0].body).to.deep.equal({ error: 'console-busy', message: 'The console is busy; try again in 2 s' });
      expect(bound.seen.running).to.equal(2);
      await until(() => bound.running === 0);
      expect(bound.queued).to.equal(0);
      const idle = (await supertest(t.app).get('/metrics')).text;
      expect(promSample(idle, 'hotline_console_requests', { phase: 'running' })).to.equal(0);
      expect(promSample(idle, 'hotline_console_requests', { phase: 'waiting' })).to.equal(0);
    } finally {
      restore();
    }
  });

  it('a sign-in is not queued behind supervisors\' reads: with every slot and place in line taken, a login is still answered', async () => {
    const { open, restore } = holdDashboards();
    try {
      const requests = Array.from({ length: 5 }, () => supertest(t.app).get('/api/supervisor/dashboard').set('Cookie', cookie).then((res) => res));
      await until(() => bound.running === 2 && bound.queued === 3);
      const wrong = await supertest(t.app).post('/api/supervisor/login').set('Origin', ORIGIN).send({ username: 'alice', password: 'not the password at all' });
      expect(wrong.status).to.equal(401);
      expect(bound.queued).to.equal(3);
      open();
      expect((await Promise.all(requests)).map((res) => res.status)).to.deep.equal([200, 200, 200, 200, 200]);
    } finally {
      restore();
    }
  });

  it('a page beyond the bound says so in the supervisor\'s language, and the next request is served again', async () => {
    const { open, restore } = holdDashboards();
    try {
      const held = Array.from({ length: 5 }, () => supertest(t.app).get('/supervisor/dashboard').set('Cookie', cookie).then((res) => res));
      await until(() => bound.running === 2 && bound.queued === 3);
      const page = await supertest(t.app).get('/supervisor/calls').set('Cookie', cookie);
      expect(page.status).to.equal(503);
      expect(page.headers['retry-after']).to.equal('2');
      expect(page.text).to.contain('<h1>503 · 控制台繁忙</h1>');
      open();
      expect((await Promise.all(held)).map((res) => res.status)).to.deep.equal([200, 200, 200, 200, 200]);
    } finally {
      restore();
    }
    await until(() => bound.running === 0);
    expect((await supertest(t.app).get('/supervisor/calls').set('Cookie', cookie)).status).to.equal(200);
  });

  it('a request that gives up while waiting leaves the line without taking a slot', async () => {
    const { open, restore } = holdDashboards();
    try {
      const held = Array.from({ length: 2 }, () => supertest(t.app).get('/api/supervisor/dashboard').set('Cookie', cookie).then((res) => res));
      await until(() => bound.running === 2);
      const impatient = supertest(t.app).get('/api/supervisor/dashboard').set('Cookie', cookie);
      impatient.end(() => {});
      await until(() => bound.queued === 1);
      impatient.abort();
      await until(() => bound.queued === 0);
      expect(bound.running).to.equal(2);
      open();
      expect((await Promise.all(held)).map((res) => res.status)).to.deep.equal([200, 200]);
      await until(() => bound.running <= 0);
      expect(bound.running).to.equal(0);
    } finally {
      restore();
    }
  });
});
