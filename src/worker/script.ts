// The worker script (worker-script.js in the package): serves requests in a Web Worker or in a
// Node worker thread.
import { serveWorker } from './serve.js';
import type { PortLike } from './serve.js';

const web = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
const port = web ? (globalThis as unknown as PortLike) : ((await import('node:worker_threads')).parentPort as unknown as PortLike);
serveWorker(port);
