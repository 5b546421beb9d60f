/**
 * The low-probability (high-energy) tail of an Ising model, exactly where n ≤ MAX_TABLE_N:
 * energy tables, tail thresholds, the two exact targets — tempered q_λ ∝ p^{1−λ} (maximum
 * entropy at a fixed mean energy) and tail-conditional q_τ ∝ p·1[E ≥ E_τ] — exact draws from
 * them (the oracle), the two exact-by-construction resamplers of a generator's output
 * (rejection; importance resampling with weights ∝ p^{−λ}), defensive-mixture importance weights
 * for inference, and the measures of a sample against the truth.
 * State index x: bit i set ↔ s_i = +1 (as enumerate.ts).
 */
import type { Rng } from '../random/index.js';
import { at } from '../util/checked.js';
import { grayEnergies } from './gray.js';
import { MAX_TABLE_N } from './enumerate.js';
import { energy } from './model.js';
import type { IsingParams, SpinData } from './types.js';

/** Energies E(x) of all 2^n states (float64). */
export function energyTable(p: IsingParams): Float64Array {
  if (p.n > MAX_TABLE_N) throw new Error(`energyTable: n=${p.n} exceeds ${MAX_TABLE_N}`);
  return grayEnergies(p.n, p.b, p.w);
}

/** The index of a configuration (row r of s). */
export function stateIndex(s: Int8Array, n: number, r = 0): number {
  let x = 0;
  for (let i = n - 1; i >= 0; i--) x = x * 2 + (s[r * n + i]! > 0 ? 1 : 0);
  return x;
}

/** Normalised exp(−γ·E(x)) over the table: p^γ (γ = 1 − λ). */
export function temperedTable(E: Float64Array, gamma: number): Float64Array {
  let emin = Infinity;
  for (const e of E) emin = Math.min(emin, gamma * e);
  const q = new Float64Array(E.length);
  let z = 0;
  for (let x = 0; x < E.length; x++) z += q[x] = Math.exp(emin - gamma * E[x]!);
  for (let x = 0; x < E.length; x++) q[x]! /= z;
  return q;
}

/** p·1[E ≥ E_τ], normalised; `mass` is the tail mass P(E ≥ E_τ) under p. */
export function tailTable(E: Float64Array, threshold: number): { q: Float64Array; mass: number } {
  const p = temperedTable(E, 1);
  let mass = 0;
  for (let x = 0; x < E.length; x++) if (E[x]! >= threshold) mass += p[x]!;
  if (!(mass > 0)) throw new Error(`tailTable: no state has E ≥ ${threshold}`);
  for (let x = 0; x < E.length; x++) p[x] = E[x]! >= threshold ? p[x]! / mass : 0;
  return { q: p, mass };
}

/** The u-quantiles of the energy under the law `prob` over the table (u = 0.9: 90th percentile). */
export function energyQuantiles(E: Float64Array, prob: Float64Array, us: number[]): number[] {
  const idx = new Uint32Array(E.length);
  for (let x = 0; x < idx.length; x++) idx[x] = x;
  idx.sort((a, b) => E[a]! - E[b]!);
  const out: number[] = [];
  let c = 0;
  let k = 0;
  const order = us.map((u, i) => [u, i] as const).sort((a, b) => a[0] - b[0]);
  const res = new Array<number>(us.length).fill(E[idx[idx.length - 1]!]!);
  for (let j = 0; j < idx.length && k < order.length; j++) {
    c += prob[idx[j]!]!;
    for (; k < order.length; k++) {
      const [u, i] = at(order, k, 'quantile order');
      if (c < u) break;
      res[i] = E[idx[j]!]!;
    }
  }
  out.push(...res);
  return out;
}

/** Rejection: keep the rows with E_θ(x) ≥ E_τ. Exact for q_τ when the input is exact for p_θ. */
export function rejectTail(data: SpinData, p: IsingParams, threshold: number): { accepted: SpinData; rate: number } {
  const { n, m } = data;
  const keep: number[] = [];
  for (let r = 0; r < m; r++) if (energy(p, data.s, r * n) >= threshold) keep.push(r);
  const s = new Int8Array(keep.length * n);
  keep.forEach((r, k) => s.set(data.s.subarray(r * n, r * n + n), k * n));
  return { accepted: { n, m: keep.length, s }, rate: m > 0 ? keep.length / m : 0 };
}

/** Effective sample size (Σw)²/Σw² of importance weights. */
export function effectiveSampleSize(w: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    const v = at(w, i, 'weights');
    s += v;
    s2 += v * v;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/**
 * Importance resampling toward p^{1−λ}: weights ∝ p_θ(x)^{−λ} = exp(λE_θ(x))·const, then `size`
 * rows by systematic resampling. Returns the ESS of the weights (the honest sample count).
 */
export function importanceResample(data: SpinData, p: IsingParams, lambda: number, size: number, rng: Rng): { resampled: SpinData; ess: number; weights: Float64Array } {
  const { n, m } = data;
  if (m === 0) throw new Error('importanceResample: no rows');
  const E = new Float64Array(m);
  let emax = -Infinity;
  for (let r = 0; r < m; r++) emax = Math.max(emax, lambda * (E[r] = energy(p, data.s, r * n)));
  const w = new Float64Array(m);
  let z = 0;
  for (let r = 0; r < m; r++) z += w[r] = Math.exp(lambda * E[r]! - emax);
  for (let r = 0; r < m; r++) w[r]! /= z;
  return { resampled: systematicResample(data, w, size, rng), ess: effectiveSampleSize(w), weights: w };
}

/** `size` rows drawn with probabilities w (normalised) by systematic resampling. */
export function systematicResample(data: SpinData, w: ArrayLike<number>, size: number, rng: Rng): SpinData {
  const { n, m } = data;
  let total = 0;
  for (let r = 0; r < m; r++) total += at(w, r, 'weights');
  const s = new Int8Array(size * n);
  const u0 = rng.uniform();
  let c = at(w, 0, 'weights') / total;
  let r = 0;
  for (let k = 0; k < size; k++) {
    const u = (u0 + k) / size;
    while (c < u && r < m - 1) c += at(w, ++r, 'weights') / total;
    s.set(data.s.subarray(r * n, r * n + n), k * n);
  }
  return { n, m: size, s };
}

/**
 * Defensive-mixture importance weights for inference from observed ∪ extra rows: every row gets
 * w(x) = p(x)/q_mix(x), q_mix = (M·p + M⁺·q)/(M + M⁺), where p (the data law) and q (the extra
 * rows' law) are normalised log-probabilities given per row. Rescaled to mean 1.
 */
export function mixtureWeights(logP: Float64Array, logQ: Float64Array, M: number, Mplus: number): Float64Array {
  const w = new Float64Array(logP.length);
  const a = M / (M + Mplus);
  let s = 0;
  for (let r = 0; r < w.length; r++) {
    // p/q_mix = 1/(a + (1−a)·q/p), stable for any ratio.
    const ratio = Math.exp(Math.min(700, logQ[r]! - logP[r]!));
    s += w[r] = 1 / (a + (1 - a) * ratio);
  }
  for (let r = 0; r < w.length; r++) w[r]! *= w.length / s;
  return w;
}

/** Natural-parameter scale γ so that the tempered law p^γ has mean energy Ē (bisection on γ). */
export function temperForMeanEnergy(E: Float64Array, target: number, lo = -2, hi = 2): number {
  const meanAt = (g: number): number => {
    const q = temperedTable(E, g);
    let e = 0;
    for (let x = 0; x < E.length; x++) e += q[x]! * E[x]!;
    return e;
  };
  // Mean energy decreases with γ.
  if (meanAt(lo) < target) return lo;
  if (meanAt(hi) > target) return hi;
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (meanAt(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface TailMeasures {
  m: number;
  /** Fraction of samples with E* above the true 90th / 99th / 99.9th percentile of E* under p*. */
  tail90: number;
  tail99: number;
  /** Validity: fraction beyond the true 99.9th percentile (far below the typical set). */
  beyond999: number;
  meanEnergy: number;
  /** log p*(x): mean and 10/50/90 % quantiles over the samples. */
  logp: { mean: number; q10: number; q50: number; q90: number };
  /** TV and KL(q̂‖q) of the empirical law to the target over states (KL ∞ if q̂ leaves q's support). */
  tv: number;
  kl: number;
  /** TV between the energy histograms of the samples and of the target (bins of `bins`). */
  tvEnergy: number;
  unique: number;
  /** Mean Hamming distance between two distinct samples, over n (1/2 for independent fair spins). */
  hamming: number;
  /** Target mass covered by the distinct sampled states, and the fraction of the true top-1% states hit. */
  coverage: number;
  tailStatesHit: number;
}

/** The truth as tables, computed once per model: E*, p*, and the percentiles. */
export interface TruthTables {
  n: number;
  E: Float64Array;
  p: Float64Array;
  e90: number;
  e99: number;
  e999: number;
  logZ: number;
}

export function truthTables(truth: IsingParams): TruthTables {
  const E = energyTable(truth);
  const p = temperedTable(E, 1);
  let emin = Infinity;
  for (const e of E) emin = Math.min(emin, e);
  let z = 0;
  for (const e of E) z += Math.exp(emin - e);
  const [e90, e99, e999] = energyQuantiles(E, p, [0.9, 0.99, 0.999]);
  return { n: truth.n, E, p, e90: e90!, e99: e99!, e999: e999!, logZ: -emin + Math.log(z) };
}

/** Energy bin edges spanning the table's energies (nb bins). */
export function energyBins(E: Float64Array, nb: number): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let x = 0; x < E.length; x++) {
    lo = Math.min(lo, E[x]!);
    hi = Math.max(hi, E[x]!);
  }
  const edges = new Float64Array(nb + 1);
  for (let k = 0; k <= nb; k++) edges[k] = lo + ((hi - lo) * k) / nb;
  edges[nb] = hi + 1e-9;
  return edges;
}

function binOf(edges: Float64Array, e: number): number {
  const nb = edges.length - 1;
  const k = Math.floor(((e - edges[0]!) / (edges[nb]! - edges[0]!)) * nb);
  return Math.max(0, Math.min(nb - 1, k));
}

/** Histogram of an energy law given by a table (probabilities) over the bins. */
export function energyHistogramOfTable(E: Float64Array, q: Float64Array, edges: Float64Array): Float64Array {
  const h = new Float64Array(edges.length - 1);
  for (let x = 0; x < E.length; x++) if (q[x]! > 0) h[binOf(edges, E[x]!)]! += q[x]!;
  return h;
}

/** Normalised histogram of the true energies E* of the samples. */
export function energyHistogramOfSamples(t: TruthTables, data: SpinData, edges: Float64Array): Float64Array {
  const h = new Float64Array(edges.length - 1);
  for (let r = 0; r < data.m; r++) h[binOf(edges, t.E[stateIndex(data.s, data.n, r)]!)]! += 1 / data.m;
  return h;
}

/** Every measure of a sample against the truth and an exact target table q (over states). */
export function tailMeasures(t: TruthTables, data: SpinData, target: Float64Array, edges: Float64Array): TailMeasures {
  const { n, m } = data;
  if (n !== t.n) throw new Error(`tailMeasures: data has n=${n}, truth n=${t.n}`);
  if (m === 0) throw new Error('tailMeasures: no samples');
  const counts = new Map<number, number>();
  let t90 = 0;
  let t99 = 0;
  let b999 = 0;
  let eSum = 0;
  const lp = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const x = stateIndex(data.s, n, r);
    counts.set(x, (counts.get(x) ?? 0) + 1);
    const e = t.E[x]!;
    eSum += e;
    if (e > t.e90) t90++;
    if (e > t.e99) t99++;
    if (e > t.e999) b999++;
    lp[r] = -e - t.logZ;
  }
  let tvIn = 0;
  let qIn = 0;
  let kl = 0;
  let coverage = 0;
  let hit = 0;
  for (const [x, c] of counts) {
    const qh = c / m;
    const q = target[x]!;
    tvIn += Math.abs(qh - q);
    qIn += q;
    kl += q > 0 ? qh * Math.log(qh / q) : Infinity;
    coverage += q;
    if (t.E[x]! > t.e99) hit++;
  }
  let top = 0;
  for (let x = 0; x < t.E.length; x++) if (t.E[x]! > t.e99) top++;
  const hs = energyHistogramOfSamples(t, data, edges);
  const ht = energyHistogramOfTable(t.E, target, edges);
  let tvE = 0;
  for (let k = 0; k < hs.length; k++) tvE += Math.abs(hs[k]! - ht[k]!) / 2;
  // Mean pairwise Hamming distance, exactly from column counts.
  let ham = 0;
  if (m > 1) {
    for (let i = 0; i < n; i++) {
      let k = 0;
      for (let r = 0; r < m; r++) if (data.s[r * n + i]! > 0) k++;
      ham += (2 * k * (m - k)) / (m * (m - 1));
    }
  }
  const sorted = Float64Array.from(lp).sort();
  const qu = (u: number): number => sorted[Math.min(m - 1, Math.floor(u * m))]!;
  return {
    m,
    tail90: t90 / m,
    tail99: t99 / m,
    beyond999: b999 / m,
    meanEnergy: eSum / m,
    logp: { mean: lp.reduce((a, v) => a + v, 0) / m, q10: qu(0.1), q50: qu(0.5), q90: qu(0.9) },
    tv: (tvIn + (1 - qIn)) / 2,
    kl,
    tvEnergy: tvE,
    unique: counts.size,
    hamming: ham / n,
    coverage,
    tailStatesHit: top > 0 ? hit / top : 0,
  };
}
