import nodemailer, { type Transporter } from 'nodemailer';
import twilio from 'twilio';
import type { Config } from '../config.ts';
import { maskAddress } from '../domain/masking.ts';
import type { HotlineMetrics } from '../observability/hotline.metrics.ts';
import { keyedHash, sealText } from '../security/secrets.ts';
import type { OutboxRepository } from '../storage/outbox.repository.ts';

/** One text message or email to a citizen. */
export interface OutgoingMessage {
  channel: 'sms' | 'email';
  to: string;
  subject: string;
  body: string;
}

/** Sends messages to citizens. */
export interface Messenger {
  /** Delivers (or queues) one message; rejects when delivery failed. */
  send(message: OutgoingMessage): Promise<void>;
}

/** The look-up key the outbox files a recipient under (phone numbers and addresses normalised). */
export function recipientKey(pepper: string, address: string): string {
  const normalised = address.includes('@') ? address.trim().toLowerCase() : address.replace(/[^0-9+]/g, '');
  return keyedHash(pepper, 'recipient', normalised);
}

/** Keeps messages in the local outbox (sealed) so tests, QA and the terminal phone can read them. */
export class OutboxMessenger implements Messenger {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly pepper: string,
  ) {}

  async send(message: OutgoingMessage): Promise<void> {
    await this.outbox.add({
      toHash: recipientKey(this.pepper, message.to),
      toMasked: maskAddress(message.to),
      channel: message.channel,
      sealedBody: sealText(this.pepper, message.body),
      createdAt: new Date(),
    });
  }
}

/** Sends SMS through Twilio's Messaging API and email through SMTP; a channel not configured goes to `fallback` (the outbox). */
export class RealMessenger implements Messenger {
  private readonly sms?: ReturnType<typeof twilio>;
  private readonly mail?: Transporter;

  constructor(
    private readonly config: Config,
    private readonly options: { twilioHttpClient?: InstanceType<typeof twilio.RequestClient>; fallback?: Messenger } = {},
  ) {
    if (config.twilio.accountSid) this.sms = twilio(config.twilio.accountSid, config.twilio.authToken, { httpClient: options.twilioHttpClient });
    if (config.email.smtpUrl) this.mail = nodemailer.createTransport(config.email.smtpUrl);
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (message.channel === 'sms') {
      if (!this.sms || !this.config.twilio.smsFrom) {
        if (this.options.fallback) return this.options.fallback.send(message);
        throw new Error('sms delivery not configured');
      }
      await this.sms.messages.create({ to: message.to, from: this.config.twilio.smsFrom, body: message.body });
      return;
    }
    if (!this.mail) {
      if (this.options.fallback) return this.options.fallback.send(message);
      throw new Error('email delivery not configured');
    }
    await this.mail.sendMail({ to: message.to, from: this.config.email.from, subject: message.subject, text: message.body });
  }
}

/** Wraps a messenger so every delivery's result (sent or failed) is counted by channel. */
export function meteredMessenger(inner: Messenger, metrics: HotlineMetrics): Messenger {
  return {
    async send(message) {
      try {
        await inner.send(message);
        metrics.delivery(message.channel, 'sent');
      } catch (error) {
        metrics.delivery(message.channel, 'failed');
        throw error;
      }
    },
  };
}

const inFlight = new Set<Promise<unknown>>();

/** Waits for a send at most `ms` (a slow provider must not hold up a turn); later sends are tracked and late failures reported. */
export async function sendWithin(
  messenger: Messenger,
  message: OutgoingMessage,
  ms: number,
  onLateFailure: (error: unknown) => void = () => undefined,
): Promise<'sent' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const sending = messenger.send(message);
  inFlight.add(sending);
  sending.then(
    () => inFlight.delete(sending),
    (error: unknown) => {
      inFlight.delete(sending);
      if (timedOut) onLateFailure(error);
    },
  );
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve('timeout');
    }, ms);
  });
  try {
    return await Promise.race([sending.then(() => 'sent' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (at most `ms`) for messages still being delivered, so a draining server does not drop a code it announced. */
export async function drainDeliveries(ms: number): Promise<number> {
  const pending = [...inFlight];
  if (pending.length === 0) return 0;
  await Promise.race([Promise.allSettled(pending), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
  return pending.length;
}
