import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { blockPatterns, skParams, energy, uniquePatterns, weightedMoments } from '../../src/ising/index.js';

describe('block lookup tables for energies and moments', () => {
  it('match the direct O(n²) sums for any n, block size and weights', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1e6 }), (n, B, k, seed) => {
        const r = new Rng(seed);
        const s = Int8Array.from({ length: n * k }, () => r.spin());
        const p = skParams(n, 1.5, r);
        const eng = blockPatterns(s, n, k, B);
        const u = new Float64Array(k);
        eng.minusEnergies(p, u);
        for (let t = 0; t < k; t++) expect(Math.abs(u[t]! + energy(p, s, t * n))).toBeLessThan(1e-12);
        const q = Float64Array.from({ length: k }, () => r.uniform());
        const mean = new Float64Array(n);
        const corr = new Float64Array(n * n);
        eng.moments(q, mean, corr);
        const ref = weightedMoments(s, n, q);
        for (let i = 0; i < n; i++) expect(Math.abs(mean[i]! - ref.mean[i]!)).toBeLessThan(1e-12);
        for (let i = 0; i < n * n; i++) expect(Math.abs(corr[i]! - ref.corr[i]!)).toBeLessThan(1e-12);
      }),
      { numRuns: 80 },
    );
  });

  it('unique patterns keep counts that sum to m and reproduce every row', () => {
    const r = new Rng(7);
    const n = 33;
    const m = 500;
    const s = Int8Array.from({ length: n * m }, (_, k) => (k % n < 30 ? 1 : r.spin())); // only 8 distinct rows
    const pt = uniquePatterns({ n, m, s });
    expect(pt.k).toBeLessThanOrEqual(8);
    expect(pt.counts.reduce((a, v) => a + v, 0)).toBe(m);
    const keys = new Map<string, number>();
    for (let t = 0; t < pt.k; t++) keys.set(pt.s.subarray(t * n, t * n + n).join(','), pt.counts[t]!);
    const seen = new Map<string, number>();
    for (let t = 0; t < m; t++) {
      const key = s.subarray(t * n, t * n + n).join(',');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen).toEqual(keys);
  });
});
