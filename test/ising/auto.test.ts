import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { sampleExact, skParams, latticeParams } from '../../src/ising/index.js';
import { inferAuto, pseudoLogLikelihood } from '../../src/ising/infer/auto.js';
import { bruteForce } from './helpers.js';

describe('infer --method auto', () => {
  it('pseudoLogLikelihood is Σ_i log P(s_i | s_−i) (checked against conditionals from the enumerated distribution)', () => {
    const p = skParams(4, 1, new Rng(1));
    const d = sampleExact(p, 7, new Rng(2));
    const { prob } = bruteForce(p);
    const idx = (s: ArrayLike<number>) => { let x = 0; for (let i = 0; i < 4; i++) if (s[i]! > 0) x |= 1 << i; return x; };
    let want = 0;
    for (let k = 0; k < 7; k++) {
      const s = Array.from(d.s.subarray(k * 4, k * 4 + 4));
      for (let i = 0; i < 4; i++) {
        const t = s.slice();
        t[i] = -t[i]!;
        want += Math.log(prob[idx(s)]! / (prob[idx(s)]! + prob[idx(t)]!));
      }
    }
    expect(pseudoLogLikelihood(p, d)).toBeCloseTo(want / 7, 12);
  });

  it('a sparse lattice: RPLE wins on held-out data; the reason lists the candidates', () => {
    const truth = latticeParams(4, 5, new Rng(3), { J: 0.5, fieldSd: 0.1 });
    const r = inferAuto(sampleExact(truth, 500, new Rng(4)));
    expect(r.choice.method).toBe('rple');
    expect(r.choice.reason).toMatch(/n = 20 > 16.*ple -?\d.*rple -?\d/);
    expect(Object.keys(r.choice.heldOut!).sort()).toEqual(['ple', 'rple']);
  });

  it('small n: exact MLE is a candidate; separable data drop PLE', () => {
    const small = inferAuto(sampleExact(skParams(6, 1, new Rng(1)), 500, new Rng(2)));
    expect(Object.keys(small.choice.heldOut!).sort()).toEqual(['mle', 'ple', 'rple']);
    // 18 spins, 60 samples: conditional regressions are separable
    const sep = inferAuto(sampleExact(skParams(18, 1, new Rng(3)), 60, new Rng(4)));
    expect(sep.choice.method).toBe('rple');
    expect(sep.choice.reason).toMatch(/dropped PLE|separable/);
    for (const v of sep.params.w) expect(Number.isFinite(v)).toBe(true);
  });
});
