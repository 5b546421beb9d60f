import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { windowMeans } from '../../src/plot/series.js';

describe('windowMeans', () => {
  it('gives the mean of each window of `width` values, the last one shorter, at the count reached', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (v, w) => {
        const { x, y } = windowMeans(v, w);
        expect(x.length).toBe(Math.ceil(v.length / w));
        x.forEach((end, k) => {
          const win = v.slice(k * w, (k + 1) * w);
          expect(end).toBe(k * w + win.length);
          expect(y[k]).toBeCloseTo(win.reduce((a, b) => a + b, 0) / win.length, 9);
        });
      }),
    );
  });
  it('refuses a width that is not a positive integer', () => {
    expect(() => windowMeans([1, 2], 0)).toThrow(/width/);
    expect(() => windowMeans([1, 2], 1.5)).toThrow(/width/);
  });
});
