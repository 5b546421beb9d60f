import { describe, expect, it } from 'vitest';
import { makeSchedule, qSample } from '../../src/diffusion/schedule.js';
import { Rng } from '../../src/random/index.js';

describe('schedule (float64 identities)', () => {
  const s = makeSchedule();
  it('linear β from 1e-4 to 0.02 over T = 1000', () => {
    expect(s.T).toBe(1000);
    expect(s.beta[0]).toBe(1e-4);
    expect(s.beta[999]).toBeCloseTo(0.02, 15);
    for (let t = 1; t < s.T; t++) expect(s.beta[t]! - s.beta[t - 1]!).toBeCloseTo((0.02 - 1e-4) / 999, 15);
  });
  it('ᾱ_t is the product of α_s, α = 1 - β', () => {
    for (const t of [0, 1, 10, 500, 999]) {
      let p = 1;
      for (let u = 0; u <= t; u++) p *= 1 - s.beta[u]!;
      expect(Math.abs(s.alphaBar[t]! - p) / p).toBeLessThan(1e-12);
      expect(s.alphaBarPrev[t]).toBe(t === 0 ? 1 : s.alphaBar[t - 1]);
    }
    // Known value: ᾱ_T ≈ 4.04e-5 for the linear schedule (log ᾱ_T = Σ log(1-β_t)).
    let lg = 0;
    for (let u = 0; u < 1000; u++) lg += Math.log1p(-(1e-4 + (0.0199 * u) / 999));
    expect(Math.log(s.alphaBar[999]!)).toBeCloseTo(lg, 9);
  });
  it('posterior variance and mean coefficients follow from Bayes on Gaussians', () => {
    for (const t of [1, 7, 200, 999]) {
      // q(x_{t-1}|x_0) = N(√ᾱ_{t-1} x0, 1-ᾱ_{t-1}); q(x_t|x_{t-1}) = N(√α_t x_{t-1}, β_t).
      // Posterior precision = 1/(1-ᾱ_{t-1}) + α_t/β_t; mean = var·(√ᾱ_{t-1} x0/(1-ᾱ_{t-1}) + √α_t x_t/β_t).
      const abp = s.alphaBar[t - 1]!;
      const a = s.alpha[t]!;
      const b = s.beta[t]!;
      const v = 1 / (1 / (1 - abp) + a / b);
      expect(Math.abs(s.posteriorVariance[t]! - v) / v).toBeLessThan(1e-10);
      expect(s.posteriorMeanCoef1[t]!).toBeCloseTo((v * Math.sqrt(abp)) / (1 - abp), 12);
      expect(s.posteriorMeanCoef2[t]!).toBeCloseTo((v * Math.sqrt(a)) / b, 12);
    }
    expect(s.posteriorVariance[0]).toBe(0);
  });
  it('posterior mean with x0 = (x_t - √(1-ᾱ)ε)/√ᾱ equals (x_t - β/√(1-ᾱ) ε)/√α', () => {
    for (const t of [0, 3, 500, 999]) {
      for (const [x, e] of [[0.3, -1.2], [-2, 0.7]] as const) {
        const x0 = (x - s.sqrtOneMinusAlphaBar[t]! * e) / s.sqrtAlphaBar[t]!;
        const m1 = s.posteriorMeanCoef1[t]! * x0 + s.posteriorMeanCoef2[t]! * x;
        const m2 = (x - (s.beta[t]! / s.sqrtOneMinusAlphaBar[t]!) * e) / Math.sqrt(s.alpha[t]!);
        expect(m1).toBeCloseTo(m2, 11);
      }
    }
  });
  it('cosine schedule: ᾱ_t = f(t+1)/f(0) where β is not clipped', () => {
    const c = makeSchedule({ kind: 'cosine', T: 1000 });
    const f = (t: number): number => Math.cos(((t / 1000 + 0.008) / 1.008) * Math.PI / 2) ** 2;
    for (const t of [0, 100, 500, 900]) expect(c.alphaBar[t]! / (f(t + 1) / f(0))).toBeCloseTo(1, 10);
    for (let t = 0; t < c.T; t++) expect(c.beta[t]! > 0 && c.beta[t]! <= 0.999).toBe(true);
  });
  it('rejects bad options', () => {
    expect(() => makeSchedule({ T: 0 })).toThrow(/T must be/);
    expect(() => makeSchedule({ betaStart: 0.1, betaEnd: 0.01 })).toThrow(/betaStart/);
  });
});

describe('qSample', () => {
  it('x_t = √ᾱ x0 + √(1-ᾱ) ε exactly, and its moments over ε', () => {
    const s = makeSchedule();
    const rng = new Rng(11);
    const B = 20000;
    for (const t of [0, 250, 999]) {
      const x0 = new Float64Array(B).fill(1);
      const eps = rng.fillNormal(new Float64Array(B));
      const tt = new Int32Array(B).fill(t);
      const xt = qSample(s, x0, tt, eps);
      let m = 0;
      let m2 = 0;
      for (let i = 0; i < B; i++) {
        m += xt[i]!;
        m2 += xt[i]! * xt[i]!;
      }
      m /= B;
      const v = m2 / B - m * m;
      const trueVar = 1 - s.alphaBar[t]!;
      // SE of the mean √(var/B); SE of the variance ≈ var·√(2/B). 5 SE bounds.
      expect(Math.abs(m - s.sqrtAlphaBar[t]!)).toBeLessThan(5 * Math.sqrt(trueVar / B) + 1e-12);
      expect(Math.abs(v - trueVar)).toBeLessThan(5 * trueVar * Math.sqrt(2 / B) + 1e-12);
      expect(xt[5]).toBeCloseTo(s.sqrtAlphaBar[t]! + s.sqrtOneMinusAlphaBar[t]! * eps[5]!, 14);
    }
  });
  it('rejects t out of range', () => {
    const s = makeSchedule({ T: 10 });
    expect(() => qSample(s, new Float64Array(2), [10], new Float64Array(2))).toThrow(/outside/);
  });
});
