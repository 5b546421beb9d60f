// The worker side of parallel inference (parallel.ts): scripts/build-worker.mjs bundles this
// module with esbuild into parallel-worker-source.ts, started from a data: URL (Node) or a Blob
// URL (browsers). A worker keeps the data sets it is sent (by key) until told to drop them, and
// answers each job message with its result, with progress messages in between. Importing this
// module runs nothing; runInferWorker does.
import { enableWasmLanes } from '../blocked-wasm.js';
import { runInferJob } from './parallel-jobs.js';
import type { PoolRequest, WorkerData, WorkerMessage } from './parallel-jobs.js';

interface Port {
  post(m: WorkerMessage): void;
  onMessage(f: (m: unknown) => void): void;
}

/** Serve requests on a port: data sets to keep or drop, and jobs on a kept data set. */
export function serveInferJobs(port: Port): void {
  const sets = new Map<number, { data: WorkerData; cache: Map<string, unknown> }>();
  port.onMessage((m) => {
    const req = m as PoolRequest;
    if ('data' in req) {
      sets.set(req.dataset, { data: req.data, cache: new Map() });
      return;
    }
    if ('drop' in req) {
      sets.delete(req.drop);
      return;
    }
    const { id, dataset, job } = req;
    try {
      const set = sets.get(dataset);
      if (!set) throw new Error(`inference worker: no data set ${dataset}`);
      const result = runInferJob(set.data, job, set.cache, (done) => port.post({ id, progress: done }));
      port.post({ id, result });
    } catch (e) {
      port.post({ id, error: e instanceof Error ? e.message : String(e) });
    }
  });
}

/** The worker's entry (the bundle calls it): Node's parentPort, or the worker's global scope in browsers. */
export async function runInferWorker(): Promise<void> {
  enableWasmLanes(); // the erasure machine's SIMD passes where they compile (same results)
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('inference worker: not started as a worker thread');
    serveInferJobs({ post: (m) => parentPort.postMessage(m), onMessage: (f) => parentPort.on('message', f) });
    return;
  }
  const scope = globalThis as unknown as { addEventListener(t: 'message', f: (e: { data: unknown }) => void): void; postMessage(m: unknown): void };
  serveInferJobs({ post: (m) => scope.postMessage(m), onMessage: (f) => scope.addEventListener('message', (e) => f(e.data)) });
}
