// The worker side of the threads backend. scripts/build-worker.mjs bundles this module with
// esbuild into one ES module text (threads-worker-source.ts), which threads.ts starts from a
// data: URL in Node (worker_threads) and a Blob URL in browsers, so it travels inside any bundle.
// The worker instantiates the same compiled module over the shared memory, then loops: wait for
// a new job sequence number, take row chunks of that job (op records, wasm/records.ts) until
// none is left, counting each one done. Importing this module runs nothing; runWorker does.
import { CTL } from './wasm/memory.js';
import { RECORD_BYTES } from './wasm/records.js';

/** The first message to a worker: the compiled module, the shared memory and its pack buffers. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  bufs: { bufA: number; bufB: number; scratch: number };
}

type RunPlan = (plan: number, nOps: number, r0: number, r1: number, bufA: number, bufB: number, scratch: number) => void;

/**
 * Take chunks of jobs until told to exit (nChunks = −1). `ctl` is the control block (CTL slots);
 * `ready` is called once the worker waits for its first job.
 */
export function serveJobs(init: WorkerInit, ready: () => void): void {
  const { module, memory, bufs } = init;
  const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
  const runPlan = inst.exports['runPlan'];
  if (typeof runPlan !== 'function') throw new Error('threads worker: the module exports no runPlan');
  const run = runPlan as RunPlan;
  const ctl = new Int32Array(memory.buffer, 0, CTL.size);
  let seen = Atomics.load(ctl, CTL.seq);
  ready();
  for (;;) {
    Atomics.wait(ctl, CTL.seq, seen);
    seen = Atomics.load(ctl, CTL.seq);
    // Atomic reads: the caller closes the chunk word before it writes a job's arguments, so
    // arguments read while a newer job is being published never pass the tag check below.
    const plan = Atomics.load(ctl, CTL.plan), nOps = Atomics.load(ctl, CTL.nOps), rows = Atomics.load(ctl, CTL.rows);
    const chunk = Atomics.load(ctl, CTL.chunk), nChunks = Atomics.load(ctl, CTL.nChunks);
    const perRecord = Atomics.load(ctl, CTL.perRecord) === 1;
    if (nChunks < 0) return;
    const tag = seen & 0xffff;
    // Take chunks while the chunk word carries this job's tag (the args read above belong to it then).
    for (;;) {
      const v = Atomics.load(ctl, CTL.word);
      if ((v >>> 16) !== tag) break;
      const c = v & 0xffff;
      if (c >= nChunks) break;
      if (Atomics.compareExchange(ctl, CTL.word, v, v + 1) !== v) continue;
      if (perRecord) run(plan + c * RECORD_BYTES, 1, 0, rows, bufs.bufA, bufs.bufB, bufs.scratch);
      else {
        const r0 = c * chunk, r1 = Math.min(rows, r0 + chunk);
        if (r0 < r1) run(plan, nOps, r0, r1, bufs.bufA, bufs.bufB, bufs.scratch);
      }
      Atomics.add(ctl, CTL.done, 1);
      Atomics.notify(ctl, CTL.done);
    }
  }
}

/**
 * The worker's entry (the bundle calls it): platform-neutral — in Node the port is worker_threads'
 * parentPort, in a browser the worker's global scope. Answers 'ready', then talks only through Atomics.
 */
export async function runWorker(): Promise<void> {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('threads worker: not started as a worker thread');
    const init = await new Promise<WorkerInit>((resolve) => parentPort.once('message', resolve));
    serveJobs(init, () => parentPort.postMessage('ready'));
    return;
  }
  const scope = globalThis as unknown as {
    addEventListener(type: 'message', f: (e: { data: WorkerInit }) => void, o: { once: boolean }): void;
    postMessage(m: unknown): void; close(): void;
  };
  const init = await new Promise<WorkerInit>((resolve) => scope.addEventListener('message', (e) => resolve(e.data), { once: true }));
  serveJobs(init, () => scope.postMessage('ready'));
  scope.close();
}
