import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Percentile (nearest rank) of an ascending-sorted list; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** This machine as the benchmarks print it: cores, CPU model, memory, Node version. */
export function machineDescription(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** A loopback port free at the moment of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) and resident memory of a local process, read from /proc (Linux). */
export async function processUsage(pid: number): Promise<{ cpuSeconds: number; rssBytes: number } | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / 100, rssBytes: rssKb * 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's peak resident memory while a phase runs. */
export function watchMemory(pid: number | undefined, everyMs = 250): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    if (pid) void processUsage(pid).then((u) => (peak = Math.max(peak, u?.rssBytes ?? 0)));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** A child process started for the benchmark, with the first line that matched `ready`. */
export interface Spawned {
  child: ChildProcess;
  match: RegExpExecArray;
  /** Where its standard output and error go. */
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts a child process and waits for its output to match `ready`. The output goes to a file, as a deployment's
 * logs go to a collector: the load generator never reads the log lines of a running app, so their cost is the
 * app's alone (writing), not the benchmark's.
 */
export async function spawnUntil(command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 60_000): Promise<Spawned> {
  const logFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'hotline-bench-log-')), 'output.log');
  const out = await open(logFile, 'w');
  const child = spawn(command, args, { env, stdio: ['ignore', out.fd, out.fd] });
  await out.close();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = async () => (await readFile(logFile, 'utf8').catch(() => '')).slice(-2000);
  const deadline = Date.now() + timeoutMs;
  let match: RegExpExecArray | null = null;
  while (!match) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode ?? child.signalCode}:\n${await tail()}`);
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not become ready:\n${await tail()}`);
    match = ready.exec(await readFile(logFile, 'utf8').catch(() => ''));
    if (!match) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    child,
    match,
    logFile,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(path.dirname(logFile), { recursive: true, force: true });
    },
  };
}

/** Reads one sample (name plus exact labels) from Prometheus text; 0 when absent. */
export function promSample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (got === wanted) total += Number(match[3]);
  }
  return total;
}

/** Sums every sample of a metric whatever its labels. */
export function promTotal(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (match && match[1] === name) total += Number(match[2]);
  }
  return total;
}
