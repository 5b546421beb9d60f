// Attacks: random flips against the closed-form (1 − 2p)² shrinkage (tolerance from the standard
// error), projections against their definition, greedy against exhaustive search, and the
// strength ordering PGD ≥ FGSM ≥ random on average over seeds.
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/index.js';
import { AbortError } from '../../src/util/errors.js';
import { skParams, sampleExact, dataMoments, inferNMF } from '../../src/ising/index.js';
import type { IsingParams, SpinData } from '../../src/ising/index.js';
import {
  applyFlips, attack, attackLossValue, feasible, projectRow, randomFlips, randomPerRowMask, roundRandom,
  type Budget,
} from '../../src/attack/index.js';

function skData(seed: number, n: number, m: number, g = 1): { truth: IsingParams; d: SpinData } {
  const rng = new Rng(seed);
  const truth = skParams(n, g, rng.fold('sk'));
  return { truth, d: sampleExact(truth, m, rng.fold('data')) };
}

test('random flips at rate p: ⟨s_i s_j⟩ shrinks by (1 − 2p)² within 4.5 standard errors', () => {
  const { d } = skData(1, 6, 20000, 1.5);
  const p = 0.1;
  const flipped = randomFlips(d, p, new Rng(2));
  const a = dataMoments(d).corr, b = dataMoments(flipped).corr;
  // per sample the product s_i s_j changes sign with probability q = 2p(1 − p): variance 4q(1 − q)
  const q = 2 * p * (1 - p), se = Math.sqrt((4 * q * (1 - q)) / d.m);
  let maxZ = 0;
  for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) maxZ = Math.max(maxZ, Math.abs(b[i * 6 + j]! - (1 - 2 * p) ** 2 * a[i * 6 + j]!) / se);
  expect(maxZ).toBeLessThan(4.5);
  // and the shrinkage is real (the test can fail): the uncorrected correlations are far outside
  let maxRaw = 0;
  for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) maxRaw = Math.max(maxRaw, Math.abs(b[i * 6 + j]! - a[i * 6 + j]!) / se);
  expect(maxRaw).toBeGreaterThan(10);
});

test('random-k per row: ⟨s_i s_j⟩ shrinks by 1 − 4k(n − k)/(n(n − 1)) (k of n without replacement)', () => {
  const n = 8, k = 2;
  const { d } = skData(3, n, 20000, 1.5);
  const F = randomPerRowMask(d.m, n, k, new Rng(4));
  expect(feasible(F, d.m, n, { kind: 'perRow', k })).toBe(true);
  const a = dataMoments(d).corr, b = dataMoments(applyFlips(d, F)).corr;
  const q = (2 * k * (n - k)) / (n * (n - 1)); // P(exactly one of i, j flipped)
  const se = Math.sqrt((4 * q * (1 - q)) / d.m);
  let maxZ = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) maxZ = Math.max(maxZ, Math.abs(b[i * n + j]! - (1 - 2 * q) * a[i * n + j]!) / se);
  expect(maxZ).toBeLessThan(5);
});

test('projectRow is the Euclidean projection onto {s ∈ [0,1]ⁿ, Σ s ≤ k} (no feasible point is closer)', () => {
  fc.assert(fc.property(
    fc.array(fc.double({ min: -2, max: 3, noNaN: true }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer(),
    (vals, k0, seed) => {
      const n = vals.length, k = Math.min(k0, n);
      const p = Float64Array.from(vals);
      projectRow(p, 0, n, k);
      let s = 0;
      for (const v of p) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); s += v; }
      expect(s).toBeLessThanOrEqual(k + 1e-9);
      const d = (q: ArrayLike<number>) => vals.reduce((a, v, i) => a + (v - q[i]!) ** 2, 0);
      const rng = new Rng(seed);
      for (let t = 0; t < 20; t++) {
        const q = Float64Array.from(p, (v) => Math.min(1, Math.max(0, v + 0.3 * (rng.uniform() - 0.5))));
        const sq = q.reduce((a, v) => a + v, 0);
        if (sq > k) for (let i = 0; i < n; i++) q[i] = q[i]! * (k / sq);
        expect(d(p)).toBeLessThanOrEqual(d(q) + 1e-9);
      }
    }), { numRuns: 200 });
});

test('randomised rounding is always feasible', () => {
  const rng = new Rng(5);
  const m = 30, n = 6;
  const S = Float64Array.from({ length: m * n }, () => rng.uniform());
  for (const k of [0, 1, 2, 6]) expect(feasible(roundRandom(S, m, n, { kind: 'perRow', k }, rng), m, n, { kind: 'perRow', k })).toBe(true);
});

// A well-posed estimator for tiny data: nMF of the moments shrunk toward independence (4 pseudo-samples)
const ridgeNMF = (d: SpinData): IsingParams => {
  const { mean, corr } = dataMoments(d);
  const n = d.n, a = d.m / (d.m + 4);
  const c = Float64Array.from(corr, (v, q) => (q % (n + 1) === 0 ? 1 : a * v));
  return inferNMF({ mean: Float64Array.from(mean, (v) => a * v), corr: c }).params;
};

/** Exhaustive optimum over every mask with ≤ 1 flip per row: (n+1)^M configurations. */
function exhaustive(d: SpinData, clean: IsingParams): { best: number; bestSingle: number } {
  const { m, n } = d;
  let best = -Infinity, bestSingle = -Infinity;
  const choice = new Int32Array(m); // 0: none, i+1: flip spin i
  const total = (n + 1) ** m;
  for (let c = 0; c < total; c++) {
    let x = c, flips = 0;
    const F = new Uint8Array(m * n);
    for (let r = 0; r < m; r++) { choice[r] = x % (n + 1); x = Math.floor(x / (n + 1)); if (choice[r]) { F[r * n + choice[r]! - 1] = 1; flips++; } }
    const v = attackLossValue({ kind: 'change' }, ridgeNMF(applyFlips(d, F)), clean);
    best = Math.max(best, v);
    if (flips === 1) bestSingle = Math.max(bestSingle, v);
  }
  return { best, bestSingle };
}

test('greedy agrees with exhaustive search on tiny cases (M = 5, n = 3, k = 1)', () => {
  const budget: Budget = { kind: 'perRow', k: 1 };
  let ratioSum = 0, hits = 0;
  const seeds = [1, 2, 3, 4, 5, 6];
  for (const seed of seeds) {
    const { d } = skData(seed, 3, 5);
    const clean = ridgeNMF(d);
    const ex = exhaustive(d, clean);
    const one = attack(d, { method: 'greedy', budget, estimator: ridgeNMF, rng: new Rng(seed), greedy: { maxFlips: 1 } });
    expect(one.loss).toBeCloseTo(ex.bestSingle, 12); // the first step is the exact best single flip
    const g = attack(d, { method: 'greedy', budget, estimator: ridgeNMF, rng: new Rng(seed) });
    expect(feasible(g.flips, d.m, d.n, budget)).toBe(true);
    expect(g.loss).toBeLessThanOrEqual(ex.best + 1e-12);
    ratioSum += g.loss / ex.best;
    if (g.loss >= ex.best * (1 - 1e-9)) hits++;
  }
  // coordinate ascent is a local method: it must find the global optimum in most tiny cases and be close on average
  expect(hits).toBeGreaterThanOrEqual(4);
  expect(ratioSum / seeds.length).toBeGreaterThan(0.9);
});

test('at equal budget PGD ≥ FGSM ≥ random on average over seeds (PLE refitted, k = 1)', () => {
  const budget: Budget = { kind: 'perRow', k: 1 };
  const sums = { random: 0, fgsm: 0, pgd: 0 };
  const seeds = [1, 2, 3];
  for (const seed of seeds) {
    const { d } = skData(seed, 8, 400);
    for (const method of ['random', 'fgsm', 'pgd'] as const) {
      const r = attack(d, { method, budget, estimator: 'ple', rng: new Rng(seed).fold(method), pgd: { steps: 30, restarts: 2, draws: 3 } });
      expect(feasible(r.flips, d.m, d.n, budget)).toBe(true);
      sums[method] += r.loss / seeds.length;
    }
  }
  expect(sums.fgsm).toBeGreaterThanOrEqual(sums.random);
  expect(sums.pgd).toBeGreaterThanOrEqual(sums.fgsm);
});

test('the oracle and target losses: never worse than clean; contamination stays within ⌊ρM⌋ rows', () => {
  const { truth, d } = skData(4, 6, 300);
  const o = attack(d, { method: 'pgd', budget: { kind: 'fraction', rho: 0.05 }, estimator: 'nmf', loss: { kind: 'oracle', truth }, rng: new Rng(1), pgd: { steps: 20, restarts: 1, draws: 2 } });
  expect(o.loss).toBeGreaterThanOrEqual(o.cleanLoss);
  expect(o.rowsChanged).toBeLessThanOrEqual(15);
  const t = attack(d, { method: 'fgsm', budget: { kind: 'perRow', k: 1 }, estimator: 'nmf', loss: { kind: 'target', i: 0, j: 1 }, rng: new Rng(1) });
  expect(t.loss).toBeGreaterThanOrEqual(t.cleanLoss);
});

test('an aborted signal stops an attack with AbortError', () => {
  const { d } = skData(1, 4, 50);
  expect(() => attack(d, { method: 'pgd', budget: { kind: 'perRow', k: 1 }, estimator: 'nmf', rng: new Rng(1), signal: { aborted: true } })).toThrow(/attack: aborted/);
  expect(() => attack(d, { method: 'greedy', budget: { kind: 'perRow', k: 1 }, estimator: 'nmf', rng: new Rng(1), signal: { aborted: true } })).toThrow(AbortError);
});
