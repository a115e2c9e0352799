import { expect } from 'chai';
import supertest from 'supertest';
import { promptText } from '../../prompts/catalogue.ts';
import { machineGraph } from '../../src/services/flow-graph.service.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor, callLogLines, signIn } from './console-support.ts';

const WANG = { id: '11010519491231002*', mobile: '+8613800138000' };
const LI = { id: '440524188001010014', mobile: '+8613912345678' };

/** Waits (bounded) until a condition holds: log lines are stored best effort, after the turn has answered. */
async function eventually(check: () => Promise<boolean>, tries = 50): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('supervisor console: timelines, flow view and funnel from real calls', () => {
  let t: TestApp;
  let cookie: string;
  const calls: Record<string, TestCall> = {};
  let code: string;
  const get = (path: string, query: Record<string, string> = {}) => supertest(t.app).get(path).query(query).set('Cookie', cookie);
  const range = { from: '2026-03-01T07:00Z', to: '2026-03-01T09:00Z' };

  before(async function () {
    this.timeout(60_000);
    t = await startTestApp('sup-review');
    await addSupervisor(t);

    const changed = new TestCall(t, WANG.mobile);
    await changed.start();
    for (const keys of ['2', '1', WANG.id, '1']) {
      t.clock.advance(4000);
      await changed.press(keys);
    }
    code = (await latestCode(t, WANG.mobile)) as string;
    for (const keys of [code, '258036', '258036']) {
      t.clock.advance(4000);
      await changed.press(keys);
    }
    await changed.hangUp();
    calls.changed = changed;

    const quitAtMenu = new TestCall(t, '+8613100002222');
    await quitAtMenu.start();
    await quitAtMenu.press('2');
    await quitAtMenu.hangUp();
    calls.quitAtMenu = quitAtMenu;

    const quitAtChannel = new TestCall(t, LI.mobile);
    await quitAtChannel.start();
    await quitAtChannel.pressAll(['1', '1', LI.id]);
    await quitAtChannel.hangUp();
    calls.quitAtChannel = quitAtChannel;

    const agent = new TestCall(t, '+8613100003333');
    await agent.start();
    await agent.pressAll(['2', '0']);
    await agent.dialResult('completed');
    await agent.hangUp();
    calls.agent = agent;

    t.clock.advance(2 * 86_400_000);
    const later = new TestCall(t, '+8613100004444');
    await later.start();
    await later.press('2');
    await later.hangUp();
    const busy = new TestCall(t, '+8613100005555');
    await busy.start();
    await busy.pressAll(['1', '0']);
    await busy.dialResult('busy');
    await busy.hangUp();
    calls.busy = busy;
    cookie = await signIn(t);
  });
  after(() => t.close());

  it('counts calls per state and transition, and where they ended, for calls that started in the range', async () => {
    const res = await get('/api/supervisor/flow', range);
    expect(res.status).to.equal(200);
    const { counts } = res.body;
    expect(counts.calls).to.equal(4);
    expect(counts.states).to.include({ welcome: 4, mainMenu: 4, enterId: 2, identifying: 2, chooseChannel: 2, sendingCode: 1, enterCode: 1, verifyingCode: 1, enterNewPin: 1, confirmNewPin: 1, passwordChanged: 1, abandoned: 2, agent: 1, transferred: 1 });
    expect(counts.moves).to.include({ 'welcome>mainMenu': 4, 'mainMenu>enterId': 2, 'enterId>identifying': 2, 'identifying>chooseChannel': 2, 'chooseChannel>abandoned': 1, 'mainMenu>abandoned': 1, 'mainMenu>agent': 1, 'agent>transferred': 1, 'committingNewPin>passwordChanged': 1 });
    const endings = Object.fromEntries(counts.endings.map((e: { state: string; outcome: string; calls: number }) => [`${e.state}:${e.outcome}`, e.calls]));
    expect(endings).to.deep.equal({ 'passwordChanged:password-changed': 1, 'mainMenu:abandoned': 1, 'chooseChannel:abandoned': 1, 'transferred:transferred': 1 });
    const twoDays = await get('/api/supervisor/flow', { from: '2026-03-01T07:00Z', to: '2026-03-04T00:00Z' });
    expect(twoDays.body.counts.calls).to.equal(6);
    expect(twoDays.body.counts.states.welcome).to.equal(6);
  });

  it('the funnel starts at the password menu and counts identified → verified → new PIN accepted → saved, with drop-off and median time', async () => {
    const res = await get('/api/supervisor/funnel', range);
    expect(res.status).to.equal(200);
    // The reset took 4 s (test clock) per key: 8 s to the password menu, 8 s to identified, 8 s to verified, 4 s to
    // each of the last two steps; the call that stopped at the channel menu took no time on the clock.
    expect(res.body.steps).to.deep.equal([
      { step: 'password menu', calls: 2, dropOff: 0, rate: 1, medianSeconds: 0.5 },
      { step: 'identified', calls: 2, dropOff: 0, rate: 1, medianSeconds: 0.5 },
      { step: 'verified', calls: 1, dropOff: 1, rate: 0.5, medianSeconds: 8.5 },
      { step: 'new PIN accepted', calls: 1, dropOff: 0, rate: 1, medianSeconds: 4.5 },
      { step: 'saved', calls: 1, dropOff: 0, rate: 1, medianSeconds: 4.5 },
    ]);
  });

  it('the diagram is generated from the machine: every state drawn, with its count', async () => {
    const graph = machineGraph();
    expect(graph.nodes.map((n) => n.id)).to.include.members(['welcome', 'identifying', 'enterNewPin', 'passwordChanged', 'abandoned', 'trouble']);
    expect(graph.edges).to.deep.include({ from: 'enterId', to: 'identifying', events: ['DIGITS'] });
    expect(graph.exits).to.include.members(['agent', 'agentAfterTrouble', 'noInputGoodbye']);
    const res = await get('/supervisor/flow', range);
    expect(res.status).to.equal(200);
    for (const node of graph.nodes) expect(res.text, node.id).to.contain(`data-state="${node.id}"`);
    expect(res.text).to.contain('data-state="welcome" data-calls="4"');
    expect(res.text).to.contain('data-from="welcome" data-to="mainMenu" data-calls="4"');
    expect(res.text).to.match(/<svg[^>]+class="flow"/);
    expect(res.text).to.contain('之间开始的通话共 4 通');
  });

  it('the timeline shows each state entered, prompts in the call language, masked keys, time per step, ending, change and log lines', async () => {
    const sid = calls.changed.callSid;
    await eventually(async () => (await callLogLines(t, sid)).some((l) => l.message === 'call status'));
    const res = await get(`/api/supervisor/calls/${sid}`);
    expect(res.status).to.equal(200);
    const timeline = res.body;
    expect(timeline.call).to.include({ callSid: sid, language: 'en-US', outcome: 'password-changed', callerMasked: '+86 138****8000', idMasked: '1101**********002X' });
    const inputs = timeline.steps.map((s: { input: string | null }) => s.input);
    expect(inputs).to.deep.equal([null, '2', '1', '1101**********002X', '1', '••••••', '••••••', '••••••']);
    const entered = timeline.steps.flatMap((s: { entered: string[] }) => s.entered);
    expect(entered).to.deep.equal(['welcome', 'mainMenu', 'enterId', 'identifying', 'chooseChannel', 'sendingCode', 'enterCode', 'verifyingCode', 'enterNewPin', 'screeningNewPin', 'confirmNewPin', 'committingNewPin', 'passwordChanged']);
    expect(timeline.steps[1].prompts[0]).to.deep.equal({ id: 'main.menu', text: promptText('main.menu', 'en-US') });
    expect(timeline.steps[0].prompts[0].text).to.contain('普通话请按1').and.contain('For English, press 2');
    expect(timeline.steps[4].prompts.map((p: { text: string }) => p.text).join(' ')).to.contain('valid for 5 minutes');
    expect(timeline.steps.slice(0, 7).map((s: { secondsInState: number }) => s.secondsInState)).to.deep.equal([4, 4, 4, 4, 4, 4, 4]);
    expect(timeline.ending).to.include({ state: 'passwordChanged', outcome: 'password-changed' });
    expect(timeline.passwordChange).to.include({ channel: 'sms', status: 'done', idMasked: '1101**********002X' });
    const messages = timeline.logs.map((l: { message: string }) => l.message);
    expect(messages).to.include.members(['call started', 'caller identified', 'turn', 'call status']);
    const text = JSON.stringify(timeline);
    for (const secret of [code, '258036', '11010519491231002', '13800138000', 'snapshot', 'twiml', '<Response', 'idHash', 'citizenId']) expect(text, secret).not.to.contain(secret);
  });

  it('the call page renders the same timeline, escaped, and records who looked at the call', async () => {
    const sid = calls.changed.callSid;
    t.logger.child({ callSid: sid }).warn('note <script>alert(1)</script>');
    await eventually(async () => (await callLogLines(t, sid)).some((l) => l.message.includes('<script>')));
    t.clock.advance(1000);
    const res = await get(`/supervisor/calls/${sid}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.to.contain('<script>');
    expect(res.text).to.contain('For a forgotten or new password, press 1.');
    expect(res.text).to.contain('1101**********002X').and.contain('••••••').and.contain('verifyingCode');
    expect(res.text).to.contain('密码修改').and.contain('<span class="code-word" title="sms">短信验证码</span>');
    for (const secret of [code, '258036', '11010519491231002', '13800138000']) expect(res.text, secret).not.to.contain(secret);
    const log = await accessLogEntries(t, { callSid: sid });
    expect(log.map((e) => `${e.what}:${e.how}`)).to.include.members(['view-call:page', 'view-call:api']);
    expect(log.every((e) => e.supervisor === 'alice' && e.role === 'supervisor')).to.equal(true);
  });

  it('the timeline says what the caller heard last before hanging up, and the busy-agent prompt after an agent line that did not connect', async () => {
    const quit = (await get(`/api/supervisor/calls/${calls.quitAtChannel.callSid}`)).body;
    expect(quit.lastHeard).to.deep.include({ reason: 'hangup', state: 'chooseChannel', dialCallStatus: null });
    expect(quit.lastHeard.prompts.map((p: { id: string }) => p.id)).to.deep.equal(['verify.menu']);
    expect(quit.lastHeard.prompts[0].text).to.contain('短信');
    const busy = calls.busy.callSid;
    const body = (await get(`/api/supervisor/calls/${busy}`)).body;
    expect(body.call.outcome).to.equal('agent-unavailable');
    expect(body.lastHeard).to.deep.include({ reason: 'agent-unavailable', state: 'agent', dialCallStatus: 'busy' });
    expect(body.lastHeard.prompts.map((p: { id: string }) => p.id)).to.deep.equal(['callback.offer']);
    expect(body.lastHeard.prompts[0].text).to.contain('需要回电请按1');
    const page = await get(`/supervisor/calls/${busy}`);
    expect(page.text).to.contain('人工坐席线路占线之后，来电者听到').and.contain('需要回电请按1');
    expect(page.text).not.to.contain('class="after-flow"');
    const changed = (await get(`/api/supervisor/calls/${calls.changed.callSid}`)).body;
    expect(changed.lastHeard).to.equal(null);
  });

  it('exports a timeline as a JSON file, masked, and records the export', async () => {
    const sid = calls.quitAtChannel.callSid;
    const res = await get(`/api/supervisor/calls/${sid}/timeline.json`);
    expect(res.status).to.equal(200);
    expect(res.headers['content-disposition']).to.equal(`attachment; filename="call-${sid}.json"`);
    const body = JSON.parse(res.text);
    expect(body.call).to.include({ outcome: 'abandoned', idMasked: '4405**********0014', callerMasked: '+86 139****5678' });
    expect(body.ending).to.include({ state: 'chooseChannel', outcome: 'abandoned' });
    expect(body.steps.at(-1)).to.include({ event: 'HANGUP', from: 'chooseChannel', to: 'abandoned' });
    expect(res.text).not.to.contain('440524188001010014');
    expect(res.text).not.to.contain('13912345678');
    expect((await accessLogEntries(t, { callSid: sid }))[0]).to.include({ what: 'view-call', how: 'json', supervisor: 'alice' });
    expect(body.timeZone).to.equal('Asia/Shanghai');
    expect(body.call.startedAtLocal).to.match(/^2026-03-01 \d{2}:\d{2}:\d{2} \(UTC\+8\)$/);
    expect(body.steps[0].at).to.match(/^2026-03-01T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(body.steps[0].atLocal).to.match(/\(UTC\+8\)$/);
  });

  it('an unknown call is a 404 in the API and an HTML error page in the console, and is not logged as viewed', async () => {
    expect((await get('/api/supervisor/calls/CA0000000000000000000000000000dead')).status).to.equal(404);
    const page = await get('/supervisor/calls/CA0000000000000000000000000000dead');
    expect(page.status).to.equal(404);
    expect(page.headers['content-type']).to.contain('text/html');
    expect(await accessLogEntries(t, { callSid: 'CA0000000000000000000000000000dead' })).to.deep.equal([]);
  });
});
