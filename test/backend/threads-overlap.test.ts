// Backend.overlap on the threads backend: the side task runs exactly once, on the calling thread,
// while the first split job is under way (the job's results unchanged), or after the work where
// nothing is split; its error surfaces after the job; and sampling that draws each step's noise
// this way gives the same samples as drawing it inside the step (every backend, with and without).
import { afterAll, describe, expect, it } from 'vitest';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { getBackend, overlapped, setBackend } from '../../src/tensor/backend/registry.js';
import { jsBackend } from '../../src/tensor/backend/js.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { makePredictor } from '../../src/diffusion/train.js';
import { makeSchedule } from '../../src/diffusion/schedule.js';
import { ddimSampler, ddpmSampler, sampleLoop } from '../../src/diffusion/samplers.js';
import type { Sampler } from '../../src/diffusion/samplers.js';
import { Rng } from '../../src/random/index.js';

const ok = wasmSimdSupported();
const backends: ThreadsBackend[] = [];
afterAll(async () => { for (const b of backends) await b.terminate(); });

describe.runIf(ok)('threads backend: overlap', () => {
  it('runs the side task once, inside the first split job (whose result is unchanged), else after the work', async () => {
    const be = await loadThreadsBackend({ threads: 2, minFlopsPerThread: 1 });
    backends.push(be);
    const m = 64, n = 48, k = 32, rng = new Rng(3);
    const a = Float32Array.from({ length: m * k }, () => rng.normal()), b = Float32Array.from({ length: k * n }, () => rng.normal());
    const want = new Float32Array(m * n);
    be.gemm(false, false, m, n, k, a, b, want, 1, 0);
    const log: string[] = [];
    const c = new Float32Array(m * n);
    const r = be.overlap!(() => { log.push('work'); be.gemm(false, false, m, n, k, a, b, c, 1, 0); log.push('done'); return 7; }, () => log.push('side'));
    expect(r).toBe(7);
    expect(log).toEqual(['work', 'side', 'done']); // inside the job: after work began, before it returned
    expect(Buffer.from(c.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    // Nothing split: the side task after the work.
    log.length = 0;
    be.overlap!(() => { log.push('work'); }, () => log.push('side'));
    expect(log).toEqual(['work', 'side']);
    // Only once, however many jobs the work runs.
    let sides = 0;
    be.overlap!(() => { for (let i = 0; i < 3; i++) be.gemm(false, false, m, n, k, a, b, c, 1, 0); }, () => { sides++; });
    expect(sides).toBe(1);
    // An error of the side task after the job (which completes: the next call works); no nesting.
    expect(() => be.overlap!(() => be.gemm(false, false, m, n, k, a, b, c, 1, 0), () => { throw new Error('side failed'); })).toThrow(/side failed/);
    expect(() => be.overlap!(() => be.overlap!(() => 0, () => {}), () => {})).toThrow(/overlap\(\) inside overlap\(\)/);
    const again = new Float32Array(m * n);
    be.gemm(false, false, m, n, k, a, b, again, 1, 0);
    expect(Buffer.from(again.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    // The registry's helper on a backend without overlap: side, then work.
    log.length = 0;
    overlapped(jsBackend, () => log.push('work'), () => log.push('side'));
    expect(log).toEqual(['side', 'work']);
  });

  it('sampling with each step\'s noise drawn during the network call = drawn inside the step, on every backend', async () => {
    const threads = await loadThreadsBackend({ threads: 2, minFlopsPerThread: 1 });
    backends.push(threads);
    const wasm = await loadWasmBackend();
    const net = new NoiseMLP({ n: 6, widths: [16, 32], timeDim: 8, T: 100, residual: true }, new Rng(1));
    const sched = makeSchedule({ T: 100 });
    // 300 rows: two chunks of the plan (PLAN_MIN_ROWS 128), so the draw overlaps a split job.
    /** The sampler without drawNoise: its step draws the noise itself. */
    const inside = (s: Sampler): Sampler => ({ name: s.name, timesteps: s.timesteps, step: (x, e, k, r) => s.step(x, e, k, r) });
    for (const sampler of [ddimSampler(sched, { steps: 20, eta: 1 }), ddimSampler(sched, { steps: 20, eta: 0.5 }), ddpmSampler(sched)]) {
      const run = async (be: typeof jsBackend, s: Sampler): Promise<Float32Array> => {
        const prev = getBackend();
        setBackend(be); // for the whole (async) loop, not only its first synchronous part
        try {
          return await sampleLoop(makePredictor(net), sched, { n: 6, m: 600, rng: new Rng(9), sampler: s, batch: 300 });
        } finally {
          setBackend(prev);
        }
      };
      const want = await run(wasm, inside(sampler));
      for (const be of [wasm, threads]) {
        const got = await run(be, sampler);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      }
      expect(Buffer.from((await run(threads, inside(sampler))).buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
  });
});
