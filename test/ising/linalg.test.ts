/**
 * ising/linalg against an independent implementation (mathjs, a dev-dependency only) on random
 * matrices, and the Cholesky path against Gauss–Jordan. Tolerances from the backward-error bound
 * of an inverse: |X − X̂| ≲ c·k·κ·ε·|X| with κ bounded by construction (below), c = 64.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inv as mInv, lusolve as mSolve } from 'mathjs';
import { cholesky, invert, invertSPD, solve, solveSPD } from '../../src/ising/linalg.js';
import { inferNMF } from '../../src/ising/infer/meanfield.js';
import { enumerate, skParams } from '../../src/ising/index.js';
import { Rng } from '../../src/random/index.js';
import { DataError } from '../../src/util/errors.js';

const EPS = 2 ** -52;
/** Below this, values are subnormal (fast-check generates them): relative bounds need a floor. */
const TINY = 1e-300;
/** mathjs's lusolve takes |v| below its absTol (1e-15) for zero (lusolve([[3,0],[0,3]], [0, -3e-300]) = [0, 0]): keep right-hand sides clear of it. */
const rhs = (k: number) => fc.array(fc.double({ min: -10, max: 10, noNaN: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v)), { minLength: k, maxLength: k });
const rows = (a: Float64Array, k: number): number[][] => Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * k, i * k + k)));
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>): number => maxAbsDiff(a, new Float64Array(a.length));

/** Strictly diagonally dominant with margin ≥ 1 (diagonal ±(k+1) + U(−1,1), off-diagonal U(−1,1)): ‖A⁻¹‖∞ ≤ 1, κ∞ ≤ 2k+2. */
const general = fc.integer({ min: 1, max: 12 }).chain((k) =>
  fc.tuple(fc.constant(k), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: k * k, maxLength: k * k }), fc.array(fc.boolean(), { minLength: k, maxLength: k }), rhs(k)).map(([k, r, neg, y]) => {
    const a = Float64Array.from(r);
    for (let i = 0; i < k; i++) a[i * k + i] = (neg[i] ? -1 : 1) * (k + 1) + r[i * k + i]!;
    return { k, a, y: Float64Array.from(y), kappa: 2 * k + 2 };
  }));

/** BᵀB + I with B entries U(−1,1): eigenvalues in [1, 1 + k²], κ ≤ 1 + k². */
const spd = fc.integer({ min: 1, max: 12 }).chain((k) =>
  fc.tuple(fc.constant(k), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: k * k, maxLength: k * k }), rhs(k)).map(([k, b, y]) => {
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      let v = i === j ? 1 : 0;
      for (let p = 0; p < k; p++) v += b[p * k + i]! * b[p * k + j]!;
      a[i * k + j] = v;
    }
    return { k, a, y: Float64Array.from(y), kappa: 1 + k * k };
  }));

describe('linalg against mathjs', () => {
  it('invert and solve (Gauss–Jordan) equal mathjs inv and lusolve', () => {
    fc.assert(fc.property(general, ({ k, a, y, kappa }) => {
      const want = Float64Array.from((mInv(rows(a, k)) as number[][]).flat());
      const got = invert(a, k);
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(64 * k * kappa * EPS * maxAbs(want) + TINY);
      const xs = Float64Array.from((mSolve(rows(a, k), Array.from(y)) as number[][]).flat());
      expect(maxAbsDiff(solve(a, y, k), xs)).toBeLessThanOrEqual(64 * k * kappa * EPS * (maxAbs(xs) + maxAbs(want) * maxAbs(y)) + TINY);
    }), { numRuns: 150, seed: 14 });
  });

  it('Cholesky: L lower with a positive diagonal and L·Lᵀ = a; invertSPD and solveSPD equal mathjs and Gauss–Jordan', () => {
    fc.assert(fc.property(spd, ({ k, a, y, kappa }) => {
      const L = cholesky(a, k);
      const LLt = new Float64Array(k * k);
      for (let i = 0; i < k; i++) {
        expect(L[i * k + i]!).toBeGreaterThan(0);
        for (let j = i + 1; j < k; j++) expect(L[i * k + j]).toBe(0);
        for (let j = 0; j < k; j++) for (let p = 0; p < k; p++) LLt[i * k + j]! += L[i * k + p]! * L[j * k + p]!;
      }
      expect(maxAbsDiff(LLt, a)).toBeLessThanOrEqual(64 * k * EPS * maxAbs(a) + TINY);
      const want = Float64Array.from((mInv(rows(a, k)) as number[][]).flat());
      const got = invertSPD(a, k);
      const tol = 64 * k * kappa * EPS * maxAbs(want) + TINY;
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(got, invert(a, k))).toBeLessThanOrEqual(tol);
      for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) expect(got[i * k + j]).toBe(got[j * k + i]); // exactly symmetric
      const xs = Float64Array.from((mSolve(rows(a, k), Array.from(y)) as number[][]).flat());
      const xtol = 64 * k * kappa * EPS * (maxAbs(xs) + maxAbs(want) * maxAbs(y)) + TINY;
      expect(maxAbsDiff(solveSPD(a, y, k), xs)).toBeLessThanOrEqual(xtol);
      expect(maxAbsDiff(solveSPD(a, y, k), solve(a, y, k))).toBeLessThanOrEqual(xtol);
    }), { numRuns: 150, seed: 14 });
  });

  it('a matrix that is not positive definite is refused as such (a DataError naming it); Gauss–Jordan refuses a singular one', () => {
    // Indefinite: symmetric with a negative eigenvalue (mathjs agrees it is invertible).
    const ind = Float64Array.from([1, 2, 2, 1]);
    expect(() => cholesky(ind, 2, 'C')).toThrow(DataError);
    expect(() => cholesky(ind, 2, 'C')).toThrow(/C is not positive definite/);
    expect(Math.abs(maxAbs(Float64Array.from((mInv(rows(ind, 2)) as number[][]).flat())))).toBeGreaterThan(0);
    // Rank deficient (two equal rows of B in BᵀB... here two identical spins): singular for both paths.
    const sing = Float64Array.from([1, 1, 0.5, 1, 1, 0.5, 0.5, 0.5, 1]);
    expect(() => invertSPD(sing, 3, 'C')).toThrow(DataError);
    expect(() => invert(sing, 3, 'C')).toThrow(/C is singular/);
  });

  it('mean-field inference through Cholesky gives the Gauss–Jordan couplings (exact moments of an SK model)', () => {
    const p = skParams(9, 0.3, new Rng(3));
    const e = enumerate(p);
    const n = 9;
    const C = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] = e.corr[i * n + j]! - e.mean[i]! * e.mean[j]!;
    const gj = invert(C, n);
    const r = inferNMF({ mean: e.mean, corr: e.corr });
    let worst = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) worst = Math.max(worst, Math.abs(r.params.w[i * n + j]! + (gj[i * n + j]! + gj[j * n + i]!) / 2));
    expect(worst).toBeLessThanOrEqual(1e-12 * maxAbs(gj));
  });
});
