// The worker side of parallel inference (parallel.ts): scripts/build-worker.mjs bundles this
// module with esbuild into parallel-worker-source.ts, started from a data: URL (Node) or a Blob
// URL (browsers). The first message is the data (kept for every later job); then each job
// message is answered with its result, with progress messages in between. Importing this module
// runs nothing; runInferWorker does.
import { enableWasmLanes } from '../blocked-wasm.js';
import { runInferJob } from './parallel-jobs.js';
import type { InferJob, WorkerData, WorkerMessage } from './parallel-jobs.js';

interface Port {
  post(m: WorkerMessage): void;
  onMessage(f: (m: unknown) => void): void;
}

/** Serve jobs on a port: the first message is the data, then one answer per job. */
export function serveInferJobs(port: Port): void {
  let data: WorkerData | null = null;
  const cache = new Map<string, unknown>();
  port.onMessage((m) => {
    if (data === null) {
      data = m as WorkerData;
      return;
    }
    const { id, job } = m as { id: number; job: InferJob };
    try {
      const result = runInferJob(data, job, cache, (done) => port.post({ id, progress: done }));
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
