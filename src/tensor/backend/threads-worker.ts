// The worker side of the threads backend, as an ES module source text started through a
// data: URL (so it travels inside any bundle). It instantiates the same compiled GEMM module
// over the shared memory, then loops: wait for a new job sequence number, take row chunks of
// that job until none is left, counting each one done.

/** Int32 slots of the control block at byte 0 of the shared memory. */
export const CTL = { seq: 0, done: 1, args: 2, alpha: 14, beta: 15, word: 16, size: 17 } as const;

export const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
const { module, memory, t, bufs } = workerData;
const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
const gemm = inst.exports.gemm;
const ctl = new Int32Array(memory.buffer, 0, ${CTL.size});
const ctlF = new Float32Array(memory.buffer, 0, ${CTL.size});
let seen = Atomics.load(ctl, ${CTL.seq});
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, ${CTL.seq}, seen);
  seen = Atomics.load(ctl, ${CTL.seq});
  const a = ${CTL.args};
  const offA = ctl[a], sIa = ctl[a + 1], sPa = ctl[a + 2], offB = ctl[a + 3], sPb = ctl[a + 4], sJb = ctl[a + 5];
  const offC = ctl[a + 6], m = ctl[a + 7], n = ctl[a + 8], k = ctl[a + 9], chunk = ctl[a + 10], nChunks = ctl[a + 11];
  if (nChunks < 0) break;
  const alpha = ctlF[${CTL.alpha}], beta = ctlF[${CTL.beta}];
  const tag = seen & 0xffff;
  // Take chunks while the chunk word carries this job's tag (args read above belong to it then).
  for (;;) {
    const v = Atomics.load(ctl, ${CTL.word});
    if ((v >>> 16) !== tag) break;
    const c = v & 0xffff;
    if (c >= nChunks) break;
    if (Atomics.compareExchange(ctl, ${CTL.word}, v, v + 1) !== v) continue;
    const i0 = c * chunk, i1 = Math.min(m, i0 + chunk);
    if (i0 < i1) gemm(offA + 4 * i0 * sIa, sIa, sPa, offB, sPb, sJb, offC + 4 * i0 * n, n, i1 - i0, n, k,
      alpha, beta, bufs.bufA, bufs.bufB, bufs.scratch);
    Atomics.add(ctl, ${CTL.done}, 1);
    Atomics.notify(ctl, ${CTL.done});
  }
}
`;
