import { describe, expect, it } from 'vitest';
import { SinusoidalTimeEmbedding } from '../../src/nn/index.js';
import { tensor } from '../../src/tensor/index.js';

/**
 * Oracle: the thesis SinusoidalPosEmb in closed form. With half = dim // 2, its frequencies
 * exp(−j·log(10000)/(half−1)) equal 10000^(−j/(half−1)), so
 *   emb(t)[j] = sin(t·10000^(−j/(half−1))), emb(t)[half + j] = cos(t·10000^(−j/(half−1))).
 */
function byHand(t: number, dim: number): number[] {
  const half = Math.floor(dim / 2);
  const f = Array.from({ length: half }, (_, j) => 10000 ** (-j / (half - 1)));
  return [...f.map((x) => Math.sin(t * x)), ...f.map((x) => Math.cos(t * x))];
}

describe('SinusoidalTimeEmbedding', () => {
  it('matches the closed form of the thesis SinusoidalPosEmb (float64 output)', () => {
    const emb = new SinusoidalTimeEmbedding(16, { dtype: 'float64' });
    const ts = [0, 1, 17, 500, 999];
    const out = emb.forward(tensor(ts, { dtype: 'float64' }));
    expect(out.shape).toEqual([5, 16]);
    ts.forEach((t, i) => {
      const want = byHand(t, 16);
      for (let j = 0; j < 16; j++) expect(Math.abs(out.data[i * 16 + j]! - want[j]!)).toBeLessThan(1e-12);
    });
    // The first frequency is 1 and the last 1/10000, exactly as the formula's end points.
    expect(emb.freqs[0]).toBe(1);
    expect(emb.freqs[7]).toBeCloseTo(1e-4, 16);
  });

  it('float32 output: the float64 values rounded once; t = 0 gives [0…0, 1…1]', () => {
    const emb = new SinusoidalTimeEmbedding(1000);
    const out = emb.forward([0, 321]);
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([2, 1000]);
    for (let j = 0; j < 500; j++) {
      expect(out.data[j]).toBe(0);
      expect(out.data[500 + j]).toBe(1);
    }
    const want = byHand(321, 1000);
    for (let j = 0; j < 1000; j++) expect(Math.abs(out.data[1000 + j]! - want[j]!)).toBeLessThan(1e-6);
  });

  it('fast path for one t over the whole batch equals the general path', () => {
    const emb = new SinusoidalTimeEmbedding(12);
    const general = emb.forward([250, 3]); // not all equal: general path
    const same = emb.forward([250, 250, 250]);
    const constant = emb.embedConstant(250, 4);
    expect(same.shape).toEqual([3, 12]);
    expect(constant.shape).toEqual([4, 12]);
    const row = Array.from(general.data.subarray(0, 12));
    for (let i = 0; i < 3; i++) expect(Array.from(same.data.subarray(i * 12, (i + 1) * 12))).toEqual(row);
    for (let i = 0; i < 4; i++) expect(Array.from(constant.data.subarray(i * 12, (i + 1) * 12))).toEqual(row);
    expect(emb.embedConstant(5, 0).shape).toEqual([0, 12]);
  });

  it('odd dim gives dim − 1 columns (as PyTorch); tiny dims and bad shapes are errors', () => {
    const emb = new SinusoidalTimeEmbedding(7);
    expect(emb.outDim).toBe(6);
    expect(emb.forward([2]).shape).toEqual([1, 6]);
    expect(() => new SinusoidalTimeEmbedding(3)).toThrow(/dim must be an integer ≥ 4/);
    expect(() => emb.forward(tensor([[1, 2]]))).toThrow(/t must have shape \[B\]/);
    expect(emb.parameters()).toHaveLength(0);
  });
});
