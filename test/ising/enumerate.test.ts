import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { enumerate, probabilities, sampleExact, skParams, energy, stateSpins, dataMoments } from '../../src/ising/index.js';
import { bruteForce, maxAbsDiff } from './helpers.js';
import { enumerateReference } from './enumerate-reference.js';

describe('exact enumeration (Gray code, streamed) against brute force', () => {
  it('log Z, moments, entropy and energy statistics match brute force for n ≤ 10', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (n, g, seed) => {
        const p = skParams(n, g, new Rng(seed));
        const e = enumerate(p);
        const bf = bruteForce(p);
        expect(Math.abs(e.logZ - bf.logZ)).toBeLessThan(1e-10 * Math.max(1, Math.abs(bf.logZ)));
        expect(maxAbsDiff(e.mean, bf.mean)).toBeLessThan(1e-12);
        expect(maxAbsDiff(e.corr, bf.corr)).toBeLessThan(1e-12);
        expect(Math.abs(e.entropy - bf.entropy)).toBeLessThan(1e-10);
        expect(Math.abs(e.energyMean - bf.energyMean)).toBeLessThan(1e-10);
        expect(Math.abs(e.energyVar - bf.energyVar)).toBeLessThan(1e-9);
        const pr = probabilities(p);
        expect(maxAbsDiff(pr, bf.prob)).toBeLessThan(1e-13);
      }),
      { numRuns: 60 },
    );
  });

  it('the tabulated walk gives the plain walk\'s numbers bit for bit (n = 1..16, weak to huge couplings)', () => {
    const bits = (e: ReturnType<typeof enumerate>): number[] => [e.logZ, e.entropy, e.energyMean, e.energyVar, e.energyMin, ...e.mean, ...e.corr];
    for (let n = 1; n <= 16; n++) {
      for (const g of [0, 0.4, 1, 3, 40]) {
        const p = skParams(n, g, new Rng(1000 * n + 10 * g));
        const got = bits(enumerate(p)), want = bits(enumerateReference(p));
        expect(got.length).toBe(want.length);
        for (let k = 0; k < want.length; k++) if (!Object.is(got[k], want[k])) expect([n, g, k, got[k]]).toEqual([n, g, k, want[k]]);
      }
    }
  });

  it('stays finite with huge couplings (log-sum-exp): log Z = −E_min + log(degeneracy) in the limit', () => {
    const n = 6;
    const p = skParams(n, 1, new Rng(3));
    for (let k = 0; k < p.w.length; k++) p.w[k]! *= 2000; // energies ~ 10³: exp would overflow
    const e = enumerate(p);
    expect(Number.isFinite(e.logZ)).toBe(true);
    let emin = Infinity;
    for (let x = 0; x < 1 << n; x++) emin = Math.min(emin, energy(p, stateSpins(x, n)));
    expect(e.logZ).toBeGreaterThanOrEqual(-emin - 1e-9);
    expect(e.logZ).toBeLessThan(-emin + Math.log(2) + 1e-9); // the ground state pair (fields break it)
  });

  it('matches brute force with b = 0 and w = 0 (free spins: log Z = n log 2, entropy n log 2)', () => {
    const n = 13;
    const p = { n, b: new Float64Array(n), w: new Float64Array(n * n) };
    const e = enumerate(p);
    expect(e.logZ).toBeCloseTo(n * Math.log(2), 12);
    expect(e.entropy).toBeCloseTo(n * Math.log(2), 12);
    expect(maxAbsDiff(e.mean, new Float64Array(n))).toBeLessThan(1e-15);
  });
});

describe('exact sampling', () => {
  it('sample moments agree with exact moments within 5 standard errors (n = 10, g = 2)', () => {
    const p = skParams(10, 2, new Rng(11));
    const e = enumerate(p);
    const m = 20000;
    const d = sampleExact(p, m, new Rng(12));
    const dm = dataMoments(d);
    const n = p.n;
    for (let i = 0; i < n; i++) {
      const se = Math.sqrt((1 - e.mean[i]! ** 2) / m);
      expect(Math.abs(dm.mean[i]! - e.mean[i]!)).toBeLessThan(5 * se + 1e-12);
      for (let j = i + 1; j < n; j++) {
        const c = e.corr[i * n + j]!;
        const sec = Math.sqrt((1 - c * c) / m);
        expect(Math.abs(dm.corr[i * n + j]! - c)).toBeLessThan(5 * sec + 1e-12);
      }
    }
  });

  it('state frequencies follow the exact probabilities (chi-square, n = 4)', () => {
    const p = skParams(4, 1.5, new Rng(5));
    const pr = probabilities(p);
    const m = 40000;
    const d = sampleExact(p, m, new Rng(6));
    const counts = new Float64Array(16);
    for (let r = 0; r < m; r++) {
      let x = 0;
      for (let i = 0; i < 4; i++) if (d.s[r * 4 + i]! > 0) x |= 1 << i;
      counts[x]!++;
    }
    let chi2 = 0;
    for (let x = 0; x < 16; x++) chi2 += (counts[x]! - m * pr[x]!) ** 2 / (m * pr[x]!);
    // 15 degrees of freedom: P(χ² > 37.7) ≈ 0.001
    expect(chi2).toBeLessThan(37.7);
  });
});
