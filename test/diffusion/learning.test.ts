import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import { generateSpins } from '../../src/diffusion/augment.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { probabilities, sampleExact, skParams } from '../../src/ising/index.js';
import { Rng } from '../../src/random/index.js';
import { getBackend, setBackend } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';

/** Pattern index of each row (bit i set ↔ s_i = +1), as ising's enumeration. */
function frequencies(s: Int8Array, n: number): Float64Array {
  const m = s.length / n;
  const f = new Float64Array(2 ** n);
  for (let r = 0; r < m; r++) {
    let x = 0;
    for (let i = 0; i < n; i++) if (s[r * n + i]! > 0) x |= 1 << i;
    f[x]! += 1 / m;
  }
  return f;
}

const tv = (p: ArrayLike<number>, q: ArrayLike<number>): number => {
  let d = 0;
  for (let i = 0; i < p.length; i++) d += Math.abs(p[i]! - q[i]!);
  return d / 2;
};

/** E[TV(empirical of m draws, p)] ≈ ½ Σ √(2 p(1-p)/(π m)) (normal approximation of |p̂ - p|). */
function expectedSamplingTV(p: ArrayLike<number>, m: number): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) d += Math.sqrt((2 * p[i]! * (1 - p[i]!)) / (Math.PI * m));
  return d / 2;
}

// About 10 s of CPU on an idle core with wasm-simd (600 Adam steps of a 32-64 network, 2000 samples × 50 steps).
describe('learning an enumerated SK distribution (n = 5)', () => {
  it('generated pattern frequencies are within the stated total-variation bound of the truth', async () => {
    // On the wasm-simd backend where available (3-5× faster; the JS backend is its specification).
    const prev = getBackend();
    if (wasmSimdSupported()) setBackend(await loadWasmBackend());
    try {
      await check();
    } finally {
      setBackend(prev);
    }
  }, 300_000);
});

async function check(): Promise<void> {
  {
    const n = 5;
    const rng = new Rng(2024);
    const truth = skParams(n, 2, rng); // g = 2: strongly non-uniform (TV to uniform 0.81)
    const p = probabilities(truth);
    const M = 2000;
    const data = sampleExact(truth, M, rng);
    const tr = new DiffusionTrainer(data, { n, widths: [W, 2 * W], timeDim: 8, T: 1000, residual: true }, { ...DEFAULT_TRAIN, iterations: ITERS, batchSize: BATCH, lr: 3e-3, seed: 5 });
    for (let i = 0; i < ITERS; i++) tr.step();
    const net = new NoiseMLP(tr.net.config, new Rng(0));
    net.loadStateDict(tr.samplingStateDict());
    const G = 2000;
    const gen = await generateSpins(net, G, new Rng(6), { sampler: 'ddim', steps: 50, eta: 1, batch: 2000 });
    const q = frequencies(gen.s, n);
    const uniform = new Float64Array(32).fill(1 / 32);
    const dTrain = tv(frequencies(data.s, n), p);
    const d = tv(q, p);
    // The bound: a perfect model reproduces at best the training sample's law, itself at TV
    // ≈ E[TV(p̂_M, p)] from the truth; drawing G samples adds ≈ E[TV(p̂_G, p)]; we allow 0.05 more
    // for the network's and the 50-step sampler's own error. That is ~0.08 here, ten times below
    // the TV of the uniform law (0.81), so a model that has not learned the couplings fails.
    const bound = expectedSamplingTV(p, M) + expectedSamplingTV(p, G) + 0.05;
    expect(dTrain).toBeLessThan(2 * expectedSamplingTV(p, M)); // sanity of the TV estimate
    expect(tv(uniform, p)).toBeGreaterThan(10 * bound - 0.1);
    expect(d).toBeLessThan(bound);
  }
}
const ITERS = 600;
const W = 32;
const BATCH = 128;
