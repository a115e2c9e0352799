import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import jambonz from '@jambonz/node-client';
import { promptText } from '../../prompts/catalogue.ts';
import { forgetAudioManifests } from '../../src/qa/call-replayer.ts';
import { jambonzGathered, JambonzCallReplayer } from '../../src/qa/jambonz-replayer.ts';
import { placeCall } from '../../src/qa/place-call.ts';

const SECRET = 'fake-jambonz-secret-0123456789';

/** A small fake jambonz application that checks every signature with @jambonz/node-client and answers with hand-written verbs. */
async function fakeApplication() {
  const requests: Array<{ path: string; body: Record<string, unknown>; signed: boolean }> = [];
  const verify = jambonz.WebhookResponse.verifyJambonzSignature(SECRET);
  const app = express();
  app.use(express.raw({ type: () => true }));
  app.get('/audio/manifest.json', (_req, res) => {
    res.json({ prompts: [{ id: 'main.menu', lang: 'en-US', text: promptText('main.menu', 'en-US'), file: 'main.menu.en-US.abc123.mp3', seconds: 9 }] });
  });
  app.post(/.*/, (req, res) => {
    let signed = false;
    try {
      verify(req, res, () => (signed = true));
    } catch {
      signed = false;
    }
    const body = JSON.parse((req.body as Buffer).toString('utf8')) as Record<string, unknown>;
    requests.push({ path: req.originalUrl, body, signed });
    const say = (text: string, language = 'en-US') => ({ text, synthesizer: { vendor: 'google', language, voice: `${language}-x` } });
    switch (req.path) {
      case '/jambonz/call':
        return void res.json([
          { verb: 'say', text: ['Hello.', 'Welcome.'], synthesizer: { vendor: 'google', language: 'en-US', voice: 'en-US-x' } },
          { verb: 'pause', length: 2 },
          { verb: 'redirect', actionHook: '/menu?x=1' },
          { verb: 'say', text: 'never said' },
        ]);
      case '/menu':
        return void res.json([
          { verb: 'gather', input: ['digits'], numDigits: 1, timeout: 1, actionHook: '/pick?more=1', say: say('您好。', 'cmn-CN') },
          { verb: 'gather', input: ['digits'], finishOnKey: '#', minDigits: 1, timeout: 5, actionHook: '/pick', play: { url: '/audio/main.menu.en-US.abc123.mp3' } },
          { verb: 'say', ...say('Nothing typed.') },
          { verb: 'hangup' },
        ]);
      case '/pick':
        if (body.reason !== 'dtmfDetected') return void res.status(204).end();
        return void res.json([{ verb: 'say', ...say(`You entered ${String(body.digits) || 'nothing'}.`) }, { verb: 'dial', target: [{ type: 'phone', number: '+861012333' }], actionHook: '/dial-done' }, { verb: 'say', text: 'not reached' }]);
      case '/dial-done':
        return void res.json([{ verb: 'say', ...say(body.dial_call_status === 'completed' ? 'Bye.' : 'Busy.') }, { verb: 'hangup' }]);
      default:
        return void res.status(204).end();
    }
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    requests,
    target: { baseUrl, authToken: '', carrier: 'jambonz' as const, jambonzSecret: SECRET },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('the call replayer (acting as jambonz)', () => {
  afterEach(() => forgetAudioManifests());

  it('follows say (a list of texts), pause, redirect, a row of gathers (the earlier one times out first), play from the manifest, dial with its actionHook and hangup; every webhook signed; call status at the end', async () => {
    const line = await fakeApplication();
    try {
      const call = placeCall(line.target, '+8613800000970', { agent: 'busy' });
      expect(call).to.be.instanceOf(JambonzCallReplayer);
      const first = await call.start();
      expect(first.map((u) => u.text)).to.deep.equal(['Hello.', 'Welcome.', '您好。', promptText('main.menu', 'en-US')]);
      expect(first[2].language).to.equal('zh-CN');
      expect(first[3]).to.include({ kind: 'play', promptId: 'main.menu', language: 'en-US' });
      expect(call.waiting).to.equal(true);
      const end = await call.press('12#');
      expect(end.map((u) => u.text)).to.deep.equal(['You entered 12.', 'Busy.']);
      expect(call.ended).to.equal(true);
      expect(call.dialled).to.equal('+861012333');
      expect(line.requests.map((r) => r.path)).to.deep.equal(['/jambonz/call', '/menu?x=1', '/pick?more=1', '/pick', '/dial-done', '/jambonz/status']);
      expect(line.requests.every((r) => r.signed), 'every webhook carries a valid Jambonz-Signature').to.equal(true);
      expect(line.requests.every((r) => r.body.call_sid === call.callSid)).to.equal(true);
      expect(call.callSid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(line.requests[2].body).to.include({ reason: 'timeout' });
      expect(line.requests[3].body).to.include({ reason: 'dtmfDetected', digits: '12' });
      expect(line.requests[4].body).to.include({ dial_call_status: 'busy' });
      expect(line.requests[5].body).to.include({ call_status: 'completed' });
      expect(Number(line.requests[5].body.duration)).to.be.at.least(2);
    } finally {
      await line.close();
    }
  });

  it('silence at the last gather, answered with nothing, goes on with the verbs after it', async () => {
    const line = await fakeApplication();
    try {
      const call = placeCall(line.target, '+8613800000971');
      await call.start();
      const after = await call.silence();
      expect(after.map((u) => u.text)).to.deep.equal(['Nothing typed.']);
      expect(call.ended).to.equal(true);
    } finally {
      await line.close();
    }
  });

  it('posts what jambonz would: digits without the finish key, numDigits honoured, a partial entry as dtmfDetected, no key as a timeout', () => {
    expect(jambonzGathered('110105198803151013#', { finishOnKey: '#' })).to.deep.equal({ reason: 'dtmfDetected', digits: '110105198803151013' });
    expect(jambonzGathered('110105', { finishOnKey: '#' })).to.deep.equal({ reason: 'dtmfDetected', digits: '110105' });
    expect(jambonzGathered('#', { finishOnKey: '#' })).to.deep.equal({ reason: 'dtmfDetected', digits: '' });
    expect(jambonzGathered('#', { numDigits: 1 })).to.deep.equal({ reason: 'dtmfDetected', digits: '#' });
    expect(jambonzGathered('93', { numDigits: 1 })).to.deep.equal({ reason: 'dtmfDetected', digits: '9' });
    expect(jambonzGathered('', { finishOnKey: '#' })).to.deep.equal({ reason: 'timeout', digits: '' });
  });

  it('refuses to ring the jambonz side without the webhook secret', () => {
    expect(() => placeCall({ baseUrl: 'http://127.0.0.1:1', authToken: '', carrier: 'jambonz' }, '+8613800000972')).to.throw(/webhook secret/);
  });
});
