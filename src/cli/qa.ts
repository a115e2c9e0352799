import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../app.ts';
import { ConfigError, loadConfig, loadConfigWith } from '../config.ts';
import { connectDatabase } from '../database.ts';
import { createLogger } from '../logging/logger.ts';
import { OutboxMessenger } from '../messaging/messenger.ts';
import type { ReplayTarget } from '../qa/call-replayer.ts';
import { loadCallScript, ScriptError, type CallScript } from '../qa/call-script.ts';
import { flowCoverage, formatCoverage } from '../qa/flow-coverage.ts';
import { generatedScripts } from '../qa/path-generator.ts';
import { formatResult, junitXml, runScripts } from '../qa/script-runner.ts';

const USAGE = `usage: npm run qa -- [scripts or folders…] [--carrier twilio|jambonz] [--target URL] [--auth-token T] [--jambonz-secret S]
                     [--qa-token T] [--public-url URL] [--junit FILE] [--concurrency N] [--generated | --no-generated] [--transcript]
  --carrier jambonz: the calls send jambonz's JSON webhooks under /jambonz, signed with JAMBONZ_WEBHOOK_SECRET
  no scripts: every qa/scripts/*.yaml plus the paths generated from the statechart
  no --target: a hotline started in-process on a fresh embedded database`;

async function scriptFiles(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => null);
    if (info?.isDirectory()) {
      for (const name of (await readdir(arg)).sort()) if (/\.ya?ml$/.test(name)) files.push(path.join(arg, name));
    } else files.push(arg);
  }
  return files;
}

async function inProcessTarget(): Promise<{ target: ReplayTarget; lockAfter: number; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'hotline-qa-'));
  const qaToken = randomBytes(12).toString('hex');
  const config = loadConfigWith({
    NODE_ENV: 'development',
    QA_TOKEN: qaToken,
    DATA_DIR: dataDir,
    MONGODB_DB: `qa_${Date.now()}`,
    PUBLIC_BASE_URL: 'http://hotline.qa',
    TWILIO_SIGNATURE_CHECK: 'true',
    TWILIO_ACCOUNT_SID: '',
    TWILIO_SMS_FROM: '',
    SMTP_URL: '',
    LOG_LEVEL: 'error',
  });
  const logger = createLogger({ level: 'error', format: 'json' });
  process.stdout.write('starting the hotline in-process on a fresh embedded database… ');
  const database = await connectDatabase(config, logger);
  const app = createApp({ config, store: database.store, logger, messenger: new OutboxMessenger(database.store.outbox, config.pinPepper) });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  console.log('ready');
  return {
    target: {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      publicBaseUrl: config.publicBaseUrl,
      authToken: config.twilio.authToken,
      jambonzSecret: config.jambonz.webhookSecret,
      qaToken,
    },
    lockAfter: config.lock.afterFailures,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.store.drop().catch(() => undefined);
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      carrier: { type: 'string', default: 'twilio' },
      'auth-token': { type: 'string' },
      'jambonz-secret': { type: 'string' },
      'qa-token': { type: 'string' },
      'public-url': { type: 'string' },
      junit: { type: 'string' },
      concurrency: { type: 'string', default: '6' },
      generated: { type: 'boolean' },
      'no-generated': { type: 'boolean' },
      transcript: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const carrier = values.carrier;
  if (carrier !== 'twilio' && carrier !== 'jambonz') throw new UsageError(`--carrier must be twilio or jambonz, not ${carrier}`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a whole number ≥ 1');
  const files = await scriptFiles(positionals.length ? positionals : ['qa/scripts']);
  const scripts: CallScript[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      scripts.push(await loadCallScript(file));
    } catch (error) {
      if (error instanceof ScriptError) problems.push(error.message);
      else throw error;
    }
  }
  if (problems.length) {
    for (const p of problems) console.error(`✗ ${p}`);
    console.error(`${problems.length} script(s) cannot be used; nothing was run.`);
    return 1;
  }
  let server: Awaited<ReturnType<typeof inProcessTarget>> | null = null;
  let target: ReplayTarget;
  let lockAfter: number;
  if (values.target) {
    const config = loadConfig();
    target = {
      baseUrl: values.target.replace(/\/+$/, ''),
      publicBaseUrl: values['public-url'] ?? values.target.replace(/\/+$/, ''),
      authToken: values['auth-token'] ?? config.twilio.authToken,
      jambonzSecret: values['jambonz-secret'] ?? config.jambonz.webhookSecret,
      qaToken: values['qa-token'] ?? config.qaToken,
    };
    lockAfter = config.lock.afterFailures;
  } else {
    server = await inProcessTarget();
    target = server.target;
    lockAfter = server.lockAfter;
  }
  target = { ...target, carrier };
  try {
    const withGenerated = values['no-generated'] ? false : (values.generated ?? positionals.length === 0);
    const generated = withGenerated ? generatedScripts({ lockAfterFailures: lockAfter }) : [];
    const all = [...scripts, ...generated];
    console.log(`running ${scripts.length} script(s)${generated.length ? ` and ${generated.length} generated path(s)` : ''} against ${target.baseUrl} through ${carrier}, ${concurrency} at a time`);
    const results = await runScripts(all, target, {
      concurrency,
      onResult: (result, done, total) => {
        const shown = formatResult(result, { transcript: values.transcript });
        console.log(`[${done}/${total}] ${shown}`);
      },
    });
    const failed = results.filter((r) => !r.passed);
    console.log('');
    console.log(formatCoverage(flowCoverage(results.flatMap((r) => r.timelines))));
    console.log('');
    console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
    if (failed.length) console.log(`failed:\n${failed.map((r) => `  ${r.failure?.split('\n')[0]}`).join('\n')}`);
    if (values.junit) {
      await writeFile(values.junit, junitXml(results));
      console.log(`JUnit XML written to ${values.junit}`);
    }
    return failed.length ? 1 : 0;
  } finally {
    await server?.stop();
  }
}

class UsageError extends Error {}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') console.error(`${(error as Error).message}\n${USAGE}`);
    else if (error instanceof ConfigError) console.error(error.message);
    else console.error(`qa failed: ${(error as Error).message}`);
    process.exit(2);
  });
