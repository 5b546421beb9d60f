import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import {
  effectiveSampleSize, energyBins, energyQuantiles, energyTable, importanceResample, mixtureWeights, probabilities, rejectTail,
  sampleExact, sampleTable, skParams, stateIndex, tailMeasures, tailTable, temperForMeanEnergy, temperedTable, truthTables,
} from '../../src/ising/index.js';
import type { SpinData } from '../../src/ising/index.js';
import { inferExactMLE, inferPLE } from '../../src/ising/index.js';

/** TV between the empirical law of `data` and a table q. */
function tvTo(data: SpinData, q: Float64Array): number {
  const f = new Float64Array(q.length);
  for (let r = 0; r < data.m; r++) f[stateIndex(data.s, data.n, r)]! += 1 / data.m;
  let tv = 0;
  for (let x = 0; x < q.length; x++) tv += Math.abs(f[x]! - q[x]!) / 2;
  return tv;
}

/** Mean and SD of the TV of m exact draws from q (the null law of the statistic). */
function nullTv(q: Float64Array, n: number, m: number, reps: number, rng: Rng): { mean: number; sd: number } {
  const v: number[] = [];
  for (let k = 0; k < reps; k++) v.push(tvTo(sampleTable(q, n, m, rng), q));
  const mean = v.reduce((a, b) => a + b, 0) / reps;
  return { mean, sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1)) };
}

describe('exact tail targets and resamplers (n = 8, enumeration)', () => {
  const n = 8;
  const truth = skParams(n, 1, new Rng(21));
  const E = energyTable(truth);
  const p = temperedTable(E, 1);

  it('tables agree with enumerate.probabilities and the quantile is the 90th percentile', () => {
    const ref = probabilities(truth);
    for (let x = 0; x < p.length; x++) expect(p[x]!).toBeCloseTo(ref[x]!, 12);
    const [e90] = energyQuantiles(E, p, [0.9]);
    let above = 0;
    let atOrAbove = 0;
    for (let x = 0; x < E.length; x++) {
      if (E[x]! > e90!) above += p[x]!;
      if (E[x]! >= e90!) atOrAbove += p[x]!;
    }
    expect(above).toBeLessThanOrEqual(0.1 + 1e-12);
    expect(atOrAbove).toBeGreaterThanOrEqual(0.1 - 1e-12);
  });

  it('rejection of exact draws reproduces the exact tail-conditional law (TV within the null spread)', () => {
    const [eTau] = energyQuantiles(E, p, [0.8]);
    const { q, mass } = tailTable(E, eTau!);
    const rng = new Rng(5);
    const { accepted, rate } = rejectTail(sampleExact(truth, 40000, rng), truth, eTau!);
    expect(Math.abs(rate - mass)).toBeLessThan(4.5 * Math.sqrt((mass * (1 - mass)) / 40000));
    const tv = tvTo(accepted, q);
    const ref = nullTv(q, n, accepted.m, 30, new Rng(6));
    expect(Math.abs(tv - ref.mean)).toBeLessThan(4 * ref.sd);
    // A wrong target (the untruncated law) is far outside that spread.
    expect(tvTo(accepted, p) - ref.mean).toBeGreaterThan(20 * ref.sd);
  });

  it('importance resampling with weights p^{−λ} approaches p^{1−λ}; ESS in (0, m]', () => {
    const lambda = 0.5;
    const rng = new Rng(7);
    const base = sampleExact(truth, 100000, rng);
    const { resampled, ess, weights } = importanceResample(base, truth, lambda, 5000, rng);
    expect(ess).toBeGreaterThan(1000);
    expect(ess).toBeLessThanOrEqual(100000);
    expect(effectiveSampleSize(weights)).toBeCloseTo(ess, 9);
    const q = temperedTable(E, 1 - lambda);
    const ref = nullTv(q, n, 5000, 30, new Rng(8));
    // Resampling from a finite pool adds duplicates: allow the null spread plus the pool's own TV.
    expect(tvTo(resampled, q)).toBeLessThan(ref.mean + 6 * ref.sd);
    expect(tvTo(resampled, p)).toBeGreaterThan(ref.mean + 10 * ref.sd);
  });

  it('temperForMeanEnergy inverts the mean energy of p^γ', () => {
    const q = temperedTable(E, 0.3);
    const eMean = q.reduce((a, v, x) => a + v * E[x]!, 0);
    expect(temperForMeanEnergy(E, eMean)).toBeCloseTo(0.3, 6);
  });

  it('defensive mixture weights: 1 when q = p; p/q_mix otherwise', () => {
    const lp = Float64Array.from([-1, -2, -3]);
    expect(Array.from(mixtureWeights(lp, lp, 10, 30))).toEqual([1, 1, 1]);
    const lq = Float64Array.from([-2, -2, -1]);
    const w = mixtureWeights(lp, lq, 1, 1);
    const raw = [0, 1, 2].map((r) => Math.exp(lp[r]!) / (0.5 * Math.exp(lp[r]!) + 0.5 * Math.exp(lq[r]!)));
    const s = raw.reduce((a, b) => a + b, 0) / 3;
    raw.forEach((v, r) => expect(w[r]!).toBeCloseTo(v / s, 12));
  });

  it('measures on exact draws of p: tail masses near 10 % / 1 %, Hamming from pairs, TV to p at its floor', () => {
    const t = truthTables(truth);
    const m = 20000;
    const d = sampleExact(truth, m, new Rng(9));
    const mm = tailMeasures(t, d, t.p, energyBins(t.E, 30));
    // E* > e90 has mass ≤ 0.1 (ties at e90 excluded).
    let above = 0;
    for (let x = 0; x < t.E.length; x++) if (t.E[x]! > t.e90) above += t.p[x]!;
    expect(Math.abs(mm.tail90 - above)).toBeLessThan(4.5 * Math.sqrt((above * (1 - above)) / m));
    let ham = 0;
    let pairs = 0;
    for (let a = 0; a < 300; a++) {
      for (let b = a + 1; b < 300; b++) {
        let h = 0;
        for (let i = 0; i < n; i++) h += d.s[a * n + i] !== d.s[b * n + i] ? 1 : 0;
        ham += h / n;
        pairs++;
      }
    }
    const sub = tailMeasures(t, { n, m: 300, s: d.s.subarray(0, 300 * n) }, t.p, energyBins(t.E, 30));
    expect(sub.hamming).toBeCloseTo(ham / pairs, 10);
    expect(mm.kl).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(mm.kl)).toBe(true);
    expect(mm.unique).toBeLessThanOrEqual(256);
    expect(mm.tv).toBeLessThan(nullTv(t.p, n, m, 10, new Rng(10)).mean * 1.5);
  });
});

describe('exact MLE started from a PLE fit (the tails experiment does this)', () => {
  it('reaches the same optimum as the zero start', () => {
    const truth = skParams(7, 1, new Rng(30));
    const d = sampleExact(truth, 500, new Rng(31));
    const a = inferExactMLE(d, { tol: 1e-9 });
    const b = inferExactMLE(d, { tol: 1e-9, init: inferPLE(d).params });
    for (let k = 0; k < a.params.w.length; k++) expect(b.params.w[k]!).toBeCloseTo(a.params.w[k]!, 6);
    for (let k = 0; k < 7; k++) expect(b.params.b[k]!).toBeCloseTo(a.params.b[k]!, 6);
    expect(() => inferExactMLE(d, { init: skParams(5, 1, new Rng(1)) })).toThrow(/init/);
  });
});
