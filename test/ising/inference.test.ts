import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { pleGradHess } from '../../src/ising/infer/ple.js';
import {
  enumerate, inferExactMLE, inferMcmcMLE, inferNMF, inferPLE, inferTAP, mse, sampleExact, skParams, dataMoments, invert, stateSpins, probabilities,
  type IsingParams,
} from '../../src/ising/index.js';
import { maxAbsDiff } from './helpers.js';

function upper(p: IsingParams) {
  const out: number[] = [...p.b];
  for (let i = 0; i < p.n; i++) for (let j = i + 1; j < p.n; j++) out.push(p.w[i * p.n + j]!);
  return out;
}

describe('exact maximum likelihood', () => {
  it('recovers the parameters whose exact moments it is given (to 1e-6)', () => {
    for (const [n, g, seed] of [[6, 1, 1], [8, 2, 2]] as const) {
      const p = skParams(n, g, new Rng(seed));
      const e = enumerate(p);
      const r = inferExactMLE(null, { moments: { mean: e.mean, corr: e.corr }, tol: 1e-10 });
      expect(r.diagnostics['converged']).toBe(true);
      expect(maxAbsDiff(upper(r.params), upper(p))).toBeLessThan(1e-6);
    }
  });

  it('is optimal on strongly correlated data: model moments equal data moments to 1e-6', () => {
    const p = skParams(9, 2, new Rng(81));
    const data = sampleExact(p, 500, new Rng(82));
    const r = inferExactMLE(data, { tol: 1e-8 });
    const e = enumerate(r.params);
    const dm = dataMoments(data);
    expect(maxAbsDiff(e.mean, dm.mean)).toBeLessThan(1e-6);
    expect(maxAbsDiff(e.corr, dm.corr)).toBeLessThan(1e-6);
  });

  it('gradient ascent (the paper baseline) moves toward the same optimum', () => {
    const p = skParams(6, 0.5, new Rng(91));
    const data = sampleExact(p, 2000, new Rng(92));
    const lb = inferExactMLE(data);
    const gd = inferExactMLE(data, { optimizer: 'gd', gamma: 0.5, maxIter: 3000, tol: 1e-9 });
    expect(maxAbsDiff(upper(gd.params), upper(lb.params))).toBeLessThan(1e-6);
  });
});

describe('Boltzmann learning (MCMC moments)', () => {
  it('lands near exact MLE (within sampling noise of the chains)', () => {
    const p = skParams(8, 1, new Rng(101));
    const data = sampleExact(p, 4000, new Rng(102));
    const ex = inferExactMLE(data);
    const r = inferMcmcMLE(data, new Rng(103), { iterations: 600, chains: 400, sweeps: 1, gamma: 0.1 });
    // Per-iteration moment noise ~ 1/√400 = 0.05, damped by γ: the parameters sit well within 0.05.
    expect(mse(ex.params, r.params).mse).toBeLessThan(0.0025);
  });
});

describe('pseudo-likelihood', () => {
  it('is consistent: on the exact distribution (all states weighted by p) it recovers the parameters', () => {
    const p = skParams(7, 1.5, new Rng(111));
    const pr = probabilities(p);
    const n = 7;
    const s = new Int8Array((1 << n) * n);
    for (let x = 0; x < 1 << n; x++) s.set(stateSpins(x, n), x * n);
    const r = inferPLE({ n, m: 1 << n, s }, { weights: pr, tol: 1e-13 });
    expect(maxAbsDiff(upper(r.params), upper(p))).toBeLessThan(1e-8);
  });

  it('solves each regression: gradient of every conditional log-likelihood vanishes', () => {
    const p = skParams(6, 1, new Rng(121));
    const data = sampleExact(p, 800, new Rng(122));
    const r = inferPLE(data);
    expect(r.diagnostics['gradMax'] as number).toBeLessThan(1e-9);
  });
});

describe('mean-field inversions in the weak-coupling limit', () => {
  it('with fields of order 1 and couplings of order g: nMF errors shrink like g², TAP like g³ (given exact moments)', () => {
    // (C⁻¹)_ij = −w_ij − 2 w_ij² m_i m_j + O(w³): nMF drops the O(g²) term, TAP keeps it.
    const base = skParams(8, 1, new Rng(131));
    const err = (g: number, f: typeof inferNMF | typeof inferTAP) => {
      const p = { n: 8, b: base.b, w: base.w.map((v) => v * g) };
      const e = enumerate(p);
      const r = f({ mean: e.mean, corr: e.corr });
      return Math.sqrt(mse(p, r.params).mse);
    };
    const n1 = err(0.1, inferNMF), n2 = err(0.05, inferNMF);
    const t1 = err(0.1, inferTAP), t2 = err(0.05, inferTAP);
    expect(n1 / n2).toBeGreaterThan(3.5); // ratio 4 for an O(g²) error
    expect(n1 / n2).toBeLessThan(4.5);
    expect(t1).toBeLessThan(n1 / 3);
    expect(t1 / t2).toBeGreaterThan(6.5); // ratio 8 for an O(g³) error
  });

  it('the Gauss-Jordan inverse inverts', () => {
    const k = 6;
    const r = new Rng(5);
    const a = Float64Array.from({ length: k * k }, () => r.normal());
    const inv = invert(a, k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      let v = 0;
      for (let l = 0; l < k; l++) v += a[i * k + l]! * inv[l * k + j]!;
      expect(v).toBeCloseTo(i === j ? 1 : 0, 12);
    }
    expect(() => invert(new Float64Array(4), 2, 'zero matrix')).toThrow(/zero matrix is singular/);
  });

  it('say which spin is constant instead of inverting a singular matrix', () => {
    const s = Int8Array.from([1, 1, -1, 1, 1, -1, -1, 1]);
    expect(() => inferNMF({ n: 2, m: 4, s: Int8Array.from([1, 1, 1, -1, 1, 1, 1, -1]) })).toThrow(/spin 0 is constant/);
    expect(s.length).toBe(8);
  });
});

describe('PLE gradient and Hessian (rows four at a time)', () => {
  it('equal, bit for bit, the row-by-row sums of the definition (any row count, so every remainder)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 1e6 }), (n, k, seed) => {
        const r = new Rng(seed);
        const s = Int8Array.from({ length: n * k }, () => r.spin());
        const counts = Float64Array.from({ length: k }, () => 1 + r.int(5));
        const pt = { n, k, s, counts, total: counts.reduce((a, v) => a + v, 0) };
        const h = Float64Array.from({ length: k }, () => r.normal());
        const i = r.int(n);
        const grad = new Float64Array(n), hess = new Float64Array(n * n);
        pleGradHess(pt, i, h, grad, hess, new Float64Array(4 * n));
        // The definition, one row at a time: x = [1, s without s_i].
        const g2 = new Float64Array(n), h2 = new Float64Array(n * n);
        for (let row = 0; row < k; row++) {
          const x = [1, ...Array.from(s.subarray(row * n, row * n + n)).filter((_, j) => j !== i)];
          const t = Math.tanh(h[row]!);
          const c = counts[row]! / pt.total;
          const gr = c * (t - s[row * n + i]!), wr = c * (1 - t * t);
          x.forEach((xa, a) => {
            g2[a]! += gr * xa;
            for (let b = a; b < n; b++) h2[a * n + b]! += wr * xa * (x[b] ?? NaN);
          });
        }
        expect(grad).toEqual(g2);
        expect(hess).toEqual(h2);
      }),
      { numRuns: 60 },
    );
  });
});
