import { describe, expect, it } from 'vitest';
import { energyVarianceStop } from '../../src/diffusion/stopping.js';
import type { VariancePoint } from '../../src/diffusion/stopping.js';
import { Rng } from '../../src/random/index.js';

/** A synthetic curve sampled every 500 iterations with multiplicative noise of 4% (2000 samples). */
function curve(f: (it: number) => number, seed: number, noise = 0.04, until = 15000): VariancePoint[] {
  const rng = new Rng(seed);
  const out: VariancePoint[] = [];
  for (let it = 500; it <= until; it += 500) out.push({ iteration: it, ratio: f(it) * Math.exp(noise * rng.normal()) });
  return out;
}

describe('energy-variance stopping rule', () => {
  it('g = 1 kind: falls from ~2 to a plateau above 1, never crosses; picks a plateau point after the budget', () => {
    const f = (it: number): number => 1.08 + 1.0 * Math.exp(-it / 1500);
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = curve(f, seed);
      const d = energyVarianceStop(c, { minIterations: 5000 });
      expect(d.crossed).toBe(false);
      expect(d.bestIndex).toBeGreaterThanOrEqual(0);
      const chosen = c[d.bestIndex]!.iteration;
      expect(chosen).toBeGreaterThanOrEqual(5000);
      // The noise-free curve at the chosen point is on the plateau (within 2% of its level).
      expect(f(chosen) / 1.08 - 1).toBeLessThan(0.02);
    }
  });

  it('g = 1.5 kind: an early crossing before the budget is not taken; the closest eligible point is', () => {
    // Crosses 1 near 3000 iterations, goes down to 0.85 and comes back up towards 1.0 later.
    const f = (it: number): number => 0.85 + 1.2 * Math.exp(-it / 1200) + 0.15 * (1 - Math.exp(-Math.max(0, it - 4000) / 2500));
    const c = curve(f, 7, 0.02);
    const first = energyVarianceStop(c, { window: 1 }).firstCrossingIndex;
    const d = energyVarianceStop(c, { minIterations: 5000 });
    expect(d.crossed).toBe(true);
    expect(c[first]!.iteration).toBeLessThan(5000);
    expect(c[d.firstCrossingIndex]!.iteration).toBeLessThan(5000);
    expect(c[d.bestIndex]!.iteration).toBeGreaterThan(10000);
    // Chosen smoothed distance is the minimum over eligible points.
    const elig = d.smoothed.filter((_, k) => c[k]!.iteration >= 5000);
    expect(d.smoothed[d.bestIndex]).toBe(Math.min(...elig));
  });

  it('a U-shaped curve stops after `patience` evaluations past its minimum, not before', () => {
    const pts: VariancePoint[] = [1.8, 1.5, 1.3, 1.15, 1.05, 1.01, 1.04, 1.1, 1.2, 1.3, 1.45, 1.6].map((r, k) => ({ iteration: (k + 1) * 1000, ratio: r }));
    const rule = { minIterations: 2000, window: 1, patience: 3 };
    for (let k = 1; k <= pts.length; k++) {
      const d = energyVarianceStop(pts.slice(0, k), rule);
      expect(d.stop).toBe(k >= 9); // minimum at index 5; three more evaluations: 6, 7, 8
    }
    expect(energyVarianceStop(pts, rule).bestIndex).toBe(5);
  });

  it('smoothing averages log ratios so that noise around 1 cancels', () => {
    const pts = [1.1, 1 / 1.1, 1.1, 1 / 1.1].map((r, k) => ({ iteration: k, ratio: r }));
    const d = energyVarianceStop(pts, { window: 2 });
    expect(d.smoothed[1]).toBeCloseTo(0, 12);
    expect(d.smoothed[3]).toBeCloseTo(0, 12);
    expect(d.smoothed[0]).toBeCloseTo(Math.log(1.1), 12);
    const raw = energyVarianceStop(pts, { window: 1 });
    expect(raw.crossed).toBe(true);
    expect(raw.firstCrossingIndex).toBe(1);
  });

  it('nothing eligible before the budget; bad ratios are errors', () => {
    expect(energyVarianceStop([{ iteration: 10, ratio: 1 }], { minIterations: 100 }).bestIndex).toBe(-1);
    expect(() => energyVarianceStop([{ iteration: 10, ratio: 0 }])).toThrow(/ratio/);
  });
});
