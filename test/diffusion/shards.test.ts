// SamplePool: row shards of the reverse process on worker threads give sampleLoop's rows bit for
// bit (and leave the generator where sampleLoop leaves it); where they could not, it declines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamplePool } from '../../src/diffusion/shards.js';
import { generateSpins } from '../../src/diffusion/augment.js';
import type { SamplerOptions } from '../../src/diffusion/augment.js';
import { NoiseMLP, presetConfig } from '../../src/diffusion/network.js';
import { makePredictor } from '../../src/diffusion/train.js';
import { makeSchedule } from '../../src/diffusion/schedule.js';
import { sampleLoop } from '../../src/diffusion/samplers.js';
import { Rng } from '../../src/random/index.js';
import { getBackend, setBackend } from '../../src/tensor/index.js';
import type { Backend } from '../../src/tensor/index.js';
import { jsBackend } from '../../src/tensor/backend/js.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import { AbortError, UsageError } from '../../src/util/errors.js';

const simd = wasmSimdSupported();
const net = new NoiseMLP({ ...presetConfig('tiny', 5), widths: [16, 24], timeDim: 8 }, new Rng(4));
const S: SamplerOptions = { sampler: 'ddim', steps: 6, eta: 1, batch: 7 };

async function here(m: number, rng: Rng, s = S): Promise<Float32Array> {
  return sampleLoop(makePredictor(net), makeSchedule({ T: net.config.T }), { n: 5, m, rng, ...s });
}
const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe.skipIf(!simd)('SamplePool', () => {
  let pool: SamplePool;
  let wasm: Backend;
  const before = getBackend();
  beforeAll(async () => {
    wasm = await loadWasmBackend();
    pool = await SamplePool.start(2, { minRowSteps: 0 }); // these runs are short
  });
  afterAll(() => {
    pool.close();
    setBackend(before);
  });

  it('gives sampleLoop\'s rows bit for bit on the wasm and threads backends, and advances the generator as it does', async () => {
    const threads = await loadThreadsBackend({ threads: 2 });
    try {
      for (const be of [wasm, threads]) {
        setBackend(be);
        for (const [m, s] of [[17, S], [3, { ...S, batch: 1 }], [9, { ...S, sampler: 'ddpm' as const, eta: 0 }]] as const) {
          const a = new Rng(21), b = new Rng(21);
          a.normal(); b.normal(); // a spare normal pending at the start
          const want = await here(m, a, s);
          const got = await pool.sample(net, m, b, s);
          expect(got).not.toBeNull();
          expect(sameBits(got!, want)).toBe(true);
          expect(b.snapshot()).toEqual(a.snapshot());
        }
      }
    } finally {
      await threads.terminate();
    }
  }, 60_000);

  it('generateSpins with the pool gives the spins it gives without, and reports progress to the end', async () => {
    setBackend(wasm);
    const seen: number[] = [];
    const want = await generateSpins(net, 20, new Rng(5), S);
    const got = await generateSpins(net, 20, new Rng(5), S, { sampling: pool, onProgress: (d) => seen.push(d) });
    expect(got).toEqual(want);
    expect(seen.at(-1)).toBe(20);
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1]!)).toBe(true);
  });

  it('declines runs of fewer rows × steps than minRowSteps (the default pays on ~20,000)', async () => {
    setBackend(wasm);
    const picky = await SamplePool.start(2, { minRowSteps: 100 });
    try {
      expect(picky.minRowSteps).toBe(100);
      expect(await picky.sample(net, 16, new Rng(1), { ...S, steps: 6 })).toBeNull(); // 96 row-steps
      const got = await picky.sample(net, 17, new Rng(1), { ...S, steps: 6 }); // 102
      expect(sameBits(got!, await here(17, new Rng(1), { ...S, steps: 6 }))).toBe(true);
    } finally {
      picky.close();
    }
    await expect(SamplePool.start(2, { minRowSteps: -1 })).rejects.toThrow(/minRowSteps/);
  });

  it('declines (null) on the js backend, and where its check finds other bits than this thread\'s', async () => {
    setBackend(jsBackend);
    expect(await pool.sample(net, 4, new Rng(1), S)).toBeNull();
    // The js kernels under the wasm backend's name: the one-time check compares and declines.
    setBackend({ ...jsBackend, name: 'wasm' });
    const rng = new Rng(1);
    const s0 = rng.snapshot();
    expect(await pool.sample(net, 4, rng, S)).toBeNull();
    expect(rng.snapshot()).toEqual(s0); // a declined call draws nothing
  });

  it('runs two calls at once, each with its own numbers', async () => {
    setBackend(wasm);
    const [a, b] = await Promise.all([pool.sample(net, 11, new Rng(7), S), pool.sample(net, 5, new Rng(8), { ...S, eta: 0.5 })]);
    expect(sameBits(a!, await here(11, new Rng(7)))).toBe(true);
    expect(sameBits(b!, await here(5, new Rng(8), { ...S, eta: 0.5 }))).toBe(true);
  });

  it('refuses bad sizes before any work, survives a bad call, and ends a run whose progress callback throws', async () => {
    setBackend(wasm);
    await expect(pool.sample(net, -3, new Rng(1), S)).rejects.toThrow(UsageError);
    await expect(pool.sample(net, 4, new Rng(1), { ...S, batch: 0 })).rejects.toThrow(/batch must be an integer ≥ 1/);
    await expect(pool.sample(net, 4, new Rng(1), { ...S, eta: -1 })).rejects.toThrow(/eta must be ≥ 0/); // from the workers
    const boom = new Error('progress callback failed');
    await expect(pool.sample(net, 64, new Rng(1), { ...S, steps: 50 }, { onProgress: () => { throw boom; } })).rejects.toBe(boom);
    const after = await pool.sample(net, 6, new Rng(3), S);
    expect(sameBits(after!, await here(6, new Rng(3)))).toBe(true);
  });

  it('stops on abort (AbortError) and samples again afterwards; a closed pool rejects', async () => {
    setBackend(wasm);
    const signal = { aborted: false };
    const big = { ...S, steps: 1000, batch: 64 }; // far longer than the 50 ms between two looks at the signal
    const run = pool.sample(net, 512, new Rng(2), big, { signal, onProgress: () => { signal.aborted = true; } });
    await expect(run).rejects.toThrow(AbortError);
    const again = await pool.sample(net, 6, new Rng(3), S);
    expect(sameBits(again!, await here(6, new Rng(3)))).toBe(true);
    const other = await SamplePool.start(2);
    other.close();
    await expect(other.sample(net, 4, new Rng(1), S)).rejects.toThrow(/closed/);
    await expect(SamplePool.start(1)).rejects.toThrow(/workers must be an integer ≥ 2/);
  }, 60_000);
});
