import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedDatabase } from '../src/storage/embedded-database.ts';
import { processUsage, spawnUntil } from './bench-support.ts';
import { menuTurns } from './bench-journey.ts';
import { monotonicUs, printProfile } from './cpu-profile-summary.ts';
import { stat } from 'node:fs/promises';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'prof-'));
const profDir = process.argv[2] ?? '/tmp/prof';
const db = await startEmbeddedDatabase({ dataDir, cacheDir: path.resolve('.cache') });
const app = await spawnUntil(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--import', 'tsx', 'src/server.ts'], {
  ...process.env, NODE_ENV: 'development', PORT: '0', MONGODB_URI: db.uri, MONGODB_DB: 'prof', LOAD_DEMO_DATA: 'false',
  PUBLIC_BASE_URL: 'http://bench.hotline.local', TWILIO_AUTH_TOKEN: 'bench-auth-token-0123456789', PIN_PEPPER: 'bench-pepper-0123456789abcdef', QA_TOKEN: 'q', LOG_LEVEL: 'info', LOG_FORMAT: 'json',
}, /"message":"hotline listening".*?"port":(\d+)|"port":(\d+).*?"message":"hotline listening"/);
const baseUrl = `http://127.0.0.1:${app.match[1] ?? app.match[2]}`;
const target = { baseUrl, publicBaseUrl: 'http://bench.hotline.local', authToken: 'bench-auth-token-0123456789', qaToken: 'q' };
await menuTurns(target, 20, 3000);
const u0 = await processUsage(app.child.pid!);
const fromUs = monotonicUs();
const lat = await menuTurns(target, Number(process.argv[3] ?? 50), 15000);
const toUs = monotonicUs();
const u1 = await processUsage(app.child.pid!);
console.log(`turns ${lat.length}, ${(lat.length / 15).toFixed(1)}/s, process CPU per turn ${(((u1!.cpuSeconds - u0!.cpuSeconds) * 1000) / lat.length).toFixed(2)} ms`);
await app.stop();
await db.stop();
const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(path.join(profDir, f))).size })));
const main = sized.sort((a, b) => b.size - a.size)[0].f;
await printProfile(path.join(profDir, main), lat.length, { fromUs, toUs });
