import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { combineEpsRuns, erasureMachine, erasureFit, defaultEpsGrid, linspace, mse, sampleExact, skParams, paramsToOps, opsToParams, reconstruct, type SpinData } from '../../src/ising/index.js';
import { smokingProtocol } from './smoking-protocol.js';

/** The reweighted moments ⟨s⟩_{f_ε}, ⟨s s⟩_{f_ε}, written directly from the definition. */
function reweightedMoments(data: SpinData, p: { b: Float64Array; w: Float64Array }, eps: number) {
  const { n, m, s } = data;
  const logq = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let u = 0; // −E
    for (let i = 0; i < n; i++) {
      u += p.b[i]! * s[k * n + i]!;
      for (let j = i + 1; j < n; j++) u += p.w[i * n + j]! * s[k * n + i]! * s[k * n + j]!;
    }
    logq[k] = (eps - 1) * u; // f · p^{ε−1}
  }
  const mx = Math.max(...logq);
  let z = 0;
  const q = Array.from(logq, (v) => Math.exp(v - mx));
  for (const v of q) z += v;
  const mean = new Float64Array(n);
  const corr = new Float64Array(n * n);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) {
      mean[i]! += (q[k]! / z) * s[k * n + i]!;
      for (let j = 0; j < n; j++) corr[i * n + j]! += (q[k]! / z) * s[k * n + i]! * s[k * n + j]!;
    }
  }
  return { mean, corr };
}

describe('erasure machine', () => {
  it('uses the reference grid: 21 points on [0.4, 0.9]', () => {
    const g = defaultEpsGrid();
    expect(g.length).toBe(21);
    expect(g[0]).toBe(0.4);
    expect(g[20]).toBe(0.9);
    expect(g[7]).toBeCloseTo(0.575, 15);
  });

  it('its fixed point satisfies the update equation ⟨s⟩_{f_ε} = ε b, ⟨s s⟩_{f_ε} = ε w', () => {
    const p = skParams(6, 1, new Rng(21));
    const data = sampleExact(p, 300, new Rng(22));
    const eps = 0.7;
    const fit = erasureFit(data, eps, { iterations: 3000 });
    const rm = reweightedMoments(data, fit.params, eps);
    const n = 6;
    for (let i = 0; i < n; i++) {
      expect(Math.abs(rm.mean[i]! - eps * fit.params.b[i]!)).toBeLessThan(1e-9);
      for (let j = i + 1; j < n; j++) expect(Math.abs(rm.corr[i * n + j]! - eps * fit.params.w[i * n + j]!)).toBeLessThan(1e-9);
    }
  });

  it('one step from a given start equals the update rule written out', () => {
    const p = skParams(5, 1, new Rng(31));
    const data = sampleExact(p, 50, new Rng(32));
    const init = paramsToOps(skParams(5, 0.5, new Rng(33)));
    const eps = 0.55;
    const fit = erasureFit(data, eps, { iterations: 1, init, gamma: 0.1 });
    const p0 = opsToParams(init, 5);
    const rm = reweightedMoments(data, p0, eps);
    for (let i = 0; i < 5; i++) {
      expect(fit.params.b[i]).toBeCloseTo(p0.b[i]! + 0.1 * (rm.mean[i]! - eps * p0.b[i]!), 13);
      for (let j = i + 1; j < 5; j++) expect(fit.params.w[i * 5 + j]).toBeCloseTo(p0.w[i * 5 + j]! + 0.1 * (rm.corr[i * 5 + j]! - eps * p0.w[i * 5 + j]!), 13);
    }
  });

  it('merging repeated patterns changes nothing: duplicated data gives the same fit', () => {
    const p = skParams(8, 1, new Rng(41));
    const d = sampleExact(p, 100, new Rng(42));
    const dd: SpinData = { n: 8, m: 200, s: new Int8Array(1600) };
    dd.s.set(d.s, 0);
    dd.s.set(d.s, 800);
    const a = erasureMachine(d, { epsGrid: [0.5, 0.7], iterations: 30 });
    const b = erasureMachine(dd, { epsGrid: [0.5, 0.7], iterations: 30 });
    expect(mse(a.params, b.params).mse).toBeLessThan(1e-26);
  });

  it('runs over parts of the grid combine to the run over the whole grid (ε values are independent)', () => {
    const p = skParams(7, 1, new Rng(51));
    const data = sampleExact(p, 200, new Rng(52));
    const grid = [0.5, 0.6, 0.7, 0.8];
    const whole = erasureMachine(data, { epsGrid: grid, iterations: 40 });
    const parts = combineEpsRuns(grid.map((e) => erasureMachine(data, { epsGrid: [e], iterations: 40 })));
    expect(parts.diagnostics['epsilon']).toBe(whole.diagnostics['epsilon']);
    expect(parts.diagnostics['scores']).toEqual(whole.diagnostics['scores']);
    expect(Array.from(parts.params.w)).toEqual(Array.from(whole.params.w));
  });

  it('ε values run in lockstep groups of 4 give bit for bit the fits of each ε alone', () => {
    const p = skParams(13, 1, new Rng(53));
    const data = sampleExact(p, 300, new Rng(54));
    const grid = linspace(0.4, 0.9, 7); // a group of 4, then one of 3
    const whole = erasureMachine(data, { epsGrid: grid, iterations: 25 });
    grid.forEach((eps, e) => {
      const alone = erasureFit(data, eps, { iterations: 25 });
      expect(whole.diagnostics.scores[e]).toBe(alone.score);
      if (whole.diagnostics.epsilon === eps) expect(Array.from(whole.params.w)).toEqual(Array.from(alone.params.w));
    });
  });

  it('reference value: MSE for SK n=20, g=1, M=1000 (3 seeds) within ±35% of the published 0.012', () => {
    const vals: number[] = [];
    for (const seed of [1, 2, 3]) {
      const r = new Rng(1000 + seed);
      const p = skParams(20, 1, r);
      const data = sampleExact(p, 1000, r);
      vals.push(mse(p, erasureMachine(data).params).mse);
    }
    const mean = vals.reduce((a, v) => a + v, 0) / 3;
    expect(mean).toBeGreaterThan(0.012 * 0.65);
    expect(mean).toBeLessThan(0.012 * 1.35);
  }, 60_000);
});

describe('smoking data, the reference notebook reproduced (nihcompmed/e-machine imputation.ipynb)', () => {
  it('selection curve equals the notebook printout; ε = 0.84; 14 hidden: accuracy 0.8431 (ref. 0.842 ± 0.05)', () => {
    const pr = smokingProtocol(14);
    expect([pr.train.m, pr.test.m, pr.active.length]).toEqual([460, 1076, 34]);
    const em = erasureMachine(pr.train, { epsGrid: linspace(0.7, 0.9, 21), init: pr.init });
    // E_eps printed by the notebook for ε = 0.70, 0.80, 0.84, 0.90:
    const scores = em.diagnostics['scores'] as number[];
    expect(scores[0]).toBeCloseTo(-90.97125777628806, 8);
    expect(scores[10]).toBeCloseTo(-84.13706706648992, 8);
    expect(scores[14]).toBeCloseTo(-83.30469797326157, 8);
    expect(scores[20]).toBeCloseTo(-85.74377728370874, 8);
    expect(em.diagnostics['epsilon']).toBeCloseTo(0.84, 12);
    const rec = reconstruct(em.params, pr.test, pr.hidden);
    expect(Math.abs(rec.accuracy - 0.842)).toBeLessThan(0.05);
    expect(rec.accuracy).toBeCloseTo(0.8431359532660648, 10); // the notebook's printed single run
  }, 60_000);
});
