// The worker side of the threads backend, as an ES module source text started through a
// data: URL in Node and a Blob URL in browsers (so it travels inside any bundle). It instantiates the same compiled module over
// the shared memory, then loops: wait for a new job sequence number, take row chunks of that
// job (a plan of op records, see wasm/plan.ts) until none is left, counting each one done.

/**
 * Int32 slots of the control block at byte 0 of the shared memory. A job runs `nOps` records at
 * `plan` in `nChunks` chunks: chunk c is rows [c·chunk, (c+1)·chunk) of every record, or, when
 * perRecord = 1, record c alone on all rows (a GEMM split by columns: one record per column block).
 */
export const CTL = { seq: 0, done: 1, plan: 2, nOps: 3, rows: 4, chunk: 5, nChunks: 6, perRecord: 7, word: 8, size: 9 } as const;
/** Byte offset, inside the control block, of the records that a plain GEMM call uses. */
export const GEMM_RECORD_AT = 256;

import { RECORD_BYTES } from './wasm/plan.js';

// Platform-neutral: in Node the port is worker_threads' parentPort, in a browser the worker's
// global scope. The first message carries the compiled module, the shared memory and this
// worker's pack buffers; the worker answers 'ready' and then only talks through Atomics.
export const WORKER_SOURCE = `
const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node);
const port = isNode ? (await import('node:worker_threads')).parentPort : self;
const init = await new Promise((resolve) => {
  if (isNode) port.once('message', resolve);
  else self.addEventListener('message', (e) => resolve(e.data), { once: true });
});
const { module, memory, bufs } = init;
const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
const runPlan = inst.exports.runPlan;
const ctl = new Int32Array(memory.buffer, 0, ${CTL.size});
let seen = Atomics.load(ctl, ${CTL.seq});
port.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, ${CTL.seq}, seen);
  seen = Atomics.load(ctl, ${CTL.seq});
  // Atomic reads: the caller closes the chunk word before it writes a job's arguments, so
  // arguments read while a newer job is being published never pass the tag check below.
  const plan = Atomics.load(ctl, ${CTL.plan}), nOps = Atomics.load(ctl, ${CTL.nOps}), rows = Atomics.load(ctl, ${CTL.rows});
  const chunk = Atomics.load(ctl, ${CTL.chunk}), nChunks = Atomics.load(ctl, ${CTL.nChunks});
  const perRecord = Atomics.load(ctl, ${CTL.perRecord}) === 1;
  if (nChunks < 0) break;
  const tag = seen & 0xffff;
  // Take chunks while the chunk word carries this job's tag (the args read above belong to it then).
  for (;;) {
    const v = Atomics.load(ctl, ${CTL.word});
    if ((v >>> 16) !== tag) break;
    const c = v & 0xffff;
    if (c >= nChunks) break;
    if (Atomics.compareExchange(ctl, ${CTL.word}, v, v + 1) !== v) continue;
    if (perRecord) runPlan(plan + c * ${RECORD_BYTES}, 1, 0, rows, bufs.bufA, bufs.bufB, bufs.scratch);
    else {
      const r0 = c * chunk, r1 = Math.min(rows, r0 + chunk);
      if (r0 < r1) runPlan(plan, nOps, r0, r1, bufs.bufA, bufs.bufB, bufs.scratch);
    }
    Atomics.add(ctl, ${CTL.done}, 1);
    Atomics.notify(ctl, ${CTL.done});
  }
}
if (!isNode) self.close();
`;
