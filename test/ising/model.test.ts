import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { skParams, energy, energies, paramsFrom01, paramsTo01, spinsTo01, spinsFrom01, mse, checkParams, energyStats, paramCorrelation } from '../../src/ising/index.js';

describe('SK parameters', () => {
  it('are symmetric with zero diagonal and variance g²/n (within 5 standard errors)', () => {
    const n = 60;
    const g = 1.7;
    const p = skParams(n, g, new Rng(1));
    checkParams(p);
    const v: number[] = Array.from(p.b);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v.push(p.w[i * n + j]!);
    const mean = v.reduce((a, x) => a + x, 0) / v.length;
    const var_ = v.reduce((a, x) => a + x * x, 0) / v.length;
    const target = (g * g) / n;
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(target / v.length));
    expect(Math.abs(var_ - target)).toBeLessThan(5 * target * Math.sqrt(2 / v.length));
  });
});

describe('energy', () => {
  it('equals −b·s − Σ_{i<j} w_ij s_i s_j written out', () => {
    const p = skParams(3, 1, new Rng(2));
    const s = [1, -1, 1];
    const w = (i: number, j: number) => p.w[i * 3 + j]!;
    const expected = -(p.b[0]! - p.b[1]! + p.b[2]!) - (w(0, 1) * -1 + w(0, 2) * 1 + w(1, 2) * -1);
    expect(energy(p, s)).toBeCloseTo(expected, 14);
    const e = energies(p, { n: 3, m: 2, s: Int8Array.from([1, -1, 1, -1, -1, -1]) });
    expect(e[0]).toBeCloseTo(expected, 14);
  });

  it('0/1 conversion preserves energy differences (same distribution), and round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const r = new Rng(seed);
        const p = skParams(n, 1.3, r);
        const { h, J } = paramsTo01(p);
        const back = paramsFrom01(h, J, n);
        expect(mse(p, back).mse).toBeLessThan(1e-24);
        const e01 = (x: Uint8Array) => {
          let e = 0;
          for (let i = 0; i < n; i++) {
            e -= h[i]! * x[i]!;
            for (let j = i + 1; j < n; j++) e -= J[i * n + j]! * x[i]! * x[j]!;
          }
          return e;
        };
        const s1 = Int8Array.from({ length: n }, () => r.spin());
        const s2 = Int8Array.from({ length: n }, () => r.spin());
        const d01 = e01(spinsTo01(s1)) - e01(spinsTo01(s2));
        const dpm = energy(p, s1) - energy(p, s2);
        expect(Math.abs(d01 - dpm)).toBeLessThan(1e-10);
        expect(Array.from(spinsFrom01(spinsTo01(s1)))).toEqual(Array.from(s1));
      }),
      { numRuns: 50 },
    );
  });

  it('checkParams names the asymmetric entry', () => {
    const p = skParams(4, 1, new Rng(3));
    p.w[1 * 4 + 2]! += 0.5;
    expect(() => checkParams(p, 'x.json')).toThrow(/x\.json: w\[1\]\[2\] .* w\[2\]\[1\]/);
  });
});

describe('metrics', () => {
  it('mse averages over n + n(n−1)/2 free parameters; parts are per-block means', () => {
    const n = 3;
    const a = { n, b: new Float64Array(n), w: new Float64Array(n * n) };
    const b = { n, b: Float64Array.from([1, 0, 0]), w: new Float64Array(n * n) };
    b.w[0 * 3 + 1] = b.w[1 * 3 + 0] = 2;
    const r = mse(a, b);
    expect(r.mse).toBeCloseTo((1 + 4) / 6, 15);
    expect(r.mse_b).toBeCloseTo(1 / 3, 15);
    expect(r.mse_w).toBeCloseTo(4 / 3, 15);
    expect(paramCorrelation(b, b)).toBeCloseTo(1, 14);
  });

  it('energyStats gives the mean and population variance of the energies', () => {
    const p = skParams(5, 1, new Rng(4));
    const d = { n: 5, m: 2, s: Int8Array.from([1, 1, 1, 1, 1, -1, -1, -1, -1, -1]) };
    const e = energies(p, d);
    const st = energyStats(p, d);
    expect(st.mean).toBeCloseTo((e[0]! + e[1]!) / 2, 14);
    expect(st.variance).toBeCloseTo(((e[0]! - e[1]!) / 2) ** 2, 14);
  });
});
