import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { at, dims, entry, last, mapGet } from '../../src/util/checked.js';

describe('checked access', () => {
  it('at returns every element in range and throws outside, naming what was read', () => {
    fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 20 }), fc.integer({ min: -5, max: 25 }), (a, i) => {
      if (i >= 0 && i < a.length) expect(at(a, i)).toBe(a[i]);
      else expect(() => at(a, i, 'widths')).toThrow(/widths: no element at index/);
    }));
  });
  it('at works on typed arrays and strings alike', () => {
    expect(at(new Float32Array([1.5, 2]), 1)).toBe(2);
    expect(at('ab', 0)).toBe('a');
    expect(() => at(new Int32Array(2), 2, 'idx')).toThrow(RangeError);
  });
  it('last, entry, mapGet and dims check what they read', () => {
    expect(last([1, 2, 3])).toBe(3);
    expect(() => last([], 'steps')).toThrow(/steps/);
    expect(entry({ a: 1 }, 'a')).toBe(1);
    expect(() => entry<number>({ a: 1 }, 'b', 'state dict')).toThrow(/state dict: no entry 'b'/);
    expect(mapGet(new Map([[1, 'x']]), 1)).toBe('x');
    expect(() => mapGet(new Map<number, string>(), 7, 'vectors')).toThrow(/vectors: no entry 7/);
    const [m, n] = dims([3, 4], 2);
    expect(m * n).toBe(12);
    expect(() => dims([3, 4, 5], 2, 'matmul A')).toThrow(/matmul A: expected rank 2/);
  });
});
