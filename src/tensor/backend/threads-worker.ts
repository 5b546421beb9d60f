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
  /** Milliseconds to spin on the sequence word after a job before sleeping in Atomics.wait (ThreadsOptions.spinMs). */
  spinMs: number;
}

type RunPlan = (plan: number, nOps: number, r0: number, r1: number, bufA: number, bufB: number, scratch: number) => void;

/** Loads of a control word between two clock reads while spinning (a clock read costs more than a load). */
export const SPIN_CHECK = 64;
/**
 * A gap this long (ms) between two clock reads of a spin means the thread lost its core (other
 * processes or the hypervisor want it): spinning then only takes time from the threads that do
 * the work, so it stops for SPIN_BACKOFF_MS.
 */
export const PREEMPTED_MS = 0.05, SPIN_BACKOFF_MS = 50;

/**
 * Bounded spinning, one per thread. A job's next step (the next GEMM of a training step) usually
 * comes within a few µs to a hundred µs, and a futex wake costs tens of µs, as much as a small
 * GEMM: spinning `ms` milliseconds catches it, while the bound keeps an idle backend from paying
 * for it and the preemption check keeps a loaded machine from paying for it.
 */
export class Spinner {
  private offUntil = -Infinity;
  /** `now`: the clock in ms (tests pass their own). */
  constructor(readonly ms: number, private readonly now: () => number = () => performance.now()) {}

  /** Spin until `ready()` or the budget is spent; returns ready(). */
  until(ready: () => boolean): boolean {
    if (ready()) return true;
    if (!(this.ms > 0)) return false;
    let last = this.now();
    if (last < this.offUntil) return false;
    const end = last + this.ms;
    for (;;) {
      for (let i = 0; i < SPIN_CHECK; i++) if (ready()) return true;
      const now = this.now();
      if (now - last > PREEMPTED_MS) {
        this.offUntil = now + SPIN_BACKOFF_MS;
        return ready();
      }
      if (now >= end) return ready();
      last = now;
    }
  }
}

/**
 * Take chunks of jobs until told to exit (nChunks = −1). `ctl` is the control block (CTL slots);
 * `ready` is called once the worker waits for its first job.
 */
export function serveJobs(init: WorkerInit, ready: () => void): void {
  const { module, memory, bufs } = init;
  const spinner = new Spinner(init.spinMs);
  const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
  const runPlan = inst.exports['runPlan'];
  if (typeof runPlan !== 'function') throw new Error('threads worker: the module exports no runPlan');
  const run = runPlan as RunPlan;
  const ctl = new Int32Array(memory.buffer, 0, CTL.size);
  let seen = Atomics.load(ctl, CTL.seq);
  ready();
  for (;;) {
    if (!spinner.until(() => Atomics.load(ctl, CTL.seq) !== seen)) Atomics.wait(ctl, CTL.seq, seen);
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
