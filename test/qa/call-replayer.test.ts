import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import twilio from 'twilio';
import { CallReplayer, forgetAudioManifests, gatheredDigits, gatheredKeys, identifyPrompt } from '../../src/qa/call-replayer.ts';
import { promptText } from '../../prompts/catalogue.ts';
import { parseCallScript } from '../../src/qa/call-script.ts';
import { runScript } from '../../src/qa/script-runner.ts';

const AUTH = 'fake-line-auth-token-123';
const PUBLIC = 'https://line.example';

/** A small fake line that checks every signature and answers with hand-written TwiML exercising each verb. */
async function fakeLine(options: { manifest: boolean }) {
  const requests: Array<{ path: string; body: Record<string, string>; signed: boolean }> = [];
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.get('/audio/manifest.json', (_req, res) => {
    if (!options.manifest) return void res.status(404).end();
    res.json({ prompts: [{ id: 'main.menu', lang: 'en-US', text: promptText('main.menu', 'en-US'), file: 'main.menu.en-US.abc123.mp3', seconds: 9 }] });
  });
  app.post(/.*/, (req, res) => {
    const signed = twilio.validateRequest(AUTH, req.header('x-twilio-signature') ?? '', `${PUBLIC}${req.originalUrl}`, req.body);
    requests.push({ path: req.originalUrl, body: req.body, signed });
    const twiml = (body: string) => res.type('text/xml').send(`<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`);
    switch (req.path) {
      case '/voice':
        return twiml('<Say language="en-US">Hello.</Say><Pause length="2"/><Redirect>menu?x=1</Redirect><Say>never said</Say>');
      case '/menu':
        return twiml(
          '<Gather action="/voice/pick" numDigits="1" timeout="3"><Play>/audio/main.menu.en-US.abc123.mp3</Play></Gather><Say language="en-US">No key, so here is the fall-through.</Say><Gather action="pick2" finishOnKey="#" actionOnEmptyResult="true"><Say language="en-US">Enter digits.</Say></Gather>',
        );
      case '/pick2':
        return twiml(`<Say language="en-US">You entered ${req.body.Digits || 'nothing'}.</Say><Dial action="/voice/dial-done?lang=en-US" timeout="30">+861012333</Dial><Say>not reached</Say>`);
      case '/voice/dial-done':
        return twiml(`<Say language="en-US">${req.body.DialCallStatus === 'completed' ? 'Bye.' : 'Busy.'}</Say><Hangup/>`);
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
    target: { baseUrl, publicBaseUrl: PUBLIC, authToken: AUTH },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('the call replayer (acting as Twilio)', () => {
  afterEach(() => forgetAudioManifests());

  it('follows Say, Pause, a relative Redirect, a Play named in the audio manifest, a Gather falling through, Dial with its action and Hangup; every request signed; status callback at the end', async () => {
    const line = await fakeLine({ manifest: true });
    try {
      const call = new CallReplayer(line.target, '+8613800000950', { agent: 'busy' });
      const first = await call.start();
      expect(first.map((u) => u.text)).to.deep.equal(['Hello.', promptText('main.menu', 'en-US')]);
      expect(first[1]).to.include({ kind: 'play', promptId: 'main.menu', language: 'en-US' });
      const fallThrough = await call.silence();
      expect(fallThrough.map((u) => u.text)).to.deep.equal(['No key, so here is the fall-through.', 'Enter digits.']);
      const end = await call.press('12#');
      expect(end.map((u) => u.text)).to.deep.equal(['You entered 12.', 'Busy.']);
      expect(call.ended).to.equal(true);
      expect(call.dialled).to.equal('+861012333');
      expect(line.requests.map((r) => r.path)).to.deep.equal(['/voice', '/menu?x=1', '/pick2', '/voice/dial-done?lang=en-US', '/voice/status']);
      expect(line.requests.every((r) => r.signed)).to.equal(true);
      expect(line.requests[3].body.DialCallStatus).to.equal('busy');
      expect(line.requests[4].body).to.include({ CallStatus: 'completed', CallSid: call.callSid });
      expect(Number(line.requests[4].body.CallDuration)).to.be.at.least(2);
      expect(call.transcript.map((l) => l.text)).to.include('play main.menu.en-US.abc123.mp3 main.menu [en-US]  ' + promptText('main.menu', 'en-US'));
      let refused = '';
      await call.press('1').catch((e: Error) => (refused = e.message));
      expect(refused).to.equal('cannot press keys: the call has ended');
    } finally {
      await line.close();
    }
  });

  it('a script expecting a prompt id passes when the prompt is played from the manifest, and fails when it is not in the call language', async () => {
    const line = await fakeLine({ manifest: true });
    try {
      const script = (language: string) => parseCallScript(`caller: "+8613800000952"\nlanguage: ${language}\nsteps:\n  - expect: main.menu\n  - hangup\n`, 'played.yaml');
      expect((await runScript(script('en-US'), line.target)).failure).to.equal(undefined);
      const wrongLanguage = await runScript(script('zh-CN'), line.target);
      expect(wrongLanguage.failure).to.match(/^played\.yaml:4: expected prompt main\.menu not heard after the call was answered\n {2}- main\.menu \[zh-CN\] /);
      expect(wrongLanguage.failure).to.contain('\n  + play main.menu.en-US.abc123.mp3 main.menu [en-US]  For a forgotten or new password');
    } finally {
      await line.close();
    }
  });

  it('without an audio manifest a Play shows its URL', async () => {
    const line = await fakeLine({ manifest: false });
    try {
      const heard = await new CallReplayer(line.target, '+8613800000951').start();
      expect(heard[1]).to.include({ kind: 'play', promptId: null, text: `[audio ${PUBLIC}/audio/main.menu.en-US.abc123.mp3]` });
    } finally {
      await line.close();
    }
  });

  it('posts what Twilio would: the finishing key removed, numDigits honoured', () => {
    expect(gatheredDigits('110105198803151013#', { finishOnKey: '#' })).to.equal('110105198803151013');
    expect(gatheredDigits('12', { finishOnKey: '#' })).to.equal('12');
    expect(gatheredDigits('#', { numDigits: 1, finishOnKey: '' })).to.equal('#');
    expect(gatheredDigits('#', { finishOnKey: '#' })).to.equal('');
    expect(gatheredDigits('93', { numDigits: 1, finishOnKey: '' })).to.equal('9');
  });

  it('says how an entry ended as Twilio does: FinishedOnKey is the finishing key, empty for a partial entry the timer ended or a full menu key', () => {
    expect(gatheredKeys('110105198803151013#', { finishOnKey: '#' })).to.deep.equal({ digits: '110105198803151013', finishedOnKey: '#' });
    expect(gatheredKeys('110105', { finishOnKey: '#' })).to.deep.equal({ digits: '110105', finishedOnKey: '' });
    expect(gatheredKeys('#', { finishOnKey: '#' })).to.deep.equal({ digits: '', finishedOnKey: '#' });
    expect(gatheredKeys('#', { numDigits: 1, finishOnKey: '' })).to.deep.equal({ digits: '#', finishedOnKey: '' });
  });

  it('posts the hash key alone with FinishedOnKey=# to a gather that wants empty results, and a partial entry with FinishedOnKey empty', async () => {
    for (const [keys, posted] of [
      ['#', { Digits: '', FinishedOnKey: '#' }],
      ['12', { Digits: '12', FinishedOnKey: '' }],
    ] as const) {
      const line = await fakeLine({ manifest: false });
      try {
        const call = new CallReplayer(line.target, '+8613800000953');
        await call.start();
        await call.silence();
        await call.press(keys);
        expect(line.requests.find((r) => r.path === '/pick2')?.body, keys).to.include(posted);
      } finally {
        await line.close();
      }
    }
  });

  it('plays each transfer of a call as the agent list says, and a caller hanging up while it rings sends only the status callback', async () => {
    const line = await fakeLine({ manifest: false });
    try {
      const call = new CallReplayer(line.target, '+8613800000955', { agent: ['caller-hangs-up'] });
      await call.start();
      await call.silence();
      await call.press('5#');
      expect(call.ended).to.equal(true);
      expect(line.requests.map((r) => r.path)).to.deep.equal(['/voice', '/menu?x=1', '/pick2', '/voice/status']);
    } finally {
      await line.close();
    }
  });

  it('recognises catalogue prompts with their values filled in, in either language', () => {
    expect(identifyPrompt(promptText('code.sent', 'zh-CN', { otpMinutes: 5 }))).to.deep.equal({ id: 'code.sent', language: 'zh-CN' });
    expect(identifyPrompt('Something else entirely.')).to.equal(null);
  });
});
