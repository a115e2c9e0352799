import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ferretDbBinaryPath } from '../src/storage/embedded-database.ts';
import { freePort, processUsage, spawnUntil } from './bench-support.ts';

const v = {"callSid":"CAcc473355f94b65d25aa1c423654b3510","step":2,"at":"2026-03-01T08:00:00.000Z","event":"DIGITS","input":"*","from":"mainMenu","to":"mainMenu","durationMs":0,"snapshot":{"status":"active","value":"mainMenu","historyValue":{},"context":{"language":"en-US","languageChosen":true,"notice":[],"noInput":0,"invalid":0,"purpose":null,"idHash":null,"idMasked":null,"citizenId":null,"channel":null,"verifiedBy":null,"failedVerifications":0,"newPinAttempts":0,"firstPinDigest":null,"idChecksFailed":0,"idEnding":null,"place":"mainMenu","agentReason":null,"agentLine":null},"children":{}},"view":{"state":"mainMenu","meta":{"prompts":["main.menu"],"gather":{"kind":"menu","timer":"menu"}},"notice":[],"language":"en-US","bilingual":false},"call":{"startedAt":"2026-03-01T08:00:00.000Z","callerMasked":"+86 138****8000","callerHash":"b2cd465cd0af1b0700d49b32d818db823ebfe688f006b74a85570535fe173056","callerLast4":"8000","to":"+8610123456","carrier":"twilio"},"language":"en-US","outcome":null,"ended":false,"idHash":null,"idMasked":null};
const t = {"log":[{"at":"2026-12-02T08:20:49.447Z","level":"info","message":"turn","fields":"{\"step\":2,\"event\":\"DIGITS\",\"input\":\"*\",\"fromState\":\"mainMenu\",\"toState\":\"mainMenu\",\"prompts\":[\"main.menu\"],\"durationMs\":0}"}],"path":["mainMenu"],"prompts":["main.menu"]};
const shrunkV = JSON.parse(JSON.stringify(v));
for (const [k, val] of Object.entries(shrunkV.snapshot.context)) if (val === null) delete shrunkV.snapshot.context[k];
delete shrunkV.view;
const variants: Record<string, { doc: () => Record<string, unknown>; projection?: Record<string, 0> }> = {
  tiny: { doc: () => ({ state: 'next' }) },
  plain1600: { doc: () => ({ v: 'x'.repeat(1600) }) },
  plainVT: { doc: () => ({ v: 'x'.repeat(1230), t: 'x'.repeat(330) }) },
  realV: { doc: () => ({ v: JSON.stringify(v) }) },
  realNoProj: { doc: () => ({ v: JSON.stringify(v), t: JSON.stringify(t) }) },
};
const dir = await mkdtemp(path.join(os.tmpdir(), 'zz-doc-'));
const port = await freePort();
const binary = await ferretDbBinaryPath(path.resolve('.cache'));
const server = await spawnUntil(binary, ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', `--state-dir=${dir}`, '--debug-addr=-', '--log-level=info'], process.env, /Listening on/i);
const client = new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${port}/`, { maxPoolSize: 20 });
await client.connect();
const results: Record<string, number[]> = {};
for (let round = 0; round < 3; round++) {
  for (const [name, variant] of Object.entries(variants)) {
    const coll = client.db('zz').collection<any>(`c_${name}_${round}`);
    await coll.insertOne({ _id: 'warm', ...variant.doc() });
    const before = (await processUsage(server.child.pid!))!.cpuSeconds;
    const deadline = performance.now() + 6000;
    let ops = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      const sid = `CA${randomBytes(16).toString('hex')}`;
      for (let step = 0; performance.now() < deadline; step++) {
        if (step > 0) await coll.findOne({ _id: `${sid}:${step - 1}` }, variant.projection ? { projection: variant.projection } : {});
        await coll.insertOne({ _id: `${sid}:${step}`, ...variant.doc() });
        ops++;
      }
    }));
    const after = (await processUsage(server.child.pid!))!.cpuSeconds;
    (results[name] ??= []).push(((after - before) * 1000) / ops);
    console.log(round, name, ops, (((after - before) * 1000) / ops).toFixed(3), 'ms DB CPU per read+insert');
  }
}
for (const [name, r] of Object.entries(results)) console.log(name, r.map((x) => x.toFixed(3)).join(' '), 'mean', (r.reduce((a, b) => a + b) / r.length).toFixed(3));
await client.close();
await server.stop();
await rm(dir, { recursive: true, force: true });
