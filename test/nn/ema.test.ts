import { describe, expect, it } from 'vitest';
import { EMA, Linear } from '../../src/nn/index.js';
import { Rng } from '../../src/random/index.js';

/** Oracle: shadow_k = d^k·s₀ + (1 − d)·Σ_{j=1..k} d^{k−j}·p_j (the recursion unrolled). */
describe('EMA', () => {
  it('follows the closed form over several updates with changing parameters', () => {
    const lin = new Linear(3, 2, new Rng(1), { dtype: 'float64' });
    const d = 0.9;
    const ema = new EMA(lin, d);
    const s0 = Array.from(lin.weight.data);
    const history: number[][] = [];
    const rng = new Rng(2);
    for (let k = 1; k <= 5; k++) {
      for (let i = 0; i < lin.weight.size; i++) lin.weight.data[i] = rng.normal();
      history.push(Array.from(lin.weight.data));
      ema.update(lin);
    }
    for (let i = 0; i < lin.weight.size; i++) {
      let want = d ** 5 * s0[i]!;
      for (let j = 1; j <= 5; j++) want += (1 - d) * d ** (5 - j) * history[j - 1]![i]!;
      expect(Math.abs(ema.shadow.weight!.data[i]! - want)).toBeLessThan(1e-14);
    }
    expect(ema.updates).toBe(5);
  });

  it('with constant parameters: s_k = c + (s₀ − c)·d^k', () => {
    const lin = new Linear(2, 2, new Rng(3));
    const ema = new EMA(lin, 0.99);
    const s0 = Array.from(lin.bias!.data);
    lin.bias!.data.fill(0.5);
    for (let k = 0; k < 20; k++) ema.update(lin);
    s0.forEach((s, i) => expect(Math.abs(ema.shadow.bias!.data[i]! - (0.5 + (s - 0.5) * 0.99 ** 20))).toBeLessThan(1e-12));
  });

  it('float64 shadows keep small updates that float32 shadows lose', () => {
    const lin = new Linear(1, 1, new Rng(4), { bias: false });
    lin.weight.data[0] = 1;
    const e64 = new EMA(lin, 0.9999);
    const e32 = new EMA(lin, 0.9999, { dtype: 'float32' });
    const p = Math.fround(1 + 2e-4);
    lin.weight.data[0] = p;
    for (let k = 0; k < 100; k++) { e64.update(lin); e32.update(lin); }
    // Each step should move the average by (1 − d)(p − s) ≈ 2e-8, less than half an ulp of 1 in
    // float32 (6e-8): the float32 average never moves, while the exact one moves by ≈ 2e-6.
    const exact = p - (p - 1) * 0.9999 ** 100;
    expect(Math.abs(e64.shadow.weight!.data[0]! - exact)).toBeLessThan(1e-13);
    expect(e32.shadow.weight!.data[0]).toBe(1);
    expect(exact - 1).toBeGreaterThan(1e-6);
  });

  it('copyTo, swapIn/restore and withAveraged', () => {
    const lin = new Linear(2, 3, new Rng(5));
    const ema = new EMA(lin, 0.5);
    const orig = Array.from(lin.weight.data);
    lin.weight.data.fill(1);
    ema.update(lin); // shadow = (orig + 1) / 2
    const avg = orig.map((v) => Math.fround((v + 1) / 2));
    const seen = ema.withAveraged(lin, () => Array.from(lin.weight.data));
    expect(seen).toEqual(avg);
    expect(Array.from(lin.weight.data)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => ema.withAveraged(lin, () => { throw new Error('boom'); })).toThrow('boom');
    expect(Array.from(lin.weight.data)).toEqual([1, 1, 1, 1, 1, 1]);
    ema.swapIn(lin);
    expect(() => ema.swapIn(lin)).toThrow(/already swapped in/);
    ema.restore(lin);
    expect(() => ema.restore(lin)).toThrow(/nothing to restore/);
    ema.copyTo(lin);
    expect(Array.from(lin.weight.data)).toEqual(avg);
  });

  it('refuses a module with other parameters', () => {
    const ema = new EMA(new Linear(2, 3, new Rng(1)));
    expect(() => ema.update(new Linear(2, 3, new Rng(1), { bias: false }))).toThrow(/module has 1 parameters, the average 2/);
    expect(() => ema.update(new Linear(3, 3, new Rng(1)))).toThrow(/'weight' has 9 elements, its shadow 6/);
    expect(() => new EMA(new Linear(1, 1, new Rng(1)), 1.5)).toThrow(/decay must be in \[0, 1\]/);
  });
});
