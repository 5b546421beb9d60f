import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { enumerate, sampleMcmc, sampleTempering, skParams, type IsingParams, type SpinData } from '../../src/ising/index.js';

/**
 * Compare chain moments with exact ones. Standard errors come from the spread of per-chain
 * means (chains are independent), so autocorrelation inside a chain is accounted for.
 */
function checkMoments(p: IsingParams, d: SpinData, chains: number) {
  const ex = enumerate(p);
  const { n, m } = d;
  const per = m / chains;
  const stats = (f: (row: number) => number, exact: number) => {
    const means: number[] = [];
    for (let c = 0; c < chains; c++) {
      let s = 0;
      for (let k = 0; k < per; k++) s += f(c * per + k);
      means.push(s / per);
    }
    const mu = means.reduce((a, v) => a + v, 0) / chains;
    const sd = Math.sqrt(means.reduce((a, v) => a + (v - mu) ** 2, 0) / (chains - 1));
    const se = sd / Math.sqrt(chains);
    return Math.abs(mu - exact) / Math.max(se, 1e-3);
  };
  let worst = 0;
  for (let i = 0; i < n; i++) {
    worst = Math.max(worst, stats((r) => d.s[r * n + i]!, ex.mean[i]!));
    for (let j = i + 1; j < n; j++) worst = Math.max(worst, stats((r) => d.s[r * n + i]! * d.s[r * n + j]!, ex.corr[i * n + j]!));
  }
  return worst;
}

describe('MCMC samplers against exact enumeration', () => {
  for (const sampler of ['metropolis', 'gibbs'] as const) {
    it(`${sampler}: moments within 5 standard errors (n = 10, g = 1)`, () => {
      const p = skParams(10, 1, new Rng(51));
      const chains = 40;
      const r = sampleMcmc(p, 8000, new Rng(52), { sampler, chains, burnIn: 200, thin: 2 });
      expect(r.acceptance).toBeGreaterThan(0.05);
      expect(r.acceptance).toBeLessThan(1);
      expect(checkMoments(p, r.data, chains)).toBeLessThan(5);
    });
  }

  it('parallel tempering: moments within 5 standard errors on a rough landscape (n = 12, g = 2), swaps accepted', () => {
    const p = skParams(12, 2, new Rng(61));
    const chains = 20;
    const r = sampleTempering(p, 4000, new Rng(62), { chains, burnIn: 200, thin: 2 });
    expect(checkMoments(p, r.data, chains)).toBeLessThan(5);
    expect(r.swapAcceptance!.length).toBe(11);
    for (const a of r.swapAcceptance!) expect(a).toBeGreaterThan(0.05);
  });

  it('metropolis at g = 2 (n = 8) also agrees within 5 standard errors', () => {
    const p = skParams(8, 2, new Rng(71));
    const chains = 40;
    const r = sampleMcmc(p, 8000, new Rng(72), { chains, burnIn: 300, thin: 3 });
    expect(checkMoments(p, r.data, chains)).toBeLessThan(5);
  });

  it('the same seed gives the same samples', () => {
    const p = skParams(6, 1, new Rng(1));
    const a = sampleMcmc(p, 100, new Rng(5), { burnIn: 10 });
    const b = sampleMcmc(p, 100, new Rng(5), { burnIn: 10 });
    expect(Array.from(a.data.s)).toEqual(Array.from(b.data.s));
  });
});
