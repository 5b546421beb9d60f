// The bench's ratio intervals: the bootstrap interval contains the ratio of medians, is the point
// for constant samples, narrows as repeats grow, and is reproducible (seeded).
import { describe, expect, it } from 'vitest';
import { median, medianInterval, perRound, ratioInterval } from '../../bench/stats.js';

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
  it('median with a 95% bootstrap interval, and per-round ratios', () => {
    expect(medianInterval([3, 3, 3])).toEqual({ value: 3, lo: 3, hi: 3 });
    const xs = [1.9, 1.2, 1.85, 1.95, 1.1, 1.88, 1.92, 1.3, 1.9];
    const q = medianInterval(xs);
    expect(q.value).toBe(median(xs));
    expect(q.lo).toBeLessThanOrEqual(q.value);
    expect(q.hi).toBeGreaterThanOrEqual(q.value);
    expect(q.lo).toBeGreaterThanOrEqual(Math.min(...xs));
    expect(q.hi).toBeLessThanOrEqual(Math.max(...xs));
    expect(medianInterval(xs)).toEqual(q);
    const spread = (k: number): number[] => Array.from({ length: k }, (_, i) => 1 + 0.3 * Math.sin(7 * i));
    const w = (k: number): number => { const r = medianInterval(spread(k)); return r.hi - r.lo; };
    expect(w(60)).toBeLessThan(w(6));
    expect(() => medianInterval([])).toThrow(/no values/);
    // Paired by index, over the rounds both sides have.
    expect(perRound([4, 9, 6], [2, 3])).toEqual([2, 3]);
  });
});
