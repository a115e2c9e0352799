import { machineDescription } from './bench-support.ts';
import { hashPin, verifyPin, ARGON2_OPTIONS } from '../src/security/secrets.ts';
import { Semaphore } from '../src/security/semaphore.ts';

const pepper = 'bench-pepper-0123456789abcdef';
const count = Number(process.argv[2] ?? 40);

async function timed(label: string, concurrency: number, job: () => Promise<unknown>): Promise<void> {
  const gate = new Semaphore(concurrency);
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: count }, () => gate.run(job)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(34)} concurrency ${concurrency}: ${(count / seconds).toFixed(1).padStart(6)} /s, ${((seconds / count) * 1000 * concurrency).toFixed(1).padStart(6)} ms each`);
}

console.log(`Argon2id m=${ARGON2_OPTIONS.memoryCost} KiB t=${ARGON2_OPTIONS.timeCost} p=${ARGON2_OPTIONS.parallelism}; ${count} operations per row`);
console.log(`machine: ${machineDescription()}`);
const hash = await hashPin('602481', pepper);
await timed('hash', 1, () => hashPin('602481', pepper));
await timed('hash', 2, () => hashPin('602481', pepper));
await timed('verify', 1, () => verifyPin(hash, '602481', pepper));
await timed('verify', 2, () => verifyPin(hash, '602481', pepper));
