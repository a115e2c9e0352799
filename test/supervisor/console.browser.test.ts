import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor } from './console-support.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = 'test-results';
/** tsx compiles with esbuild's keepNames, whose `__name` helper is not defined in the page the functions run in. */
const NAME_HELPER = 'globalThis.__name = (target) => target;';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Box {
  text: string;
  cls: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The drawn boxes of every text in the flow diagram, and of the shape each belongs in (its state's box or its count's label box). */
async function diagramBoxes(page: Page): Promise<{ texts: Box[]; misfits: string[]; groups: Box[]; grouped: string[] }> {
  return page.evaluate(() => {
    const box = (el: Element, text: string, cls: string) => {
      const r = el.getBoundingClientRect();
      return { text, cls, x: r.x, y: r.y, width: r.width, height: r.height };
    };
    const inside = (inner: DOMRect, outer: DOMRect) => inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5 && inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;
    const texts = [...document.querySelectorAll('svg.flow text')].map((el) => box(el, el.textContent ?? '', el.getAttribute('class') ?? ''));
    const misfits: string[] = [];
    for (const state of document.querySelectorAll('svg.flow g.state')) {
      const rect = (state.querySelector('rect') as SVGRectElement).getBoundingClientRect();
      for (const text of state.querySelectorAll('text')) if (!inside(text.getBoundingClientRect(), rect)) misfits.push(`${state.getAttribute('data-state')}: ${text.textContent}`);
    }
    for (const label of document.querySelectorAll('svg.flow rect.edge-label-box')) {
      const text = label.nextElementSibling as SVGTextElement;
      if (!inside(text.getBoundingClientRect(), label.getBoundingClientRect())) misfits.push(`edge label ${text.textContent}`);
    }
    const groups = [...document.querySelectorAll('svg.flow g.group')].map((g) => box(g.querySelector('rect') as Element, g.getAttribute('data-group') ?? '', 'group'));
    const grouped: string[] = [];
    for (const g of document.querySelectorAll('svg.flow g.group')) {
      const rect = (g.querySelector('rect') as SVGRectElement).getBoundingClientRect();
      for (const state of document.querySelectorAll('svg.flow g.state')) {
        if (inside((state.querySelector('rect') as SVGRectElement).getBoundingClientRect(), rect)) grouped.push(state.getAttribute('data-state') ?? '');
      }
    }
    return { texts, misfits, groups, grouped };
  });
}

/** Pairs of drawn texts whose boxes intersect (touching edges do not count). */
function overlaps(boxes: Box[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5) found.push(`"${a.text}" × "${b.text}"`);
    }
  }
  return found;
}

/**
 * Whether the Chinese heading is drawn with real glyphs: the platform fonts Chromium used for it (DevTools protocol),
 * and a pixel check — each distinct character drawn alone in the heading's font must differ from the others and from
 * a character no font has; without a CJK font they all come out as the same empty box.
 */
async function cjkRendering(page: Page, selector: string): Promise<{ fonts: string[]; distinct: boolean; unlikeTofu: boolean; chars: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  await cdp.detach();
  const pixels = await page.evaluate((sel) => {
    const el = document.querySelector(sel) as HTMLElement;
    const style = getComputedStyle(el);
    const chars = [...new Set([...(el.textContent ?? '')].filter((c) => /\p{Script=Han}/u.test(c)))].slice(0, 4);
    const draw = (ch: string) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const g = canvas.getContext('2d') as CanvasRenderingContext2D;
      g.font = `${style.fontWeight} 40px ${style.fontFamily}`;
      g.fillStyle = '#000';
      g.textBaseline = 'top';
      g.fillText(ch, 8, 8);
      return canvas.toDataURL();
    };
    return { chars: chars.join(''), drawn: chars.map(draw), tofu: draw('\u{10FFFD}') };
  }, selector);
  return {
    fonts: fonts.filter((f) => f.glyphCount > 0).map((f) => f.familyName),
    distinct: pixels.drawn.length >= 2 && new Set(pixels.drawn).size === pixels.drawn.length,
    unlikeTofu: pixels.drawn.every((d) => d !== pixels.tofu),
    chars: pixels.chars,
  };
}

describe('supervisor console in a real browser (headless Chromium)', function () {
  this.timeout(180_000);
  let server: http.Server;
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let changed: TestCall;
  let busy: TestCall;

  const signInAs = async (username: string, password = 'correct horse battery') => {
    await page.context().clearCookies();
    await page.goto(`${base}/supervisor/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('form.login button[type=submit]');
    await page.waitForURL(/\/supervisor\/dashboard/);
  };

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (npm test does so as root: scripts/install-test-packages.sh)`);
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startTestApp('sup-browser', { env: { PUBLIC_BASE_URL: base } });
    server.on('request', t.app);
    await addSupervisor(t, 'alice', 'correct horse battery');
    await addSupervisor(t, 'audrey', 'correct horse battery', 'auditor');

    changed = new TestCall(t, '+8613800138000');
    await changed.start();
    await changed.pressAll(['2', '1', '11010519491231002*', '1']);
    const code = await latestCode(t, '+8613800138000');
    await changed.pressAll([code as string, '258036', '258036']);
    await changed.hangUp();
    const quitter = new TestCall(t, '+8613100002222');
    await quitter.start();
    await quitter.press('1');
    await quitter.hangUp();
    const reader = new TestCall(t, '+8613100003333');
    await reader.start();
    await reader.pressAll(['1', '4', '2', '1', '5', '9']);
    await reader.silence();
    await reader.silence();
    await reader.hangUp();
    busy = new TestCall(t, '+8613100004444');
    await busy.start();
    await busy.pressAll(['1', '0']);
    await busy.dialResult('busy');
    await busy.hangUp();

    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.addInitScript({ content: NAME_HELPER });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('signs in to a Chinese console: states, events and outcomes in words, code names in tooltips', async () => {
    await page.goto(`${base}/supervisor/calls`);
    expect(page.url()).to.contain('/supervisor/login');
    expect(await page.getAttribute('html', 'lang')).to.equal('zh-CN');
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'wrong password!');
    await page.click('form.login button[type=submit]');
    expect(await page.textContent('[role=alert]')).to.contain('用户名或密码错误');
    await page.screenshot({ path: `${SHOTS}/console-login-zh.png` });
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('form.login button[type=submit]');
    await page.waitForURL(/\/supervisor\/calls/);
    expect(await page.textContent('h1')).to.equal('通话');
    expect(await page.locator('header nav a').allTextContents()).to.deep.equal(['今日概览', '通话', '卡片', '流程', '回拨']);
    const changedRow = page.locator('table.results tbody tr', { hasText: '1101**********002X' });
    const outcome = changedRow.locator('.outcome');
    expect(await outcome.textContent()).to.equal('密码已修改');
    expect(await outcome.getAttribute('title')).to.equal('password-changed');
    expect(await changedRow.locator('td').nth(1).textContent()).to.match(/^2026-03-01 16:00:\d{2} \(UTC\+8\)$/);
    await page.screenshot({ path: `${SHOTS}/console-calls-zh.png`, fullPage: true });

    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'hotline_supervisor')).to.include({ httpOnly: true, sameSite: 'Strict' });
  });

  it('the Chinese page is drawn with CJK glyphs (Noto CJK), not empty boxes', async () => {
    const check = await cjkRendering(page, 'h1');
    const table = await cjkRendering(page, 'table.results thead');
    expect(check.chars + table.chars).to.match(/\p{Script=Han}{3,}/u);
    expect([...check.fonts, ...table.fonts].join(', ')).to.match(/CJK/);
    expect(table.distinct, 'different characters drawn alike (tofu)').to.equal(true);
    expect(check.unlikeTofu && table.unlikeTofu, 'a character drawn like one no font has').to.equal(true);
  });

  it('the glyph check fails in a Chromium that cannot see the CJK fonts (so it does test the font)', async function () {
    if (!existsSync('/usr/share/fonts/truetype/dejavu')) this.skip();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'no-cjk-fonts-'));
    await writeFile(
      path.join(dir, 'fonts.conf'),
      `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>${dir}/cache</cachedir></fontconfig>`,
    );
    const bare = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, env: { ...process.env, FONTCONFIG_FILE: path.join(dir, 'fonts.conf') } });
    try {
      const other = await bare.newPage();
      await other.addInitScript({ content: NAME_HELPER });
      await other.goto(`${base}/supervisor/login`);
      const check = await cjkRendering(other, 'form.login label');
      expect(check.fonts.join(', ')).not.to.match(/CJK/);
      expect(check.distinct && check.unlikeTofu).to.equal(false);
      await other.screenshot({ path: `${SHOTS}/console-login-without-cjk-fonts.png` });
    } finally {
      await bare.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('searches in local time: a quick range fills the fields in Asia/Shanghai time, typed local times find the call', async () => {
    await page.goto(`${base}/supervisor/calls`);
    await page.click('nav.quick-ranges a[data-range="today"]');
    await page.waitForURL(/range=today/);
    expect(await page.inputValue('input[name=from]')).to.equal('2026-03-01 00:00');
    expect(await page.inputValue('input[name=to]')).to.equal('2026-03-02 00:00');
    expect(await page.locator('table.results tbody tr').count()).to.equal(4);
    expect(await page.textContent('.zone-hint')).to.contain('Asia/Shanghai').and.contain('UTC+8');

    await page.fill('input[name=from]', '2026-03-01 15:59');
    await page.fill('input[name=to]', '2026-03-01 16:01');
    await page.fill('input[name=caller]', '8000');
    await page.selectOption('select[name=outcome]', 'password-changed');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/caller=8000/);
    const rows = page.locator('table.results tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().textContent()).to.contain('+86 138****8000').and.contain('1101**********002X');
    await page.screenshot({ path: `${SHOTS}/console-search-local-time.png`, fullPage: true });

    await page.fill('input[name=from]', '2026-03-01 16:01');
    await page.fill('input[name=to]', '2026-03-01 17:00');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/from=2026-03-01\+16%3A01/);
    expect(await page.textContent('table.results tbody')).to.contain('没有符合条件的通话');
  });

  it('the timeline reads in words, and says what the caller heard last after a busy agent line', async () => {
    await page.goto(`${base}/supervisor/calls/${changed.callSid}`);
    const timeline = page.locator('table.timeline');
    expect(await timeline.textContent()).to.contain('For a forgotten or new password, press 1.');
    expect(await timeline.locator('span[title="DIGITS"]').first().textContent()).to.equal('按键');
    expect(await timeline.locator('span[title="verifyingCode"]').first().textContent()).to.equal('核验验证码');
    expect(await page.textContent('dd.ending')).to.contain('密码已修改');
    expect(await page.content()).not.to.contain('258036');
    await page.screenshot({ path: `${SHOTS}/console-timeline-zh.png`, fullPage: true });

    await page.goto(`${base}/supervisor/calls/${busy.callSid}`);
    const heard = page.locator('section.last-heard');
    expect(await heard.textContent()).to.contain('占线').and.contain('需要回电请按1');
    expect(await page.locator('table.timeline span[title="DIAL_RESULT"]').count()).to.equal(1);
    await page.screenshot({ path: `${SHOTS}/console-timeline-agent-busy.png`, fullPage: true });
  });

  it('switches to English, and the account keeps that choice at the next sign-in', async () => {
    await page.goto(`${base}/supervisor/calls?range=today`);
    await page.click('header form[action="/supervisor/language"] button');
    await page.waitForURL(/\/supervisor\/calls\?range=today/);
    expect(await page.getAttribute('html', 'lang')).to.equal('en-US');
    expect(await page.textContent('h1')).to.equal('Calls');
    expect(await page.locator('table.results .outcome[title="password-changed"]').first().textContent()).to.equal('password changed');
    await page.screenshot({ path: `${SHOTS}/console-calls-en.png`, fullPage: true });
    await page.click('header button.sign-out');
    await page.waitForURL(/\/supervisor\/login/);
    await signInAs('alice');
    expect(await page.textContent('h1')).to.equal('Today at a glance');
    await page.goto(`${base}/supervisor/calls/${busy.callSid}`);
    expect(await page.textContent('section.last-heard')).to.contain('After the agent line was busy').and.contain('需要回电请按1');
  });

  for (const language of ['en-US', 'zh-CN'] as const) {
    it(`flow view (${language}): laid out with no two texts overlapping, each inside its box, the policy articles grouped, drop-off in %`, async () => {
      await signInAs('alice');
      await page.goto(`${base}/supervisor/flow?from=${encodeURIComponent('2026-03-01 00:00')}&to=${encodeURIComponent('2026-03-02 00:00')}`);
      if ((await page.getAttribute('html', 'lang')) !== language) {
        await page.click('header form[action="/supervisor/language"] button');
        await page.waitForURL(/\/supervisor\/flow/);
      }
      expect(await page.getAttribute('html', 'lang')).to.equal(language);
      expect(await page.getAttribute('g.state[data-state="welcome"]', 'data-calls')).to.equal('4');
      expect(await page.getAttribute('g.state[data-state="passwordChanged"]', 'data-calls')).to.equal('1');
      expect(await page.getAttribute('g.state[data-state="mainMenu"]', 'data-drop-share')).to.equal('0.5000');
      expect(await page.textContent('g.state[data-state="mainMenu"]')).to.contain('50.0%');
      const { texts, misfits, groups, grouped } = await diagramBoxes(page);
      expect(texts.length).to.be.greaterThan(60);
      expect(texts.some((b) => b.cls === 'edge-count')).to.equal(true);
      expect(overlaps(texts), 'overlapping texts').to.deep.equal([]);
      expect(misfits, 'texts outside their boxes').to.deep.equal([]);
      expect(groups.map((g) => g.text)).to.deep.equal(['group-policy']);
      expect(grouped.sort()).to.deep.equal(['policyArticle12', 'policyArticle23', 'policyArticle35', 'policyArticle44', 'policyArticle53']);
      expect(await page.textContent('g.state[data-state="policyArticle23"] title')).to.contain('policyArticle23');
      await page.screenshot({ path: `${SHOTS}/console-flow-${language}.png`, fullPage: true });
      const svg = await page.locator('svg.flow').boundingBox();
      await page.setViewportSize({ width: Math.max(1366, Math.ceil((svg?.width ?? 0) + 80)), height: 768 });
      await page.evaluate(() => {
        for (const el of [document.querySelector('main'), document.querySelector('.diagram')] as HTMLElement[]) Object.assign(el.style, { maxWidth: 'none', overflow: 'visible' });
      });
      await page.locator('svg.flow').screenshot({ path: `${SHOTS}/console-flow-diagram-${language}.png` });
      await page.setViewportSize({ width: 1366, height: 768 });
    });
  }

  it('the access log: a supervisor is refused, an auditor sees who viewed and searched what (masked), filters and exports it', async () => {
    const refused = await page.goto(`${base}/supervisor/access-log`);
    expect(refused?.status()).to.equal(403);
    expect(await page.textContent('[role=alert]')).to.contain('审计员');
    await signInAs('audrey');
    expect(await page.locator('header nav a').allTextContents()).to.deep.equal(['今日概览', '通话', '卡片', '流程', '回拨', '密码修改审计', '访问日志']);
    await page.goto(`${base}/supervisor/calls`);
    await page.fill('input[name=caller]', '13800138000');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/caller=13800138000/);
    await page.click('header nav a[href="/supervisor/access-log"]');
    await page.waitForURL(/\/supervisor\/access-log/);
    expect(await page.textContent('h1')).to.equal('访问日志');
    const search = page.locator('table.access-log tbody tr[data-what="search"]').first();
    expect(await search.textContent()).to.contain('audrey').and.contain('caller 138****8000');
    expect(await page.content()).not.to.contain('13800138000');
    expect(await page.locator('table.access-log tbody tr[data-what="view-call"]').count()).to.be.greaterThan(2);
    await page.screenshot({ path: `${SHOTS}/console-access-log-zh.png`, fullPage: true });

    await page.fill('form.filters input[name=supervisor]', 'alice');
    await page.selectOption('form.filters select[name=what]', 'view-call');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/supervisor=alice/);
    const rows = await page.locator('table.access-log tbody tr').allTextContents();
    expect(rows.length).to.be.greaterThan(1);
    expect(rows.every((r) => r.includes('alice') && r.includes('查看通话'))).to.equal(true);
    const csv = await page.request.get(`${base}/api/supervisor/access-log.csv?supervisor=alice&what=view-call`);
    expect(csv.status()).to.equal(200);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).to.equal('at,atLocal,supervisor,role,what,how,callSid,subject,detail');
    expect(lines.length).to.equal(rows.length + 1);
    expect((await accessLogEntries(t, { what: 'export-access-log' }))[0]).to.include({ supervisor: 'audrey', role: 'auditor' });
  });

  /** Switches the signed-in supervisor's console to a language, if it is not in it yet. */
  const useLanguage = async (language: 'zh-CN' | 'en-US') => {
    if ((await page.getAttribute('html', 'lang')) === language) return;
    await page.click('header form[action="/supervisor/language"] button');
    await page.waitForSelector(`html[lang="${language}"]`);
  };

  for (const language of ['en-US', 'zh-CN'] as const) {
    it(`today at a glance (${language}): the first page after sign-in, first in the navigation, refreshing itself, today's calls hour by hour`, async () => {
      await signInAs('alice');
      await useLanguage(language);
      expect(page.url()).to.match(/\/supervisor\/dashboard$/);
      expect(await page.textContent('h1')).to.equal(language === 'zh-CN' ? '今日概览' : 'Today at a glance');
      expect(await page.locator('header nav a').first().getAttribute('aria-current')).to.equal('page');
      expect(await page.getAttribute('meta[http-equiv="refresh"]', 'content')).to.equal('60');
      expect(await page.textContent('[data-tile="calls"] .tile-value')).to.equal('4');
      expect(await page.textContent('[data-tile="in-progress"] .tile-value')).to.equal('0');
      expect(await page.textContent('[data-tile="password-changes"] .tile-value')).to.equal('1');
      expect(await page.textContent('[data-tile="agent-unavailable"] .tile-value')).to.equal('1');
      expect(await page.locator('table.dashboard-hours tbody tr').allTextContents()).to.have.length(1);
      expect(await page.textContent('table.dashboard-hours tbody tr td')).to.equal('2026-03-01 16:00:00 (UTC+8)');
      if (language === 'zh-CN') expect((await cjkRendering(page, 'h1')).fonts.join(', ')).to.match(/CJK/);
      await page.screenshot({ path: `${SHOTS}/console-dashboard-${language === 'zh-CN' ? 'zh' : 'en'}.png`, fullPage: true });
    });
  }

  it('the password journey from the password menu: five steps, each with its calls and median time, in Chinese', async () => {
    await signInAs('alice');
    await useLanguage('zh-CN');
    await page.goto(`${base}/supervisor/flow?from=${encodeURIComponent('2026-03-01 00:00')}&to=${encodeURIComponent('2026-03-02 00:00')}`);
    const rows = page.locator('table.funnel tbody tr');
    expect(await rows.count()).to.equal(5);
    expect(await rows.first().locator('td').first().textContent()).to.equal('进入密码服务');
    expect(await rows.last().locator('td').first().textContent()).to.equal('已保存');
    expect(await rows.last().locator('td').nth(1).textContent()).to.equal('1');
    await page.locator('table.funnel').screenshot({ path: `${SHOTS}/console-funnel-zh.png` });
  });

  it('the card page and its unlock: a supervisor sees the lock but may not lift it; the admin lifts it with a reason, and the right password then verifies', async () => {
    const ZHANG = { id: '310115198503171231', password: '314159', from: '+8613900000002' };
    for (const entries of [['000001', '000001', '000001'], ['000001', '000001']]) {
      const call = new TestCall(t, ZHANG.from);
      await call.start();
      await call.pressAll(['2', '2', ZHANG.id, ...entries]);
      await call.hangUp();
    }
    await t.settle();
    await addSupervisor(t, 'adam', 'correct horse battery', 'admin');

    await signInAs('alice');
    await useLanguage('zh-CN');
    await page.click('header nav a[href="/supervisor/cards"]');
    await page.fill('form.filters input[name=id]', ZHANG.id);
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/\/supervisor\/cards\/[^/?]+$/);
    const cardUrl = page.url();
    expect(await page.textContent('h1')).to.contain('3101**********1231');
    expect(await page.textContent('table tr[data-factor="current-password"]')).to.contain('锁定至');
    expect(await page.locator('form.unlock').count()).to.equal(0);
    expect(await page.isVisible('.unlock-note')).to.equal(true);
    expect(await page.content()).not.to.contain(ZHANG.id);
    await page.screenshot({ path: `${SHOTS}/console-card-zh.png`, fullPage: true });
    const refused = await page.request.post(`${cardUrl}/unlock`, { form: { reason: 'trying' }, headers: { Origin: base } });
    expect(refused.status()).to.equal(403);

    await signInAs('adam');
    await useLanguage('en-US');
    await page.goto(cardUrl);
    expect(await page.textContent('table tr[data-factor="current-password"]')).to.contain('locked until');
    await page.fill('form.unlock textarea[name=reason]', 'Holder at the counter with the ID card');
    await page.screenshot({ path: `${SHOTS}/console-card-unlock-en.png`, fullPage: true });
    await page.click('form.unlock button[type=submit]');
    await page.waitForURL(/unlocked=1$/);
    expect(await page.textContent('.ok-box')).to.equal('Unlocked, and recorded in the access log.');
    expect(await page.locator('form.unlock').count()).to.equal(0);
    expect(await page.textContent('table.lock-history tr.lifted')).to.contain('adam').and.contain('Holder at the counter with the ID card');
    await page.screenshot({ path: `${SHOTS}/console-card-unlocked-en.png`, fullPage: true });
    expect((await accessLogEntries(t, { what: 'unlock-card' }))[0]).to.include({ supervisor: 'adam', role: 'admin', how: 'page' });

    const verified = new TestCall(t, ZHANG.from);
    await verified.start();
    await verified.pressAll(['2', '2', ZHANG.id]);
    expect((await verified.press(ZHANG.password)).text).to.contain('You are verified');
  });
});
