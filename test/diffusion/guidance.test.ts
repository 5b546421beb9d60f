import { describe, expect, it } from 'vitest';
import { makeSchedule } from '../../src/diffusion/schedule.js';
import type { Schedule } from '../../src/diffusion/schedule.js';
import { ddimSampler, newSampleStats, sampleLoop } from '../../src/diffusion/samplers.js';
import type { EpsPredictor } from '../../src/diffusion/samplers.js';
import { TailClassifier, classifierGrad, networkEps, scoreScale, tailLogProb, tweedieEnergy, tweedieEnergyGrad, withFrozen } from '../../src/diffusion/guidance.js';
import type { DiffEps } from '../../src/diffusion/guidance.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { gelu, gradcheck } from '../../src/autograd/index.js';
import { Linear } from '../../src/nn/index.js';
import { fromStorage } from '../../src/tensor/index.js';
import { Rng } from '../../src/random/index.js';
import { skParams } from '../../src/ising/index.js';

/** Exact ε̂ for data x0 ~ N(μ, v) per coordinate (see samplers.test.ts). */
function gaussianEps(mu: number, v: number, ab: Float64Array): EpsPredictor {
  return (x, t) => {
    const a = ab[t]!;
    const c = Math.sqrt(1 - a) / (a * v + 1 - a);
    return Float64Array.from(x, (xi) => c * (xi - Math.sqrt(a) * mu));
  };
}

/**
 * The exact output law of DDIM (η = 1) with the score scaled by γ and K Langevin corrector steps
 * of fixed δ after every reverse step: every update is affine in x plus independent noise.
 */
function exactTempered(sched: Schedule, taus: Int32Array, mu: number, v: number, gamma: number, K: number, delta: number): { mean: number; variance: number } {
  let m = 0;
  let V = 1;
  for (let k = taus.length - 1; k >= 0; k--) {
    const t = taus[k]!;
    const a = sched.alphaBar[t]!;
    const c = (gamma * Math.sqrt(1 - a)) / (a * v + 1 - a); // ε̃ = c (x − √a μ)
    const sa = Math.sqrt(a);
    const s1 = Math.sqrt(1 - a);
    const p = (1 - s1 * c) / sa;
    const q = (s1 * c * mu) / 1;
    const ap = k > 0 ? sched.alphaBar[taus[k - 1]!]! : 1;
    const sigma = Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
    const dir = Math.sqrt(Math.max(0, 1 - ap - sigma * sigma));
    const kx = Math.sqrt(ap) * p + dir * c;
    const k0 = Math.sqrt(ap) * q - dir * c * sa * mu;
    m = kx * m + k0;
    V = kx * kx * V + sigma * sigma;
    if (k > 0) {
      const tp = taus[k - 1]!;
      const b = sched.alphaBar[tp]!;
      const cp = (gamma * Math.sqrt(1 - b)) / (b * v + 1 - b);
      const d = (delta * cp) / Math.sqrt(1 - b); // x' = x − d (x − √b μ) + √(2δ) z
      for (let r = 0; r < K; r++) {
        m = (1 - d) * m + d * Math.sqrt(b) * mu;
        V = (1 - d) ** 2 * V + 2 * delta;
      }
    }
  }
  return { mean: m, variance: V };
}

function moments(x: Float32Array): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  return { mean, variance: s2 / x.length - mean * mean };
}

describe('score scaling with a Langevin corrector samples the tempered Gaussian', () => {
  const sched = makeSchedule();
  const mu = 0.4;
  const v = 0.5;
  const gamma = 0.5; // p^γ = N(μ, v/γ) = N(0.4, 1)
  const delta = 0.05;
  const K = 20;
  const S = 20;
  const m = 4000;
  const predict = gaussianEps(mu, v, sched.alphaBar);
  const taus = ddimSampler(sched, { steps: S, eta: 1 }).timesteps;

  it('matches v/γ within the corrector bias δγ/(2v) plus 4.5 standard errors; the scaled score alone does not', async () => {
    const stats = newSampleStats();
    const x = await sampleLoop(predict, sched, { n: 1, m, rng: new Rng(11), sampler: 'ddim', steps: S, eta: 1, guidance: scoreScale(gamma), corrector: { steps: K, delta }, stats });
    const target = v / gamma;
    // Unadjusted Langevin on N(·, V/γ) with step δ has stationary variance (V/γ)/(1 − a/2), a = δγ/V.
    const a = (delta * gamma) / v;
    const bias = 1 / (1 - a / 2) - 1;
    const { mean, variance } = moments(x);
    expect(Math.abs(variance / target - 1)).toBeLessThan(bias + 0.01 + 4.5 * Math.sqrt(2 / m));
    expect(Math.abs(mean - mu)).toBeLessThan(0.02 + 4.5 * Math.sqrt(target / m));
    // The closed-form law of the whole procedure agrees with the Monte Carlo, and with the bound.
    const ex = exactTempered(sched, taus, mu, v, gamma, K, delta);
    expect(Math.abs(ex.variance / target - 1)).toBeLessThan(bias + 0.01);
    expect(Math.abs(variance - ex.variance)).toBeLessThan(4.5 * ex.variance * Math.sqrt(2 / m));
    expect(stats.rows).toBe(m * (S + (S - 1) * K));
    // Without the corrector the scaled score misses p^γ by far more than that tolerance.
    const no = exactTempered(sched, taus, mu, v, gamma, 0, delta);
    expect(Math.abs(no.variance / target - 1)).toBeGreaterThan(3 * (bias + 0.01));
  });

  it('γ < 0 (against the score) runs away: bounded, a quarter of the corrected coordinates hit the bound, nearly all samples end near it', async () => {
    const stats = newSampleStats();
    const x = await sampleLoop(predict, sched, { n: 1, m: 200, rng: new Rng(3), sampler: 'ddim', steps: S, eta: 1, corrector: { steps: K, delta, gamma: -1, bound: 3 }, stats });
    expect(stats.clipped / stats.corrected).toBeGreaterThan(0.25);
    let far = 0;
    for (const v of x) if (Math.abs(v) > 2.5) far++;
    expect(far / x.length).toBeGreaterThan(0.9);
    // Unbounded it leaves every finite range (or stops on a non-finite value).
    const un = await sampleLoop(predict, sched, { n: 1, m: 50, rng: new Rng(3), sampler: 'ddim', steps: S, eta: 1, corrector: { steps: K, delta, gamma: -1 } }).catch(() => null);
    if (un) expect(Math.max(...Array.from(un, Math.abs))).toBeGreaterThan(1e3);
  });
});

/** A float64 two-layer GELU ε-network with a time-dependent scale (differentiable in x). */
function float64Eps(n: number, seed: number): DiffEps {
  const rng = new Rng(seed);
  const l1 = new Linear(n, 8, rng, { dtype: 'float64' });
  const l2 = new Linear(8, n, rng, { dtype: 'float64' });
  for (const p of [...l1.parameters(), ...l2.parameters()]) p.requiresGrad = false;
  return (x) => l2.forward(gelu(l1.forward(x)));
}

/** Central differences of F over every coordinate of x (float64). */
function numericGrad(F: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[i]! += h;
    xm[i]! -= h;
    g[i] = (F(xp) - F(xm)) / (2 * h);
  }
  return g;
}

describe('guidance gradients (float64 checks)', () => {
  const sched = makeSchedule();
  const n = 5;
  const B = 3;
  const theta = skParams(n, 1, new Rng(4));
  const x = Float64Array.from({ length: B * n }, (_, i) => Math.sin(1.3 * i + 0.2));

  for (const t of [0, 300, 900]) {
    it(`Tweedie energy gradient ∇_{x_t} E(x̂0(x_t)) (batched VJP) matches central differences, t=${t}`, () => {
      const eps = float64Eps(n, 8);
      const g = tweedieEnergyGrad(eps, sched, theta, x, t, B, 'float64');
      const num = numericGrad((z) => tweedieEnergy(eps, sched, theta, z, t, B, 'float64'), x);
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - num[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(num[i]!)));
    });
  }

  it('classifier log-probability passes gradcheck, and classifierGrad is its batched gradient', () => {
    const c = new TailClassifier({ n, T: 1000, hidden: 6, timeDim: 8 }, new Rng(2), 'float64');
    const xt = new Float64Array(x);
    const r = withFrozen([c], () => gradcheck((z) => tailLogProb(c, z, 250), [fromStorage(Float64Array.from(xt), [B, n])]));
    expect(r.ok).toBe(true);
    const g = classifierGrad(c, xt, 250, B);
    const num = numericGrad((z) => {
      const out = withFrozen([c], () => tailLogProb(c, fromStorage(z, [B, n]), 250));
      return Array.from(out.data).reduce((a, v) => a + v, 0);
    }, xt);
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - num[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(num[i]!)));
  });

  it('through the float32 noise network: the VJP agrees with a directional finite difference', () => {
    const net = new NoiseMLP({ n, widths: [8, 16], timeDim: 8, T: 1000, residual: true }, new Rng(1));
    const eps = networkEps(net);
    const t = 400;
    const g = withFrozen([net], () => tweedieEnergyGrad(eps, sched, theta, x, t, B));
    const dir = Float64Array.from(x, (_, i) => Math.cos(0.7 * i));
    const h = 1e-2;
    const F = (s: number): number => tweedieEnergy(eps, sched, theta, Float64Array.from(x, (v, i) => v + s * dir[i]!), t, B, 'float32');
    const num = (F(h) - F(-h)) / (2 * h);
    const ana = g.reduce((a, gi, i) => a + gi * dir[i]!, 0);
    expect(Math.abs(ana - num)).toBeLessThan(2e-2 * (1 + Math.abs(num)));
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});
