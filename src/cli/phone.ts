import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { ReplayError, type ReplayTarget } from '../qa/call-replayer.ts';
import { placeCall } from '../qa/place-call.ts';

const USAGE = `usage: npm run call -- [--carrier twilio|jambonz] [--target URL] [--from NUMBER] [--watch ADDRESS]… [--auth-token T]
                       [--jambonz-secret S] [--qa-token T] [--public-url URL]
  rings the running hotline (http://localhost:PORT by default) as Twilio does, or as jambonz does (--carrier jambonz:
  JSON webhooks under /jambonz signed with JAMBONZ_WEBHOOK_SECRET); type keys and Enter (digits, * and #),
  Enter alone to stay silent, h to hang up. Codes sent to the caller's number (and --watch addresses) are shown.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      carrier: { type: 'string', default: 'twilio' },
      'jambonz-secret': { type: 'string' },
      target: { type: 'string' },
      from: { type: 'string', default: '+8613800138000' },
      watch: { type: 'string', multiple: true },
      'auth-token': { type: 'string' },
      'qa-token': { type: 'string' },
      'public-url': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.carrier !== 'twilio' && values.carrier !== 'jambonz') throw new ReplayError(`--carrier must be twilio or jambonz, not ${values.carrier}\n${USAGE}`);
  const config = loadConfig();
  const baseUrl = (values.target ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  const target: ReplayTarget = {
    baseUrl,
    publicBaseUrl: values['public-url'] ?? (values.target ? baseUrl : config.publicBaseUrl),
    authToken: values['auth-token'] ?? config.twilio.authToken,
    carrier: values.carrier,
    jambonzSecret: values['jambonz-secret'] ?? config.jambonz.webhookSecret,
    qaToken: values['qa-token'] ?? config.qaToken,
  };
  const call = placeCall(target, values.from, {
    onLine: (line) => {
      if (line.who === 'line' && line.text.startsWith('(')) console.log(`  · ${line.text}`);
      else if (line.who === 'line') console.log(`  🔊 ${line.text.replace(/^[\w.()-]+(?: \[[\w-]+\])? {2}/, '')}`);
      else if (line.who === 'network') console.log(`  · ${line.text}`);
    },
  });
  const watched = [values.from, ...(values.watch ?? [])];
  const seen = new Set<string>();
  const pollOutbox = async (announce: boolean) => {
    if (!target.qaToken) return;
    for (const address of watched) {
      const res = await fetch(`${baseUrl}/qa/outbox?to=${encodeURIComponent(address)}`, { headers: { authorization: `Bearer ${target.qaToken}` } }).catch(() => null);
      if (!res?.ok) continue;
      const body = (await res.json()) as { messages: Array<{ channel: string; at: string; body: string }> };
      for (const m of [...body.messages].reverse()) {
        const key = `${address}|${m.at}|${m.body}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (announce) console.log(`  📩 ${m.channel} to ${address}: ${m.body}`);
      }
    }
  };
  await pollOutbox(false);
  if (!target.qaToken) console.log('  (no QA token: codes sent by SMS or email are not shown; set QA_TOKEN or --qa-token)');
  const timer = setInterval(() => void pollOutbox(true), 700);
  const input = readline.createInterface({ input: process.stdin, terminal: false });
  const lines = input[Symbol.asyncIterator]();
  try {
    console.log(`☎  calling ${baseUrl} from ${values.from} through ${values.carrier}`);
    await call.start();
    while (!call.ended) {
      process.stdout.write('keys> ');
      const next = await lines.next();
      if (next.done) {
        console.log('(input closed: hanging up)');
        await call.hangup();
        break;
      }
      const typed = next.value.trim();
      if (!process.stdin.isTTY) console.log(typed || '(silence)');
      if (typed === 'h') await call.hangup();
      else if (typed === '') await call.silence();
      else if (/^[0-9*#]+$/.test(typed)) await call.press(typed);
      else console.log('  keys are digits, * and #; Enter alone stays silent, h hangs up');
      await pollOutbox(true);
    }
    await pollOutbox(true);
    console.log('☎  call ended');
    return 0;
  } finally {
    clearInterval(timer);
    input.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof ReplayError) console.error(error.message);
    else if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') console.error('nothing answers there: start the hotline with npm start (or give --target)');
    else console.error(`call failed: ${(error as Error).message}`);
    process.exit(1);
  });
