// The bench's ratio intervals: the bootstrap interval contains the ratio of medians, is the point
// for constant samples, narrows as repeats grow, and is reproducible (seeded).
import { describe, expect, it } from 'vitest';
import { median, ratioInterval } from '../../bench/stats.js';

describe('bench statistics', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('ratio of medians with a 95% bootstrap interval around it', () => {
    expect(ratioInterval([10, 10, 10], [5, 5])).toEqual({ ratio: 2, lo: 2, hi: 2 });
    const a = [10, 11, 9, 12, 10.5], b = [5, 5.5, 4.8, 5.2, 6];
    const q = ratioInterval(a, b);
    expect(q.ratio).toBeCloseTo(median(a) / median(b), 12);
    expect(q.lo).toBeLessThanOrEqual(q.ratio);
    expect(q.hi).toBeGreaterThanOrEqual(q.ratio);
    expect(q.lo).toBeGreaterThanOrEqual(9 / 6);
    expect(q.hi).toBeLessThanOrEqual(12 / 4.8);
    expect(ratioInterval(a, b)).toEqual(q);
    // Spread samples: more repeats, a narrower interval.
    const noisy = (k: number, c: number): number[] => Array.from({ length: k }, (_, i) => c * (1 + 0.3 * Math.sin(7 * i)));
    const w = (k: number): number => { const r = ratioInterval(noisy(k, 10), noisy(k, 5)); return r.hi - r.lo; };
    expect(w(40)).toBeLessThan(w(5));
  });
});
