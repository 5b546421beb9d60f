import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { inferPLE, sampleExact, skParams, uniquePatterns, type IsingParams } from '../../src/ising/index.js';
import {
  fitNodal, inferScreening, l1KktResidual, nodalGradient, parseHistogram, screeningLambda, SCREENING_DEFAULT_C,
  type Histogram, type ScreeningMethod,
} from '../../src/ising/infer/rise.js';
import { bruteForce, maxAbsDiff } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(join(here, 'fixtures', 'gml', name), 'utf8');
const METHODS: ScreeningMethod[] = ['rise', 'logrise', 'rple'];
const REF_NAME: Record<ScreeningMethod, string> = { rise: 'RISE', logrise: 'logRISE', rple: 'RPLE' };

/** The smooth loss, written directly from the formulas (independent of the solver's code). */
function loss(method: ScreeningMethod, h: Histogram, u: number, x: ArrayLike<number>): number {
  const { n } = h;
  let f = 0;
  for (let k = 0; k < h.k; k++) {
    let a = 0;
    for (let j = 0; j < n; j++) a += x[j]! * h.s[k * n + u]! * (j === u ? 1 : h.s[k * n + j]!);
    const c = h.counts[k]! / h.total;
    f += method === 'rple' ? c * Math.log1p(Math.exp(-2 * a)) : c * Math.exp(-a);
  }
  return method === 'logrise' ? Math.log(f) : f;
}

function objective(method: ScreeningMethod, h: Histogram, u: number, x: ArrayLike<number>, lambda: number): number {
  let p = 0;
  for (let j = 0; j < h.n; j++) if (j !== u) p += Math.abs(x[j]!);
  return loss(method, h, u, x) + lambda * p;
}

function histogramOf(p: IsingParams): Histogram {
  // Exact probabilities as fractional counts: the population limit.
  const { prob } = bruteForce(p);
  const n = p.n;
  const s = new Int8Array(prob.length * n);
  for (let x = 0; x < prob.length; x++) for (let i = 0; i < n; i++) s[x * n + i] = (x >> i) & 1 ? 1 : -1;
  return { n, k: prob.length, s, counts: Float64Array.from(prob), total: 1 };
}

describe('interaction screening against GraphicalModelLearning.jl test vectors', () => {
  for (const name of ['a', 'b', 'c']) {
    for (const method of METHODS) {
      it(`${name}: ${REF_NAME[method]} with the default c reproduces the reference to 1e-6, at a KKT point`, () => {
        const h = parseHistogram(fixture(`${name}_samples.csv`));
        expect(h.total).toBe(1_000_000);
        const ref = fixture(`${name}_${REF_NAME[method]}_learned.csv`).trim().split('\n').map((l) => l.split(',').map(Number));
        const r = inferScreening(method, h);
        const n = h.n;
        let d = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          const v = i === j ? r.params.b[i]! : r.params.w[i * n + j]!;
          d = Math.max(d, Math.abs(v - ref[i]![j]!));
        }
        expect(d).toBeLessThan(1e-6);
        expect(r.settings['lambda']).toBeCloseTo(SCREENING_DEFAULT_C[method] * Math.sqrt(Math.log((n * n) / 0.05) / 1e6), 15);
        // KKT of each row, with the gradient recomputed by central differences of the loss as written above
        const lambda = r.settings['lambda'] as number;
        for (let u = 0; u < n; u++) {
          const x = r.raw.subarray(u * n, u * n + n);
          const g = new Float64Array(n);
          for (let j = 0; j < n; j++) {
            const e = 1e-5;
            const xp = Float64Array.from(x);
            const xm = Float64Array.from(x);
            xp[j]! += e;
            xm[j]! -= e;
            g[j] = (loss(method, h, u, xp) - loss(method, h, u, xm)) / (2 * e);
          }
          expect(l1KktResidual(g, x, lambda, u)).toBeLessThan(1e-8);
          expect(l1KktResidual(nodalGradient(method, h, u, Float64Array.from(x)), x, lambda, u)).toBeLessThan(1e-10);
        }
      });
    }
  }
});

describe('proximal Newton solver', () => {
  it('finds the minimum: no coordinate or random perturbation lowers the ℓ1 objective, and sparse solutions have exact zeros', () => {
    const p = skParams(7, 0.6, new Rng(5));
    const h = uniquePatterns(sampleExact(p, 300, new Rng(6)));
    for (const method of METHODS) {
      // a large λ forces some couplings to exactly zero, which tests the nonsmooth part of the KKT conditions
      const lambda = 2 * screeningLambda(SCREENING_DEFAULT_C[method], 7, 300);
      for (let u = 0; u < 7; u++) {
        const fit = fitNodal(method, h, u, lambda);
        expect(fit.converged).toBe(true);
        const F = objective(method, h, u, fit.x, lambda);
        const rng = new Rng(100 + u);
        for (let trial = 0; trial < 30; trial++) {
          const y = Float64Array.from(fit.x);
          if (trial < 14) y[trial % 7]! += (trial < 7 ? 1 : -1) * 1e-4;
          else for (let j = 0; j < 7; j++) y[j]! += rng.normal(0, 1e-3);
          expect(objective(method, h, u, y, lambda)).toBeGreaterThanOrEqual(F - 1e-14);
        }
      }
      const zeros = Array.from(inferScreening(method, h, { lambda, symmetrize: false }).raw).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(0); // exact zeros from the soft threshold
    }
  });

  it('with λ = 0 on the exact distribution, each estimator is consistent: it returns the true parameters', () => {
    const p = skParams(5, 0.8, new Rng(11));
    const h = histogramOf(p);
    for (const method of METHODS) {
      const r = inferScreening(method, h, { lambda: 0 });
      expect(r.diagnostics['converged']).toBe(true);
      expect(maxAbsDiff(r.params.w, p.w)).toBeLessThan(1e-9);
      expect(maxAbsDiff(r.params.b, p.b)).toBeLessThan(1e-9);
    }
  });

  it('RPLE with λ = 0 is plain pseudo-likelihood (inferPLE, an independent Newton solver)', () => {
    const p = skParams(6, 0.7, new Rng(21));
    const data = sampleExact(p, 2000, new Rng(22));
    const a = inferScreening('rple', data, { lambda: 0 });
    const b = inferPLE(data);
    expect(maxAbsDiff(a.params.w, b.params.w)).toBeLessThan(1e-8);
    expect(maxAbsDiff(a.params.b, b.params.b)).toBeLessThan(1e-8);
  });

  it('parseHistogram rejects malformed rows', () => {
    expect(() => parseHistogram('3,1,-1\n2,1')).toThrow(/row 2/);
    expect(() => parseHistogram('3,1,0')).toThrow(/not ±1/);
    expect(() => parseHistogram('-1,1,1')).toThrow(/count/);
  });
});
