import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { blockPatterns, setLaneKernels, skParams, energy, uniquePatterns, weightedMoments } from '../../src/ising/index.js';
import { enableWasmLanes } from '../../src/ising/blocked-wasm.js';

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

  it('several parameter sets in one pass give bit for bit what each gives alone (1–6 sets; WebAssembly passes of 4, JavaScript passes of 4, 2, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 9, max: 30 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1e6 }), (n, B, lanes, k, seed) => {
        const r = new Rng(seed);
        const s = Int8Array.from({ length: n * k }, () => r.spin());
        const ps = Array.from({ length: lanes }, () => skParams(n, 1.5, r));
        const qs = Array.from({ length: lanes }, () => Float64Array.from({ length: k }, () => r.uniform()));
        for (const wasm of [true, false]) {
          setLaneKernels(null);
          if (wasm) enableWasmLanes();
          const eng = blockPatterns(s, n, k, B);
          expect(eng.kernel).toBe(wasm ? 'wasm' : 'js');
          const us = ps.map(() => new Float64Array(k));
          const means = ps.map(() => new Float64Array(n));
          const corrs = ps.map(() => new Float64Array(n * n));
          eng.minusEnergiesMany(ps, us);
          eng.momentsMany(qs, means, corrs);
          for (let e = 0; e < lanes; e++) {
            const u = new Float64Array(k), mean = new Float64Array(n), corr = new Float64Array(n * n);
            eng.minusEnergies(ps[e]!, u);
            eng.moments(qs[e]!, mean, corr);
            expect(us[e]).toEqual(u);
            expect(means[e]).toEqual(mean);
            expect(corrs[e]).toEqual(corr);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('the WebAssembly SIMD passes (4 lanes, unused ones padded) give bit for bit the JavaScript passes (2- and 4-byte pattern index)', () => {
    fc.assert(
      fc.property(fc.constantFrom(20, 33, 61), fc.constantFrom(3, 4, 6), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 1e6 }), (n, B, lanes, k, seed) => {
        const r = new Rng(seed);
        const s = Int8Array.from({ length: n * k }, () => r.spin());
        const ps = Array.from({ length: lanes }, () => skParams(n, 1.5, r));
        const qs = Array.from({ length: lanes }, () => Float64Array.from({ length: k }, () => r.uniform()));
        const run = (kernel: 'auto' | 'js') => {
          const eng = blockPatterns(s, n, k, B, { kernel });
          const us = ps.map(() => new Float64Array(k));
          const means = ps.map(() => new Float64Array(n));
          const corrs = ps.map(() => new Float64Array(n * n));
          eng.minusEnergiesMany(ps, us);
          eng.momentsMany(qs, means, corrs);
          return { kernel: eng.kernel, us, means, corrs };
        };
        expect(enableWasmLanes()).toBe(true); // Node ≥ 20 has WebAssembly SIMD
        const w = run('auto');
        setLaneKernels(null);
        const j = run('js');
        expect(run('auto').kernel).toBe('js'); // nothing installed: the JavaScript loops
        expect(w.kernel).toBe('wasm');
        expect(j.kernel).toBe('js');
        expect(w.us).toEqual(j.us);
        expect(w.means).toEqual(j.means);
        expect(w.corrs).toEqual(j.corrs);
      }),
      { numRuns: 15 },
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
