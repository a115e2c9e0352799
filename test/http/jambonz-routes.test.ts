import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { callInfo, jambonzPost, jambonzSignature, JambonzTestCall, parseVerbs } from '../support/jambonz.ts';
import { latestCode, startTestApp, type TestApp } from '../support/test-app.ts';
import { addSupervisor, signIn } from '../supervisor/console-support.ts';

/** The same call flow through jambonz's webhooks: signed JSON in, verbs out, the same turns and outcomes as through Twilio. */

const WANG = { id: '11010519491231002*', mobile: '+8613800138000' };

describe('a call through jambonz', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('jambonz-routes', { env: { GATHER_TIMEOUT_MENU_SECONDS: '4', GATHER_TIMEOUT_ID_SECONDS: '12', GATHER_TIMEOUT_CODE_SECONDS: '11', GATHER_TIMEOUT_PIN_SECONDS: '8' } });
  });
  after(async () => t.close());

  it('the welcome is said in Mandarin then English, each in its own synthesizer, in gathers that take one key and stop the prompt', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    const welcome = await call.start();
    expect(call.lastStatus).to.equal(200);
    expect(welcome.gathers.length, 'a gather per voice').to.equal(2);
    expect(welcome.says.map((s) => s.language)).to.deep.equal(['cmn-CN', 'en-US']);
    expect(welcome.says.map((s) => s.vendor)).to.deep.equal(['google', 'google']);
    for (const gather of welcome.gathers) expect(gather).to.include({ numDigits: 1, dtmfBargein: true });
    expect(welcome.gathers[0].actionHook).to.equal('/jambonz/gather?step=1&lang=zh-CN&more=1');
    expect(welcome.gathers[1].actionHook).to.equal('/jambonz/gather?step=1&lang=zh-CN');
    expect(welcome.gathers[1].timeout).to.equal(4);
    expect(welcome.redirect, 'the fallback when a gather webhook gives nothing').to.equal('/jambonz/fallback?lang=zh-CN');
    const identity = await t.store.callSessions.find(call.callSid);
    expect(identity?.state).to.equal('welcome');
  });

  it('the earlier voice\'s gather hearing nothing is answered with nothing, so jambonz goes on to the next; a key during it is the caller\'s choice', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    const welcome = await call.start();
    const quiet = await jambonzPost(t, welcome.gathers[0].actionHook, callInfo(call.callSid, call.from, { reason: 'timeout' }));
    expect(quiet.status).to.equal(204);
    expect((await t.store.callSessions.find(call.callSid))?.step, 'the call did not move').to.equal(1);
    const keyed = parseVerbs((await jambonzPost(t, welcome.gathers[0].actionHook, callInfo(call.callSid, call.from, { reason: 'dtmfDetected', digits: '2' }))).body);
    expect(keyed.text).to.contain('password');
    expect(keyed.says[0].language).to.equal('en-US');
  });

  it('a whole password change: verified by a text-message code, a new password saved, goodbye and hang up; the call records jambonz as its carrier', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1']);
    expect(call.last.gather).to.include({ finishOnKey: '#', timeout: 12, interDigitTimeout: 12, minDigits: 1 });
    const channels = await call.press(WANG.id);
    expect(channels.text).to.contain('For a code by text message, press 1.');
    const code = await call.press('1');
    expect(code.gather?.timeout).to.equal(11);
    const pin = await call.press((await latestCode(t, WANG.mobile))!);
    expect(pin.text).to.contain('new 6-digit password');
    expect(pin.gather?.timeout).to.equal(8);
    expect((await call.press('258036')).text).to.contain('again');
    const done = await call.press('258036');
    expect(done.text).to.contain('Your password is set');
    expect(done.hangup).to.equal(true);
    expect((await t.store.passwordChanges.findByCall(call.callSid))?.status).to.equal('done');
    expect(await call.hangUp()).to.equal(204);
    const ended = await t.store.callSessions.find(call.callSid);
    expect(ended?.outcome).to.equal('password-changed');
    expect(ended?.carrier).to.equal('jambonz');
    expect(ended?.carrierStatus).to.equal('completed');
  });

  it('the console\'s call page names the carrier that served the call, and finds the call by its jambonz call id', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    await call.press('2');
    await call.hangUp();
    await t.settle();
    await addSupervisor(t);
    const cookie = await signIn(t);
    const page = await supertest(t.app).get(`/supervisor/calls/${call.callSid}`).set('Cookie', cookie);
    expect(page.status).to.equal(200);
    expect(page.text).to.match(/<dt>(Carrier|语音平台)<\/dt><dd data-carrier="jambonz">jambonz<\/dd>/);
    const api = await supertest(t.app).get(`/api/supervisor/calls/${call.callSid}`).set('Cookie', cookie);
    expect(api.status).to.equal(200);
    expect(api.body.call.carrier).to.equal('jambonz');
  });

  it('a partial entry (the timer cut it short after 12 keys) is told by its length, and # alone is named, as through Twilio', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1']);
    const partial = await call.pressPartial('110105194912');
    expect(partial.text).to.match(/^You entered 12 digits; the ID number has 18\. Enter your 18-character ID number/);
    const hash = await call.pressHashAlone();
    expect(hash.text).to.match(/^You pressed only the hash key\. Enter your 18-character ID number/);
    const silent = await call.silence();
    expect(silent.text).to.match(/^We did not hear a key\./);
    const turns = await t.store.callSessions.turns(call.callSid);
    expect(turns.slice(-3).map((turn) => [turn.event, turn.input])).to.deep.equal([
      ['DIGITS', '1101****4912'],
      ['DIGITS', '#'],
      ['NO_INPUT', null],
    ]);
  });

  it('a key during the notice before a menu acts at once: the notice is in the menu\'s gather', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    await call.press('2');
    const refused = await call.press('7');
    expect(refused.verbs.map((v) => v.verb)).to.deep.equal(['gather', 'redirect']);
    expect(refused.says.map((s) => s.text)[0]).to.equal('That key is not valid.');
    const idPrompt = await call.press('1');
    expect(idPrompt.text).to.match(/^Enter your 18-character ID number/);
  });

  it('a repeated delivery gets the same verbs and does not advance the call twice; so do two at once', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    const menu = await call.press('2');
    const post = () => jambonzPost(t, menu.gather!.actionHook, callInfo(call.callSid, call.from, { reason: 'dtmfDetected', digits: '1' }));
    const first = await post();
    const again = await post();
    expect(again.body).to.deep.equal(first.body);
    const [a, b] = await Promise.all([post(), post()]);
    expect(a.body).to.deep.equal(first.body);
    expect(b.body).to.deep.equal(first.body);
    expect((await t.store.callSessions.turns(call.callSid)).map((turn) => turn.step)).to.deep.equal([0, 1, 2]);
  });

  it('the agent line busy leads to the callback offer, its repeated result is answered once, and 1 books the callback', async () => {
    const call = new JambonzTestCall(t, '+8613900002001');
    await call.start();
    await call.press('2');
    const transfer = await call.press('0');
    expect(transfer.dial).to.equal(t.config.agentNumber);
    expect(transfer.dialHook).to.match(/^\/jambonz\/dial-done\?step=\d+&lang=en-US$/);
    const post = () => jambonzPost(t, transfer.dialHook!, callInfo(call.callSid, call.from, { dial_call_status: 'busy', dial_sip_status: 486 }));
    const [a, b] = await Promise.all([post(), post()]);
    expect(a.body).to.deep.equal(b.body);
    const offer = parseVerbs(a.body);
    expect(offer.text).to.contain('To be called back on this number within 4 hours, press 1.');
    expect((await t.store.callSessions.turns(call.callSid)).filter((turn) => turn.event === 'DIAL_RESULT')).to.have.length(1);
    call.last = offer;
    const booked = await call.press('1');
    expect(booked.text).to.contain('Your callback is booked.');
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('callback-requested');
  });

  it('a ring timer that ends the agent line while it rings counts as no answer', async () => {
    const call = new JambonzTestCall(t, '+8613900002002');
    await call.start();
    await call.press('2');
    await call.press('0');
    const offer = await call.dialResult('ringing');
    expect(offer.text).to.contain('To be called back on this number within 4 hours, press 1.');
    const turn = (await t.store.callSessions.turns(call.callSid)).at(-1);
    expect(turn?.event).to.equal('DIAL_RESULT');
    expect(turn?.input).to.equal('no-answer');
  });

  it('the call status webhook ignores progress and records a caller who hangs up in the menu as abandoned, once', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    await call.press('2');
    // jambonz reports every change of a call's status to the same webhook: only a final one ends the call.
    expect(await call.hangUp('in-progress')).to.equal(204);
    expect((await t.store.callSessions.find(call.callSid))?.status).to.equal('active');
    const [a, b] = await Promise.all([call.hangUp('completed'), call.hangUp('completed')]);
    expect([a, b]).to.deep.equal([204, 204]);
    expect((await t.store.callSessions.find(call.callSid))?.outcome).to.equal('abandoned');
  });

  it('the fallback replays where a live call is; for an unknown call it apologises in the language it was given', async () => {
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    const menu = await call.press('2');
    const again = parseVerbs((await jambonzPost(t, menu.redirect!, callInfo(call.callSid, call.from))).body);
    expect(again.text).to.equal(menu.text);
    const unknown = parseVerbs((await jambonzPost(t, '/jambonz/fallback?lang=en-US', callInfo(randomUUID(), call.from))).body);
    expect(unknown.text).to.contain('Sorry, we are having a technical problem.');
    expect(unknown.says.every((s) => s.language === 'en-US')).to.equal(true);
    expect(unknown.gather?.actionHook).to.equal('/jambonz/recover?lang=en-US');
    expect(unknown.hangup).to.equal(true);
  });

  it('after the apology, 0 reaches an agent and silence is answered with nothing (the goodbye is queued)', async () => {
    const sid = randomUUID();
    const agent = parseVerbs((await jambonzPost(t, '/jambonz/recover?lang=en-US', callInfo(sid, WANG.mobile, { reason: 'dtmfDetected', digits: '0' }))).body);
    expect(agent.dial).to.equal(t.config.agentNumber);
    expect(agent.dialHook).to.equal('/jambonz/dial-done?lang=en-US');
    const quiet = await jambonzPost(t, '/jambonz/recover?lang=en-US', callInfo(randomUUID(), WANG.mobile, { reason: 'timeout' }));
    expect(quiet.status).to.equal(204);
    const busy = parseVerbs((await jambonzPost(t, '/jambonz/dial-done?lang=en-US', callInfo(sid, WANG.mobile, { dial_call_status: 'busy' }))).body);
    expect(busy.text).to.contain('all our agents are busy');
    expect(busy.hangup).to.equal(true);
  });

  it('metrics count jambonz turns and calls as they count Twilio\'s', async () => {
    const sum = (text: string, metric: RegExp) => [...text.matchAll(metric)].reduce((total, m) => total + Number(m[1]), 0);
    const turns = /^hotline_turns_total\{event="DIGITS"[^}]*\} (\d+)$/gm;
    const before = (await supertest(t.app).get('/metrics')).text;
    const call = new JambonzTestCall(t, WANG.mobile);
    await call.start();
    await call.pressAll(['2', '1']);
    const after = (await supertest(t.app).get('/metrics')).text;
    expect(sum(after, turns) - sum(before, turns)).to.equal(2);
  });

  it('a body that is not a jambonz call (a Twilio CallSid) is refused with 400 and the call is not started', async () => {
    const res = await jambonzPost(t, '/jambonz/call', { call_sid: `CA${'a'.repeat(32)}`, from: WANG.mobile });
    expect(res.status).to.equal(400);
    expect(await t.store.callSessions.find(`CA${'a'.repeat(32)}`)).to.equal(null);
  });
});

describe('what an unsigned sender can make the jambonz routes do', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('jambonz-unsafe');
  });
  after(async () => t.close());

  it('a request without, with a forged or with a stale jambonz-signature is refused with 403 on every route and changes nothing, not even the logs of the call', async () => {
    const live = new JambonzTestCall(t);
    await live.start();
    await live.press('2');
    const fresh = randomUUID();
    await t.settle();
    const before = await t.dumpDatabase();
    const seen = t.logs.length;
    for (const callSid of [live.callSid, fresh]) {
      for (const path of ['/jambonz/call', '/jambonz/gather?step=2&lang=en-US', '/jambonz/status', '/jambonz/fallback', '/jambonz/recover?lang=en-US', '/jambonz/dial-done?lang=en-US', '/jambonz/dial-done?step=2&lang=en-US']) {
        const body = JSON.stringify(callInfo(callSid, '+8613800138000', { reason: 'dtmfDetected', digits: '1', call_status: 'completed', dial_call_status: 'busy' }));
        const send = (signature?: string) => {
          const req = supertest(t.app).post(path).set('Content-Type', 'application/json');
          return (signature ? req.set('Jambonz-Signature', signature) : req).send(body);
        };
        expect((await send()).status, `${path} unsigned`).to.equal(403);
        expect((await send(jambonzSignature('not-the-webhook-secret-0000', body))).status, `${path} forged`).to.equal(403);
        expect((await send(jambonzSignature(t.config.jambonz.webhookSecret!, body, Math.floor(Date.now() / 1000) - 3600))).status, `${path} an hour old`).to.equal(403);
        expect((await send(jambonzSignature(t.config.jambonz.webhookSecret!, `${body} `))).status, `${path} signed for another body`).to.equal(403);
      }
    }
    const lines = t.logs.slice(seen).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length, 'each refusal is logged').to.be.greaterThan(0);
    expect(lines.filter((line) => 'callSid' in line), 'no line is filed under a call').to.have.length(0);
    await t.settle();
    expect(await t.dumpDatabase(), 'every collection unchanged').to.equal(before);
    expect((await t.store.callLogs.late(fresh)).length).to.equal(0);
    await live.press('1');
    expect(await t.dumpDatabase(), 'a signed request does change them').to.not.equal(before);
  });

  it('without a webhook secret the jambonz routes are not there at all', async () => {
    const bare = await startTestApp('jambonz-off', { env: { JAMBONZ_WEBHOOK_SECRET: '' }, seed: false });
    try {
      expect(bare.config.jambonz.webhookSecret).to.equal(undefined);
      const res = await supertest(bare.app).post('/jambonz/call').set('Content-Type', 'application/json').send(JSON.stringify(callInfo(randomUUID(), '+8613800138000')));
      expect(res.status).to.equal(404);
    } finally {
      await bare.close();
    }
  });
});
