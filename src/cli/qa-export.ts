import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { connectDatabase } from '../database.ts';
import { createLogger } from '../logging/logger.ts';
import { timelineToScript } from '../qa/call-export.ts';
import { readCallTimeline, type CallTimelineView } from '../services/call-timeline.service.ts';
import { isCallId } from '../domain/call-id.ts';

const USAGE = `usage: npm run qa:export -- <CallSid> [--target URL --qa-token T] [--out FILE]
  reads the call's timeline from the database (MONGODB_URI, or the embedded one: stop npm start first)
  or from a running hotline's QA route (--target), and writes it as a call script`;

async function fromTarget(target: string, qaToken: string | undefined, callSid: string): Promise<CallTimelineView | null> {
  if (!qaToken) throw new ExportError('--target needs the QA token (--qa-token or QA_TOKEN)');
  const res = await fetch(`${target.replace(/\/+$/, '')}/qa/calls/${encodeURIComponent(callSid)}/timeline`, { headers: { authorization: `Bearer ${qaToken}` } });
  if (res.status === 404) return null;
  if (!res.ok) throw new ExportError(`the target answered HTTP ${res.status}`);
  return (await res.json()) as CallTimelineView;
}

class ExportError extends Error {}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: 'string' }, 'qa-token': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 64;
  }
  const callSid = positionals[0];
  if (!isCallId(callSid)) throw new ExportError(`${callSid}: not a call id (a Twilio CallSid CA…, or a jambonz call_sid)`);
  const config = loadConfig();
  let timeline: CallTimelineView | null;
  if (values.target) timeline = await fromTarget(values.target, values['qa-token'] ?? config.qaToken, callSid);
  else {
    const database = await connectDatabase(config, createLogger({ ...config.log, level: 'warn' }));
    try {
      timeline = await readCallTimeline(database.store, callSid);
    } finally {
      await database.close();
    }
  }
  if (!timeline) throw new ExportError(`no call ${callSid} in the timeline`);
  const yaml = timelineToScript(timeline);
  if (values.out) {
    await writeFile(values.out, yaml);
    console.error(`written to ${values.out}; fill in the <PLACEHOLDERS> and the citizens before replaying`);
  } else process.stdout.write(yaml);
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ExportError || error instanceof ConfigError) console.error(error.message);
    else console.error(`qa:export failed: ${(error as Error).message}`);
    process.exit(1);
  });
