import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { addSupervisor } from './console-support.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = 'test-results';

describe('supervisor console in a real browser (headless Chromium)', function () {
  this.timeout(120_000);
  let server: http.Server;
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let call: TestCall;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium), as .ci/run does`);
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startTestApp('sup-browser', { env: { PUBLIC_BASE_URL: base } });
    server.on('request', t.app);
    await addSupervisor(t, 'alice', 'correct horse battery');

    call = new TestCall(t, '+8613800138000');
    await call.start();
    await call.pressAll(['2', '1', '11010519491231002*', '1']);
    const code = await latestCode(t, '+8613800138000');
    await call.pressAll([code as string, '258036', '258036']);
    await call.hangUp();
    const quitter = new TestCall(t, '+8613100002222');
    await quitter.start();
    await quitter.press('1');
    await quitter.hangUp();

    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('signs in, finds the call by the last digits of the caller, opens its timeline and the flow view', async () => {
    await page.goto(`${base}/supervisor/calls`);
    expect(page.url()).to.contain('/supervisor/login');
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'wrong password!');
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]')).to.contain('Wrong username or password');
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/supervisor\/calls/);
    await page.screenshot({ path: `${SHOTS}/supervisor-search-all.png`, fullPage: true });

    await page.fill('input[name=caller]', '8000');
    await page.selectOption('select[name=outcome]', 'password-changed');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/caller=8000/);
    const rows = page.locator('table.results tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().textContent()).to.contain('+86 138****8000').and.contain('1101**********002X');
    await page.screenshot({ path: `${SHOTS}/supervisor-search.png`, fullPage: true });

    await page.click(`a[href="/supervisor/calls/${call.callSid}"]`);
    await page.waitForURL(new RegExp(call.callSid));
    const timeline = await page.textContent('table.timeline');
    expect(timeline).to.contain('For a forgotten or new password, press 1.');
    expect(timeline).to.contain('1101**********002X').and.contain('••••••').and.contain('verifyingCode');
    expect(await page.textContent('dd.ending')).to.contain('password-changed');
    expect(await page.locator('table.logs tbody tr').count()).to.be.greaterThan(3);
    expect(await page.content()).not.to.contain('258036');
    await page.screenshot({ path: `${SHOTS}/supervisor-timeline.png`, fullPage: true });

    await page.click('nav a[href="/supervisor/flow"]');
    await page.waitForURL(/\/supervisor\/flow/);
    expect(await page.getAttribute('g.state[data-state="welcome"]', 'data-calls')).to.equal('2');
    expect(await page.getAttribute('g.state[data-state="passwordChanged"]', 'data-calls')).to.equal('1');
    const box = await page.locator('svg.flow').boundingBox();
    expect(box?.width).to.be.greaterThan(600);
    expect(await page.textContent('table.funnel')).to.contain('password set');
    await page.screenshot({ path: `${SHOTS}/supervisor-flow.png`, fullPage: true });
    await page.locator('svg.flow').screenshot({ path: `${SHOTS}/supervisor-flow-diagram.png` });

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'hotline_supervisor');
    expect(session).to.include({ httpOnly: true, sameSite: 'Strict' });

    await page.click('header .who button');
    await page.waitForURL(/\/supervisor\/login/);
    const viewed = await t.store.supervisors.accessLog({ callSid: call.callSid });
    expect(viewed.map((e) => e.what)).to.include('page');
  });
});
