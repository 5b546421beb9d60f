import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { sampleExact, skParams } from '../../src/ising/index.js';
import { AUTO_EXACT_N, chooseEstimator, inferAuto } from '../../src/ising/infer/auto.js';

describe('infer --method auto', () => {
  it('exact MLE while enumerable, PLE beyond, each with a reason', () => {
    expect(chooseEstimator(AUTO_EXACT_N, 100).method).toBe('mle');
    const c = chooseEstimator(AUTO_EXACT_N + 1, 2000);
    expect(c.method).toBe('ple');
    expect(c.reason).toMatch(/n = 17 > 16/);
    const small = inferAuto(sampleExact(skParams(6, 1, new Rng(1)), 500, new Rng(2)));
    expect(small.method).toBe('mle-exact');
  });

  it('falls back to RPLE when the data are separable (PLE has no finite optimum)', () => {
    // 18 spins, 12 samples: every conditional regression is separable
    const data = sampleExact(skParams(18, 1, new Rng(3)), 12, new Rng(4));
    const r = inferAuto(data);
    expect(r.choice.method).toBe('rple');
    expect(r.choice.reason).toMatch(/separable/);
    expect(r.diagnostics['converged']).toBe(true);
    for (const v of r.params.w) expect(Number.isFinite(v)).toBe(true);
  });
});
