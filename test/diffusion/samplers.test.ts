import { describe, expect, it } from 'vitest';
import { makeSchedule } from '../../src/diffusion/schedule.js';
import { ddimTimesteps, sampleLoop, shardRows, thresholdSpins } from '../../src/diffusion/samplers.js';
import type { EpsPredictor } from '../../src/diffusion/samplers.js';
import { Rng } from '../../src/random/index.js';
import { AbortError } from '../../src/util/errors.js';

/**
 * Data x0 ~ N(μ, v) per coordinate: x_t ~ N(√ᾱ μ, ᾱ v + 1 - ᾱ), and the exact
 * ε-prediction is E[ε | x_t] = √(1-ᾱ) (x_t - √ᾱ μ) / (ᾱ v + 1 - ᾱ).
 */
function gaussianEps(mu: number[], v: number[], ab: Float64Array): EpsPredictor {
  const n = mu.length;
  return (x, t, B) => {
    const a = ab[t]!;
    const out = new Float64Array(B * n);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const k = b * n + i;
        out[k] = (Math.sqrt(1 - a) * (x[k]! - Math.sqrt(a) * mu[i]!)) / (a * v[i]! + 1 - a);
      }
    }
    return out;
  };
}

/**
 * The exact output law of a sampler on this linear-Gaussian problem: each update is affine in x
 * plus independent noise, so mean and variance propagate in closed form (float64).
 */
function exactOutput(sched: ReturnType<typeof makeSchedule>, mu: number, v: number, kind: 'ddpm' | 'ddim', steps: number, eta: number, variance: 'posterior' | 'beta' = 'posterior'): { mean: number; variance: number } {
  let m = 0;
  let V = 1;
  const taus = kind === 'ddim' ? Array.from(ddimTimesteps(sched.T, steps)) : Array.from({ length: sched.T }, (_, i) => i);
  for (let k = taus.length - 1; k >= 0; k--) {
    const t = taus[k]!;
    const a = sched.alphaBar[t]!;
    const c = Math.sqrt(1 - a) / (a * v + 1 - a); // ε̂ = c (x - √a μ)
    const sa = Math.sqrt(a);
    const s1 = Math.sqrt(1 - a);
    // x̂0 = p x + q with p = (1 - s1 c)/sa, q = s1 c √a μ / sa.
    const p = (1 - s1 * c) / sa;
    const q = (s1 * c * sa * mu) / sa;
    let kx: number, k0: number, sig2: number;
    if (kind === 'ddim') {
      const ap = k > 0 ? sched.alphaBar[taus[k - 1]!]! : 1;
      const sigma = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
      const dir = Math.sqrt(Math.max(0, 1 - ap - sigma * sigma));
      kx = Math.sqrt(ap) * p + dir * c;
      k0 = Math.sqrt(ap) * q - dir * c * sa * mu;
      sig2 = sigma * sigma;
    } else {
      const c1 = sched.posteriorMeanCoef1[t]!;
      const c2 = sched.posteriorMeanCoef2[t]!;
      kx = c1 * p + c2;
      k0 = c1 * q;
      sig2 = t === 0 ? 0 : variance === 'beta' ? sched.beta[t]! : sched.posteriorVariance[t]!;
    }
    m = kx * m + k0;
    V = kx * kx * V + sig2;
  }
  return { mean: m, variance: V };
}

function moments(x: Float32Array, n: number, i: number): { mean: number; variance: number } {
  const m = x.length / n;
  let s = 0;
  let s2 = 0;
  for (let k = 0; k < m; k++) {
    s += x[k * n + i]!;
    s2 += x[k * n + i]! ** 2;
  }
  const mean = s / m;
  return { mean, variance: s2 / m - mean * mean };
}

describe('samplers on a Gaussian data distribution with the exact ε-predictor', () => {
  const sched = makeSchedule();
  const mu = [0.6, -0.3];
  const v = [0.25, 1.5];
  const predict = gaussianEps(mu, v, sched.alphaBar);
  const m = 4000;

  it('DDIM with η = 1 and S = T is DDPM (posterior variance): same noise, same samples', async () => {
    const a = await sampleLoop(predict, sched, { n: 2, m: 200, rng: new Rng(5), sampler: 'ddpm' });
    const b = await sampleLoop(predict, sched, { n: 2, m: 200, rng: new Rng(5), sampler: 'ddim', steps: 1000, eta: 1 });
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  for (const [name, opts, bias] of [
    // bias: bound on |Var_out/v - 1| of the exact output law. Coarse DDIM shrinks the variance
    // (≈ 12% at S = 100, η = 1 for v = 0.25); the T-step samplers are within 3%.
    ['ddpm (T steps)', { sampler: 'ddpm' }, 0.03],
    ['ddim η=1, S=T', { sampler: 'ddim', steps: 1000, eta: 1 }, 0.03],
    ['ddim η=1, S=100', { sampler: 'ddim', steps: 100, eta: 1 }, 0.15],
    ['ddim η=0, S=50', { sampler: 'ddim', steps: 50, eta: 0 }, 0.12],
    ['ddpm with σ² = β', { sampler: 'ddpm', ddpmVariance: 'beta' }, 0.03],
  ] as const) {
    it(`${name}: sample moments match the exact output law (4.5 SE); its variance bias is below ${bias}`, async () => {
      const x = await sampleLoop(predict, sched, { n: 2, m, rng: new Rng(42), batch: 1000, ...opts });
      const o = opts as { sampler: 'ddpm' | 'ddim'; steps?: number; eta?: number; ddpmVariance?: 'posterior' | 'beta' };
      for (let i = 0; i < 2; i++) {
        const { mean, variance } = moments(x, 2, i);
        const ex = exactOutput(sched, mu[i]!, v[i]!, o.sampler, o.steps ?? 1000, o.eta ?? 0, o.ddpmVariance);
        // The sampler's own discretisation bias, in closed form: small against the data law.
        expect(Math.abs(ex.mean - mu[i]!)).toBeLessThan(0.03 * Math.sqrt(v[i]!));
        expect(Math.abs(ex.variance / v[i]! - 1)).toBeLessThan(bias);
        // Monte Carlo against the exact law: SE of mean √(V/m), of variance ≈ V √(2/m).
        expect(Math.abs(mean - ex.mean)).toBeLessThan(4.5 * Math.sqrt(ex.variance / m));
        expect(Math.abs(variance - ex.variance)).toBeLessThan(4.5 * ex.variance * Math.sqrt(2 / m));
      }
    });
  }

  it('DDIM sub-sequence is increasing, starts at 0 and ends at T-1', () => {
    const tau = ddimTimesteps(1000, 100);
    expect(tau[0]).toBe(0);
    expect(tau[99]).toBe(999);
    for (let i = 1; i < 100; i++) expect(tau[i]!).toBeGreaterThan(tau[i - 1]!);
    expect(() => ddimTimesteps(10, 11)).toThrow(/steps/);
  });

  it('thresholds analog bits by sign', () => {
    expect(Array.from(thresholdSpins([0.2, -0.1, 0, -3]))).toEqual([1, -1, 1, -1]);
  });

  it('is deterministic per seed and stops on abort', async () => {
    const a = await sampleLoop(predict, sched, { n: 2, m: 10, rng: new Rng(3), sampler: 'ddim', steps: 20, eta: 1 });
    const b = await sampleLoop(predict, sched, { n: 2, m: 10, rng: new Rng(3), sampler: 'ddim', steps: 20, eta: 1 });
    expect(Array.from(a)).toEqual(Array.from(b));
    await expect(sampleLoop(predict, sched, { n: 2, m: 10, rng: new Rng(3), signal: { aborted: true } })).rejects.toThrow(AbortError);
  });

  it('row shards give each row of every batch exactly the whole run\'s numbers, and leave the generator where it leaves it', async () => {
    // Odd row lengths and counts: a batch's draw then ends inside a Box–Muller pair (a spare crosses draws).
    const n3 = gaussianEps([0.5, -1, 0.2], [0.3, 0.5, 1], sched.alphaBar);
    const cases = [
      { sampler: 'ddim' as const, steps: 7, eta: 1, m: 23, batch: 5, count: 3 },
      { sampler: 'ddim' as const, steps: 7, eta: 0.5, m: 9, batch: 9, count: 2 },
      { sampler: 'ddpm' as const, steps: 0, eta: 0, m: 5, batch: 2, count: 3 }, // batches of 2 rows, 3 shards: an empty shard
    ];
    for (const { count, ...c } of cases) {
      const whole = new Rng(11);
      const want = await sampleLoop(n3, sched, { n: 3, rng: whole, ...c });
      const ends: string[] = [];
      const parts: Float32Array[] = [];
      for (let index = 0; index < count; index++) {
        const r = new Rng(11);
        parts.push(await sampleLoop(n3, sched, { n: 3, rng: r, ...c, shard: { index, count } }));
        ends.push(JSON.stringify(r.snapshot()));
      }
      const got = new Float32Array(c.m * 3);
      const at = parts.map(() => 0);
      for (let start = 0; start < c.m; start += c.batch) {
        const B = Math.min(c.batch, c.m - start);
        for (let j = 0; j < count; j++) {
          const [r0, r1] = shardRows(B, j, count);
          got.set(parts[j]!.subarray(at[j]!, at[j]! + (r1 - r0) * 3), (start + r0) * 3);
          at[j]! += (r1 - r0) * 3;
        }
      }
      expect(at).toEqual(parts.map((p) => p.length));
      expect(Array.from(got, (v, i) => Object.is(v, want[i])).every(Boolean)).toBe(true);
      expect(ends).toEqual(new Array(count).fill(JSON.stringify(whole.snapshot())));
    }
  });

  it('refuses a shard that does not exist, and shards with guidance, a corrector or a custom sampler', async () => {
    const base = { n: 2, m: 4, rng: new Rng(1), steps: 3 };
    await expect(sampleLoop(predict, sched, { ...base, shard: { index: 2, count: 2 } })).rejects.toThrow(/shard 2 of 2 does not exist/);
    await expect(sampleLoop(predict, sched, { ...base, shard: { index: 0, count: 0 } })).rejects.toThrow(/does not exist/);
    const refuse = /built-in sampler, without guidance or corrector/;
    await expect(sampleLoop(predict, sched, { ...base, shard: { index: 0, count: 2 }, corrector: { steps: 1 } })).rejects.toThrow(refuse);
    await expect(sampleLoop(predict, sched, { ...base, shard: { index: 0, count: 2 }, guidance: { name: 'g', apply: () => {} } })).rejects.toThrow(refuse);
    const custom = { name: 'c', timesteps: Int32Array.of(0, 1), step: () => {} };
    await expect(sampleLoop(predict, sched, { ...base, shard: { index: 0, count: 2 }, sampler: custom })).rejects.toThrow(refuse);
  });
});
