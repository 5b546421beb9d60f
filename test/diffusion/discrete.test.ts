import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { makeSchedule } from '../../src/diffusion/schedule.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { noGrad } from '../../src/autograd/index.js';
import { fromStorage } from '../../src/tensor/index.js';
import { skParams } from '../../src/ising/model.js';
import { enumerate, probabilities } from '../../src/ising/enumerate.js';
import {
  MASK, maskedAlpha, maskForward, maskedInput, maskedLoss, maskedLossDraw, maskedNelboExact, maskedNelboOrders, maskedReverseStep, logSigmoid64,
} from '../../src/diffusion/discrete/masked.js';
import type { ConditionalLogits } from '../../src/diffusion/discrete/masked.js';
import {
  bernoulliKL, d3pmForward, d3pmForwardPlus, d3pmKeep, d3pmLoss, d3pmPosteriorPlus, d3pmQ, d3pmReversePlus, d3pmReverseStep, d3pmSiteLoss,
} from '../../src/diffusion/discrete/d3pm.js';

type M2 = [number, number, number, number];
const mul2 = (a: M2, b: M2): M2 => [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]];
const idx = (v: number): number => (v > 0 ? 1 : 0); // states ordered (−1, +1)

/** Exact log-odds p(x_i = +1 | unmasked part of z)/p(−1 | …) of an Ising model, by enumeration. */
function exactConditionals(p: Float64Array, n: number): ConditionalLogits {
  return (z) => {
    const plus = new Float64Array(n), minus = new Float64Array(n);
    for (let x = 0; x < 1 << n; x++) {
      let ok = true;
      for (let i = 0; i < n && ok; i++) if (z[i] !== MASK && (((x >> i) & 1) ? 1 : -1) !== z[i]) ok = false;
      if (!ok) continue;
      for (let i = 0; i < n; i++) ((x >> i) & 1 ? plus : minus)[i]! += p[x]!;
    }
    return Array.from(plus, (a, i) => Math.log(a) - Math.log(minus[i]!));
  };
}

const spinsOf = (x: number, n: number): number[] => Array.from({ length: n }, (_, i) => ((x >> i) & 1 ? 1 : -1));

describe('masked diffusion', () => {
  it('forward marginals: the absorbing chain composed over a grid equals the closed form (exact, 3 states)', () => {
    // States (−1, +1, MASK); from s to t a spin survives with probability α_t/α_s.
    const step = (s: number, t: number): number[][] => {
      const k = maskedAlpha(t) / maskedAlpha(s);
      return [[k, 0, 1 - k], [0, k, 1 - k], [0, 0, 1]];
    };
    const mm = (a: number[][], b: number[][]): number[][] => a.map((r) => b[0]!.map((_, j) => r.reduce((acc, v, k) => acc + v * b[k]![j]!, 0)));
    const grid = [0, 0.1, 0.25, 0.5, 0.7, 0.9];
    let P = step(0, 0);
    for (let k = 1; k < grid.length; k++) P = mm(P, step(grid[k - 1]!, grid[k]!));
    const t = grid.at(-1)!;
    expect(P[1]![1]!).toBeCloseTo(maskedAlpha(t), 14);
    expect(P[1]![2]!).toBeCloseTo(1 - maskedAlpha(t), 14);
    expect(P[0]![1]!).toBe(0);
  });

  it('maskForward masks each spin with probability 1 − α_t (within 4 SE)', () => {
    const rng = new Rng(3);
    const n = 10, B = 2000, t = 0.3;
    const x0 = Array.from({ length: B * n }, () => rng.spin());
    const z = maskForward(x0, new Float64Array(B).fill(t), rng);
    let masked = 0, wrong = 0;
    z.forEach((v, i) => (v === MASK ? masked++ : v !== x0[i] ? wrong++ : 0));
    const N = B * n, se = Math.sqrt((t * (1 - t)) / N);
    expect(wrong).toBe(0);
    expect(Math.abs(masked / N - t)).toBeLessThan(4 * se);
  });

  it('the NELBO with the exact conditionals equals −log p(x) for every x, so its mean is the entropy', () => {
    const n = 5;
    const params = skParams(n, 1.2, new Rng(11));
    const p = probabilities(params);
    const cond = exactConditionals(p, n);
    let meanNelbo = 0;
    for (let x = 0; x < 1 << n; x++) {
      const nelbo = maskedNelboExact(spinsOf(x, n), cond);
      expect(nelbo).toBeCloseTo(-Math.log(p[x]!), 10);
      meanNelbo += p[x]! * nelbo;
    }
    expect(meanNelbo).toBeCloseTo(enumerate(params).entropy, 10);
  });

  it('the trainer’s stratified estimator with the exact conditionals averages to H(p)/n (within 4 SE)', () => {
    const n = 4;
    const params = skParams(n, 1, new Rng(5));
    const p = probabilities(params);
    const cond = exactConditionals(p, n);
    const H = enumerate(params).entropy;
    const rng = new Rng(9);
    const B = 64, batches = 1500;
    const cdf = Array.from(p);
    for (let k = 1; k < cdf.length; k++) cdf[k]! += cdf[k - 1]!;
    const vals: number[] = [];
    for (let r = 0; r < batches; r++) {
      const x0 = new Float32Array(B * n);
      for (let b = 0; b < B; b++) {
        const u = rng.uniform();
        const x = cdf.findIndex((c) => c > u);
        x0.set(spinsOf(x < 0 ? cdf.length - 1 : x, n), b * n);
      }
      const { z, weight } = maskedLossDraw(x0, B, rng);
      let loss = 0;
      for (let b = 0; b < B; b++) {
        const l = cond(z.subarray(b * n, (b + 1) * n));
        for (let i = 0; i < n; i++) if (weight[b * n + i]! > 0) loss -= weight[b * n + i]! * logSigmoid64(x0[b * n + i]! * l[i]!);
      }
      vals.push(loss / (B * n));
    }
    const mean = vals.reduce((a, v) => a + v, 0) / batches;
    const sd = Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (batches - 1));
    expect(Math.abs(mean - H / n)).toBeLessThan(4 * (sd / Math.sqrt(batches)));
  });

  it('maskedLoss (autograd) is the float64 weighted cross-entropy of the same draw', () => {
    const n = 6, B = 32;
    const net = new NoiseMLP({ n, widths: [8, 16], timeDim: 8, T: 10, residual: true, inputChannels: 2, outputChannels: 2 }, new Rng(1));
    const rng = new Rng(4);
    const x0 = Float32Array.from({ length: B * n }, () => rng.spin());
    const loss = maskedLoss(net, x0, B, new Rng(77)).item();
    const { z, weight } = maskedLossDraw(x0, B, new Rng(77));
    const logits = noGrad(() => net.forward(fromStorage(maskedInput(z, B), [B, 2 * n]), new Int32Array(B))).data;
    let ref = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) ref -= weight[b * n + i]! * logSigmoid64(x0[b * n + i]! * (logits[2 * n * b + n + i]! - logits[2 * n * b + i]!));
    expect(loss).toBeCloseTo(ref / (B * n), 4);
  });

  it('NELBO by random orders averages to the exact subset sum', () => {
    const n = 4;
    const net = new NoiseMLP({ n, widths: [8, 16], timeDim: 8, T: 10, residual: true, inputChannels: 2, outputChannels: 2 }, new Rng(2));
    const predict = (inp: Float32Array, B: number) => noGrad(() => net.forward(fromStorage(inp, [B, 2 * n]), new Int32Array(B))).data;
    const x = Int8Array.from([1, -1, -1, 1]);
    const cond: ConditionalLogits = (z) => {
      const l = predict(maskedInput(z, 1), 1);
      return Array.from({ length: n }, (_, i) => l[n + i]! - l[i]!);
    };
    const exact = maskedNelboExact(x, cond);
    const reps = 400;
    const est = maskedNelboOrders(predict, new Int8Array(reps * n).map((_, k) => x[k % n]!), n, 1, new Rng(8));
    const mean = est.reduce((a, v) => a + v, 0) / reps;
    const sd = Math.sqrt(est.reduce((a, v) => a + (v - mean) ** 2, 0) / (reps - 1));
    expect(Math.abs(mean - exact)).toBeLessThan(4 * sd / Math.sqrt(reps) + 1e-6);
  });

  it('reverse step: unmask probability (α_s − α_t)/(1 − α_t), values from σ(ℓ₊ − ℓ₋), unmasked sites kept', () => {
    const n = 3, B = 4000, t = 0.8, s = 0.5;
    const z = new Int8Array(B * n);
    for (let b = 0; b < B; b++) z.set([MASK, MASK, 1], b * n);
    const rowLogits = [0, 0.3, 0, 0, 1.2, 0]; // ℓ₋ | ℓ₊ : site 0 log-odds 0, site 1 log-odds 1.2−0.3
    const logits = new Float32Array(B * 2 * n);
    let refreshedRows = 0;
    const refresh = (rows: Int32Array): void => {
      refreshedRows += rows.length;
      for (const b of rows) logits.set(rowLogits, 2 * n * b);
    };
    maskedReverseStep(z, n, t, s, new Rng(6), logits, new Uint8Array(B).fill(1), refresh);
    const pU = (maskedAlpha(s) - maskedAlpha(t)) / (1 - maskedAlpha(t));
    for (const [site, pPlus] of [[0, 0.5], [1, 1 / (1 + Math.exp(-0.9))]] as const) {
      let un = 0, plus = 0;
      for (let b = 0; b < B; b++) {
        const v = z[b * n + site]!;
        if (v !== MASK) un++;
        if (v === 1) plus++;
      }
      expect(Math.abs(un / B - pU)).toBeLessThan(4 * Math.sqrt((pU * (1 - pU)) / B));
      expect(Math.abs(plus / un - pPlus)).toBeLessThan(4 * Math.sqrt((pPlus * (1 - pPlus)) / un));
    }
    for (let b = 0; b < B; b++) expect(z[b * n + 2]).toBe(1);
    expect(refreshedRows).toBeLessThanOrEqual(B);
    // At s = 0 every masked site is unmasked.
    const z2 = new Int8Array(6).fill(MASK);
    maskedReverseStep(z2, n, 0.1, 0, new Rng(1), new Float32Array(12), new Uint8Array(2).fill(1), () => {});
    expect(Array.from(z2).every((v) => v !== MASK)).toBe(true);
  });
});

describe('binary D3PM', () => {
  const sched = makeSchedule({ T: 50, kind: 'cosine' });

  it('forward marginals: Q_1⋯Q_t equals the closed form (1 ± ᾱ_t)/2 exactly', () => {
    let P: M2 = [1, 0, 0, 1];
    for (let t = 1; t <= sched.T; t++) {
      P = mul2(P, d3pmQ(sched.beta[t - 1]!));
      for (const x0 of [-1, 1]) {
        const pPlus = P[idx(x0) * 2 + 1]!;
        expect(pPlus).toBeCloseTo(d3pmForwardPlus(d3pmKeep(sched, t), x0), 12);
      }
    }
  });

  it('d3pmForward flips with probability (1 − ᾱ_t)/2 (within 4 SE)', () => {
    const rng = new Rng(2);
    const n = 8, B = 3000, t = 20;
    const x0 = Float32Array.from({ length: B * n }, () => rng.spin());
    const xt = d3pmForward(sched, x0, new Int32Array(B).fill(t), rng);
    let flips = 0;
    xt.forEach((v, i) => (v !== x0[i] ? flips++ : 0));
    const f = (1 - d3pmKeep(sched, t)) / 2, N = B * n;
    expect(Math.abs(flips / N - f)).toBeLessThan(4 * Math.sqrt((f * (1 - f)) / N));
  });

  it('posterior q(x_s | x_t, x_0) equals Bayes over the 2×2 matrix products, for strided s < t too', () => {
    const prod = (a: number, b: number): M2 => {
      let P: M2 = [1, 0, 0, 1];
      for (let r = a + 1; r <= b; r++) P = mul2(P, d3pmQ(sched.beta[r - 1]!));
      return P;
    };
    for (const [s, t] of [[1, 2], [9, 10], [3, 17], [0, 5], [24, 50]] as const) {
      const Qs = prod(0, s), Qst = prod(s, t), Qt = prod(0, t);
      for (const x0 of [-1, 1]) {
        for (const xt of [-1, 1]) {
          const bayes = (Qst[2 + idx(xt)]! * Qs[idx(x0) * 2 + 1]!) / Qt[idx(x0) * 2 + idx(xt)]!;
          expect(d3pmPosteriorPlus(d3pmKeep(sched, s), d3pmKeep(sched, t), xt, x0)).toBeCloseTo(bayes, 12);
        }
      }
    }
  });

  it('reverse step draws x_s = +1 with probability Σ_x0 q(x_s|x_t,x0) p̃(x0|x_t), and x_0 from p̃ at s = 0', () => {
    const n = 2, B = 5000, s = 10, t = 14;
    const kS = d3pmKeep(sched, s), kT = d3pmKeep(sched, t);
    const row = [0.2, -0.5, 1.0, 0.4]; // ℓ₋ | ℓ₊ → log-odds 0.8, 0.9
    const logits = new Float32Array(B * 4);
    for (let b = 0; b < B; b++) logits.set(row, 4 * b);
    for (const last of [false, true]) {
      const x = new Float32Array(B * n);
      for (let b = 0; b < B; b++) x.set([1, -1], b * n);
      d3pmReverseStep(x, logits, n, kS, kT, last, new Rng(last ? 1 : 2));
      for (let i = 0; i < n; i++) {
        const pi = 1 / (1 + Math.exp(-(row[2 + i]! - row[i]!)));
        const xt = i === 0 ? 1 : -1;
        const expected = last ? pi : pi * d3pmPosteriorPlus(kS, kT, xt, 1) + (1 - pi) * d3pmPosteriorPlus(kS, kT, xt, -1);
        expect(d3pmReversePlus(kS, kT, xt, pi)).toBeCloseTo(pi * d3pmPosteriorPlus(kS, kT, xt, 1) + (1 - pi) * d3pmPosteriorPlus(kS, kT, xt, -1), 14);
        let plus = 0;
        for (let b = 0; b < B; b++) if (x[b * n + i] === 1) plus++;
        expect(Math.abs(plus / B - expected)).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / B));
      }
    }
  });

  it('L_vb with the exact denoiser p(x0 | x_t) sums to H(x0) + KL(q(x_T) ‖ uniform) on one spin (exact)', () => {
    const rho = 0.8; // p(x0 = +1)
    const pX0 = (v: number): number => (v > 0 ? rho : 1 - rho);
    let total = 0;
    for (let t = 1; t <= sched.T; t++) {
      const k = d3pmKeep(sched, t);
      for (const xt of [-1, 1]) {
        // exact posterior π(x_t) = p(x0 = +1 | x_t)
        const joint = (x0: number): number => pX0(x0) * (1 + k * x0 * xt) / 2;
        const pi = joint(1) / (joint(1) + joint(-1));
        for (const x0 of [-1, 1]) total += joint(x0) * d3pmSiteLoss(sched, t, xt, x0, pi).vb;
      }
    }
    const kT = d3pmKeep(sched, sched.T);
    const qT = rho * (1 + kT) / 2 + (1 - rho) * (1 - kT) / 2;
    const H = -(rho * Math.log(rho) + (1 - rho) * Math.log(1 - rho));
    expect(total).toBeCloseTo(H + bernoulliKL(qT, 0.5), 10);
  });

  it('d3pmLoss (autograd) equals the mean of d3pmSiteLoss vb + λ·ce over the same draw', () => {
    const n = 5, B = 40, lambda = 0.3;
    const net = new NoiseMLP({ n, widths: [8, 16], timeDim: 8, T: sched.T, residual: true, outputChannels: 2 }, new Rng(3));
    const rng = new Rng(12);
    const x0 = Float32Array.from({ length: B * n }, () => rng.spin());
    const loss = d3pmLoss(net, sched, lambda, x0, B, new Rng(99)).item();
    // Replay the draw: t (B ints), then x_t.
    const r = new Rng(99);
    const t = new Int32Array(B);
    for (let b = 0; b < B; b++) t[b] = 1 + r.int(sched.T);
    const xt = d3pmForward(sched, x0, t, r);
    const logits = noGrad(() => net.forward(fromStorage(xt, [B, n]), t.map((v) => v - 1))).data;
    let ref = 0;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const pi = 1 / (1 + Math.exp(-(logits[2 * n * b + n + i]! - logits[2 * n * b + i]!)));
        const { vb, ce } = d3pmSiteLoss(sched, t[b]!, xt[b * n + i]!, x0[b * n + i]!, pi);
        ref += vb + lambda * ce;
      }
    }
    expect(loss).toBeCloseTo(ref / (B * n), 4);
  });
});
