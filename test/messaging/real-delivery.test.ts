import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { SMTPServer } from 'smtp-server';
import twilio from 'twilio';
import { RealMessenger } from '../../src/messaging/messenger.ts';
import { startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

interface ReceivedMail {
  to: string[];
  body: string;
}

/** A real SMTP server (nodemailer's smtp-server) on loopback that keeps what it receives. */
async function startSmtp(): Promise<{ port: number; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A loopback stand-in for Twilio's Messages REST endpoint; `hold` keeps answers back until released. */
async function startMessagingApi() {
  const received: Array<{ path: string; auth: string; body: Record<string, string> }> = [];
  const held: Array<() => void> = [];
  const state = { hold: false };
  const app = express();
  app.post('/2010-04-01/Accounts/:sid/Messages.json', express.urlencoded({ extended: false }), (req, res) => {
    received.push({ path: req.path, auth: req.header('authorization') ?? '', body: req.body as Record<string, string> });
    const answer = () => res.status(201).json({ sid: `SM${'0'.repeat(32)}`, status: 'queued', to: req.body.To, from: req.body.From, body: req.body.Body });
    if (state.hold) held.push(answer);
    else answer();
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  class LoopbackClient extends twilio.RequestClient {
    override request<T>(opts: Parameters<twilio.RequestClient['request']>[0]) {
      return super.request<T>({ ...opts, uri: String(opts.uri).replace(/^https:\/\/api\.twilio\.com/, base) } as never);
    }
  }
  return {
    received,
    state,
    release: () => held.splice(0).forEach((answer) => answer()),
    httpClient: new LoopbackClient(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const codeIn = (text: string) => /code is (\d{6})/.exec(text.replace(/=\r?\n/g, ''))?.[1] ?? null;

/**
 * Waits (bounded) until a stand-in has received `count` messages: a code request answers the caller after
 * CODE_SEND_FLOOR_MS without waiting for the provider, so on a busy machine the message can land a moment later.
 */
async function received(list: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 100 && list.length < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('real SMS and email delivery', function () {
  this.timeout(30_000);

  it('when SMTP is configured, the email code goes out over SMTP and completes a reset', async () => {
    const smtp = await startSmtp();
    let t: TestApp | undefined;
    try {
      t = await startTestApp('delivery-smtp', {
        env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, EMAIL_FROM: 'hotline@example.org' },
        messenger: (_store, config) => new RealMessenger(config),
      });
      const call = new TestCall(t, '+8613100000009');
      await call.start();
      for (const keys of ['2', '1', '110108199007074516', '2']) await call.press(keys);
      await received(smtp.mails, 1);
      expect(smtp.mails).to.have.length(1);
      expect(smtp.mails[0].to).to.deep.equal(['chen.jing@example.net']);
      const code = codeIn(smtp.mails[0].body);
      expect(code).to.match(/^\d{6}$/);
      await call.press(code!);
      await call.press('602481');
      expect((await call.press('602481')).text).to.contain('Your password is set');
      expect(t.logs.join('')).not.to.contain(code);
    } finally {
      await t?.close();
      await smtp.close();
    }
  });

  it('when Twilio Messaging is configured, the SMS code is sent through the Messages API with the account credentials', async () => {
    const api = await startMessagingApi();
    let t: TestApp | undefined;
    try {
      const sid = `AC${'1'.repeat(32)}`;
      t = await startTestApp('delivery-sms', {
        env: { TWILIO_ACCOUNT_SID: sid, TWILIO_SMS_FROM: '+15005550006' },
        messenger: (_store, config) => new RealMessenger(config, { twilioHttpClient: api.httpClient }),
      });
      const call = new TestCall(t, '+8613800138000');
      await call.start();
      for (const keys of ['2', '1', '11010519491231002*', '1']) await call.press(keys);
      await received(api.received, 1);
      expect(api.received).to.have.length(1);
      expect(api.received[0].path).to.equal(`/2010-04-01/Accounts/${sid}/Messages.json`);
      expect(api.received[0].auth).to.equal(`Basic ${Buffer.from(`${sid}:${t.config.twilio.authToken}`).toString('base64')}`);
      expect(api.received[0].body).to.include({ To: '+8613800138000', From: '+15005550006' });
      const code = codeIn(api.received[0].body.Body);
      await call.press(code!);
      await call.press('602481');
      expect((await call.press('602481')).text).to.contain('Your password is set');
      await received(api.received, 2);
      expect(api.received[1].body.Body).to.contain('password was changed');
    } finally {
      await t?.close();
      await api.close();
    }
  });

  it('when the SMS provider hangs, the caller still gets the next prompt while the provider is still holding the request', async () => {
    const api = await startMessagingApi();
    let t: TestApp | undefined;
    try {
      t = await startTestApp('delivery-slow', {
        env: { TWILIO_ACCOUNT_SID: `AC${'2'.repeat(32)}`, TWILIO_SMS_FROM: '+15005550006', MESSAGE_SEND_TIMEOUT_MS: '100', CODE_SEND_FLOOR_MS: '300' },
        messenger: (_store, config) => new RealMessenger(config, { twilioHttpClient: api.httpClient }),
      });
      api.state.hold = true;
      const call = new TestCall(t, '+8613800138000');
      await call.start();
      for (const keys of ['2', '1', '11010519491231002*']) await call.press(keys);
      const sent = await call.press('1');
      expect(sent.text).to.contain('If the details match our records, a code has been sent');
      expect(api.received).to.have.length(1);
      expect(t.logs.some((l) => l.includes('"message":"message sent"') && l.includes('"kind":"code"') && l.includes('"delivery":"timeout"'))).to.equal(true);
      api.release();
    } finally {
      await t?.close();
      await api.close();
    }
  });
});
