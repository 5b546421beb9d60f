import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { accuracyByHiddenCount, completeApprox, completeExact, energy, reconstruct, sampleExact, skParams } from '../../src/ising/index.js';

describe('reconstruction of hidden spins', () => {
  it('exact completion is the lowest-energy completion (brute force over 2^h)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const r = new Rng(seed);
        const p = skParams(n, 2, r);
        const s = Int8Array.from({ length: n }, () => r.spin());
        const h = 1 + r.int(n);
        const hidden = Array.from(r.permutation(n).subarray(0, h));
        const out = new Int8Array(n);
        completeExact(p, s, hidden, out);
        let best = Infinity;
        const t = Int8Array.from(s);
        for (let x = 0; x < 1 << h; x++) {
          hidden.forEach((i, k) => (t[i] = (x >> k) & 1 ? 1 : -1));
          best = Math.min(best, energy(p, t));
        }
        expect(energy(p, out)).toBeCloseTo(best, 10);
        for (let i = 0; i < n; i++) if (!hidden.includes(i)) expect(out[i]).toBe(s[i]);
      }),
      { numRuns: 60 },
    );
  });

  it('the approximate search ends in a local minimum no worse than its mean-field start', () => {
    const n = 30;
    const r = new Rng(4);
    const p = skParams(n, 1, r);
    const s = Int8Array.from({ length: n }, () => r.spin());
    const hidden = Array.from(r.permutation(n).subarray(0, 25));
    const out = new Int8Array(n);
    completeApprox(p, s, hidden, out, r, 4);
    const e = energy(p, out);
    for (const i of hidden) {
      out[i] = -out[i]!;
      expect(energy(p, out)).toBeGreaterThanOrEqual(e - 1e-12);
      out[i] = -out[i]!;
    }
  });

  it('with the true model, accuracy beats chance and matches the exact conditional-mode rate', () => {
    const p = skParams(12, 2, new Rng(9));
    const data = sampleExact(p, 300, new Rng(10));
    const res = reconstruct(p, data, [0, 3, 5, 7]);
    expect(res.total).toBe(1200);
    expect(res.accuracy).toBeGreaterThan(0.6);
    expect(res.approximate).toBe(0);
    // filled data keeps observed spins
    for (let r = 0; r < 300; r++) expect(res.filled.s[r * 12 + 1]).toBe(data.s[r * 12 + 1]);
  });

  it('accuracy per hidden count draws from the candidates only and counts every hidden entry', () => {
    const p = skParams(8, 1.5, new Rng(19));
    const data = sampleExact(p, 200, new Rng(20));
    const rows = accuracyByHiddenCount(p, data, [1, 2, 5], new Rng(21), { candidates: [0, 2, 4, 6, 7] });
    expect(rows.map((r) => [r.hidden, r.total])).toEqual([[1, 200], [2, 400], [5, 1000]]);
    // All five candidates hidden: the same as a fixed hidden list of those five.
    const all = reconstruct(p, data, [0, 2, 4, 6, 7]);
    expect(rows[2]!.correct).toBe(all.correct);
    expect(() => accuracyByHiddenCount(p, data, [6], new Rng(1), { candidates: [0, 1] })).toThrow(/hidden count 6 must be in 1..2/);
  });

  it('rejects out-of-range indices and n mismatches', () => {
    const p = skParams(5, 1, new Rng(1));
    const d = sampleExact(p, 3, new Rng(2));
    expect(() => reconstruct(p, d, [5])).toThrow(/hidden index 5 out of range 0..4/);
    expect(() => reconstruct(skParams(6, 1, new Rng(1)), d, [1])).toThrow(/n=6 but data has n=5/);
  });
});
