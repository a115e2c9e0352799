import { Worker } from 'node:worker_threads';
import type { ElkNode } from 'elkjs/lib/elk.bundled.js';

/**
 * The worker's code: ELK (its bundled build, plain CommonJS) answering one layout per message. ELK's layered algorithm
 * takes from a few hundred milliseconds to seconds for the call flow, all of it CPU; in a worker it never holds up the
 * event loop that answers callers' webhooks.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const ELK = createRequire(workerData.from)('elkjs/lib/elk.bundled.js');
const elk = new ELK();
parentPort.on('message', ({ id, graph }) => {
  elk.layout(graph).then(
    (result) => parentPort.postMessage({ id, result }),
    (error) => parentPort.postMessage({ id, error: String((error && error.message) || error) }),
  );
});
`;

const CACHE_SIZE = 32;

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (node: ElkNode) => void; reject: (error: Error) => void }>();
const cache = new Map<string, ElkNode>();

function failAll(error: Error): void {
  for (const { reject } of pending.values()) reject(error);
  pending.clear();
  worker = null;
}

function theWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { from: import.meta.url }, execArgv: [] });
  started.on('message', (message: { id: number; result?: ElkNode; error?: string }) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (pending.size === 0) started.unref();
    if (message.error !== undefined) waiting.reject(new Error(`flow layout failed: ${message.error}`));
    else waiting.resolve(message.result as ElkNode);
  });
  started.on('error', (error) => failAll(error));
  started.on('exit', (code) => failAll(new Error(`flow layout worker exited (${code})`)));
  started.unref();
  worker = started;
  return started;
}

/**
 * Lays out an ELK graph in a worker thread (one for the process, started on first use, holding the process open only
 * while a layout is pending); the same graph again comes from a small cache.
 */
export async function layoutOffThread(graph: ElkNode): Promise<ElkNode> {
  const key = JSON.stringify(graph);
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached);
    return structuredClone(cached);
  }
  const id = (nextId += 1);
  const result = await new Promise<ElkNode>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    const w = theWorker();
    w.ref();
    w.postMessage({ id, graph });
  });
  cache.set(key, result);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return structuredClone(result);
}
