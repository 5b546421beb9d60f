import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';

describe('Rng', () => {
  it('is reproducible per seed and differs between seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 20 }, () => a.nextU32());
    const xb = Array.from({ length: 20 }, () => b.nextU32());
    const xc = Array.from({ length: 20 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    // large seeds differing only above 2^32 still give different streams
    expect(new Rng(2 ** 40).nextU32()).not.toBe(new Rng(2 ** 41).nextU32());
  });

  it('matches the xoshiro128** reference output for a given state', () => {
    // Reference: state (1,2,3,4) -> first outputs of the published C code.
    const r = new Rng(new Uint32Array([1, 2, 3, 4]));
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([11520, 0, 5927040]);
  });

  it('uniform mean and variance are within 5 standard errors', () => {
    const r = new Rng(7);
    const N = 200_000;
    let s = 0, s2 = 0, outOfRange = 0;
    for (let i = 0; i < N; i++) { const u = r.uniform(); if (!(u >= 0 && u < 1)) outOfRange++; s += u; s2 += u * u; }
    expect(outOfRange).toBe(0);
    const mean = s / N, v = s2 / N - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    // Var of (u - 1/2)^2 is 1/180; standard error of the variance estimate sqrt(1/180/N).
    expect(Math.abs(v - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
  });

  it('normal mean and variance are within 5 standard errors', () => {
    const r = new Rng(8);
    const N = 200_000;
    let s = 0, s2 = 0;
    for (let i = 0; i < N; i++) { const z = r.normal(); s += z; s2 += z * z; }
    const mean = s / N, v = s2 / N - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
  });

  it('int is in range and uniform (chi-square)', () => {
    const r = new Rng(9);
    const k = 7, N = 70_000, counts = new Array(k).fill(0);
    for (let i = 0; i < N; i++) counts[r.int(k)]++;
    const e = N / k;
    const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(22.46); // chi2(6) 0.999 quantile
    expect(() => r.int(0)).toThrow(/integer/);
  });

  it('choice follows the weights (5 standard errors per bin)', () => {
    const r = new Rng(10);
    const w = [1, 0, 3, 6], N = 50_000, counts = [0, 0, 0, 0];
    for (let i = 0; i < N; i++) counts[r.choice(w)]!++;
    expect(counts[1]).toBe(0);
    for (let i = 0; i < 4; i++) {
      const p = w[i]! / 10;
      expect(Math.abs(counts[i]! / N - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / N) + 1e-12);
    }
    expect(() => r.choice([0, 0])).toThrow(/sum to 0/);
    expect(() => r.choice([1, -1])).toThrow(/weight 1/);
  });

  it('shuffle/permutation are permutations (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 50 }), (seed, n) => {
      const p = new Rng(seed).permutation(n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }));
  });

  it('split streams are independent of the parent and reproducible', () => {
    const a = new Rng(5), b = new Rng(5);
    const ca = a.split(), cb = b.split();
    expect(ca.nextU32()).toBe(cb.nextU32());
    const parent = Array.from({ length: 8 }, () => a.nextU32());
    const child = Array.from({ length: 8 }, () => ca.nextU32());
    expect(parent).not.toEqual(child);
    // correlation between parent and child uniforms is ~0
    const N = 20_000; let sxy = 0;
    for (let i = 0; i < N; i++) sxy += (a.uniform() - 0.5) * (ca.uniform() - 0.5);
    expect(Math.abs(sxy / N) * 12).toBeLessThan(5 / Math.sqrt(N));
  });

  it('fillNormal gives exactly the values of normal() called once per element, and leaves the same state', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.nat(3), fc.nat(9), fc.constantFrom([0, 1], [2.5, 0.3], [-1, 3]),
      (seed, before, len, [mean, std]) => {
        const a = new Rng(seed), b = new Rng(seed);
        for (let i = 0; i < before; i++) { a.normal(); b.normal(); } // odd: a spare normal is pending
        const want = Float64Array.from({ length: len }, () => a.normal(mean!, std!));
        const got = b.fillNormal(new Float64Array(len), mean, std);
        expect(Array.from(got, (v, i) => Object.is(v, want[i]))).toEqual(new Array(len).fill(true));
        expect([b.normal(), b.nextU32()]).toEqual([a.normal(), a.nextU32()]);
      }));
  });

  it('fillNormal draws u again where it is 0, as normal() does', () => {
    // State [a, 0, a, c]: the first two outputs are 0, so the first uniform is exactly 0.
    const a = new Rng(new Uint32Array([5, 0, 5, 9])), b = new Rng(new Uint32Array([5, 0, 5, 9]));
    expect(new Rng(new Uint32Array([5, 0, 5, 9])).uniform()).toBe(0);
    const want = Float32Array.from({ length: 5 }, () => a.normal());
    expect(b.fillNormal(new Float32Array(5))).toEqual(want);
    expect(want.every(Number.isFinite)).toBe(true);
    expect(b.nextU32()).toBe(a.nextU32());
  });

  it('skipNormals(k) leaves the state and spare normal that fillNormal of k values leaves', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.nat(3), fc.nat(41), (seed, before, k) => {
      const a = new Rng(seed), b = new Rng(seed);
      for (let i = 0; i < before; i++) { a.normal(); b.normal(); } // odd: a spare normal is pending
      a.fillNormal(new Float64Array(k));
      b.skipNormals(k);
      expect(b.snapshot()).toEqual(a.snapshot());
      expect([b.normal(), b.normal(), b.nextU32()]).toEqual([a.normal(), a.normal(), a.nextU32()]);
    }));
  });

  it('skipNormals skips a u of 0 as fillNormal redraws it, and refuses a bad count', () => {
    for (const k of [1, 2, 5]) {
      const a = new Rng(new Uint32Array([5, 0, 5, 9])), b = new Rng(new Uint32Array([5, 0, 5, 9]));
      a.fillNormal(new Float64Array(k));
      b.skipNormals(k);
      expect(b.snapshot()).toEqual(a.snapshot());
    }
    // Without the redraw the skip would end two draws early.
    const plain = new Rng(new Uint32Array([5, 0, 5, 9]));
    for (let i = 0; i < 4; i++) plain.nextU32();
    const skipped = new Rng(new Uint32Array([5, 0, 5, 9]));
    skipped.skipNormals(2);
    expect(skipped.snapshot().state).not.toEqual(plain.snapshot().state);
    for (const bad of [-1, 1.5, NaN]) expect(() => new Rng(1).skipNormals(bad)).toThrow(/skipNormals: count/);
  });

  it('snapshot and restore carry the state and the spare normal; restore refuses what is not a state', () => {
    const a = new Rng(8); a.normal();
    const s = a.snapshot();
    const b = Rng.fromSnapshot(s), c = new Rng(99);
    c.restore(s);
    const want = [a.normal(), a.normal(), a.uniform()];
    expect([b.normal(), b.normal(), b.uniform()]).toEqual(want);
    expect([c.normal(), c.normal(), c.uniform()]).toEqual(want);
    expect(() => c.restore({ state: new Uint32Array(3), spare: null })).toThrow(/4 words/);
    expect(() => c.restore({ state: new Uint32Array(4), spare: null })).toThrow(/all-zero/);
    expect(() => c.restore({ state: Uint32Array.of(1, 2, 3, 4), spare: NaN })).toThrow(/spare normal/);
  });

  it('clone continues identically', () => {
    const a = new Rng(3); a.normal();
    const b = a.clone();
    expect([a.normal(), a.uniform()]).toEqual([b.normal(), b.uniform()]);
  });
});

describe('Rng.fold (named streams)', () => {
  it('does not advance the parent and is order-independent', () => {
    const a = new Rng(7), b = new Rng(7);
    const a1 = a.fold('train', 3).nextU32();
    a.fold('eval');
    const b2 = b.fold('eval').nextU32();
    const b1 = b.fold('train', 3).nextU32();
    expect(b1).toBe(a1);
    expect(a.fold('eval').nextU32()).toBe(b2);
    expect(a.nextU32()).toBe(new Rng(7).nextU32());
  });
  it('gives distinct streams for distinct labels', () => {
    const k = new Rng(1);
    const firsts = new Set<number>();
    const labels: (string | number)[][] = [['a'], ['b'], ['ab'], ['a', 'b'], ['train', 0], ['train', 1], ['train', 2 ** 32], [0], [1], ['eval']];
    for (const l of labels) firsts.add(k.fold(...l).nextU32());
    expect(firsts.size).toBe(labels.length);
  });
  it('gives uniform output (mean of 20000 uniforms within 4 standard errors)', () => {
    const r = new Rng(3).fold('x', 5);
    let s = 0;
    const N = 20000;
    for (let i = 0; i < N; i++) s += r.uniform();
    expect(Math.abs(s / N - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
  });
  it('rejects bad integer labels', () => {
    expect(() => new Rng(1).fold(-1)).toThrow(/fold/);
    expect(() => new Rng(1).fold(1.5)).toThrow(/fold/);
  });
});
