/**
 * Reverse-process samplers over a noise predictor ε̂(x_t, t): DDPM ancestral (all T steps) and
 * DDIM (S ≤ T steps, stochasticity η; Song et al. 2021). The network is hidden behind
 * `EpsPredictor`, so the update formulas are tested against closed forms with an exact ε̂.
 * Every row of a batch shares one step t, so the time embedding is computed once per step.
 */
import type { Rng } from '../random/index.js';
import type { Schedule } from './schedule.js';

/** ε̂ for a batch x (B×n, row-major) at one step index t (0..T-1). Must not keep `x`. */
export type EpsPredictor = (x: Float32Array, t: number, B: number) => ArrayLike<number>;

export type SamplerKind = 'ddpm' | 'ddim';

export interface SampleLoopOptions {
  /** Number of variables per sample. */
  n: number;
  /** Number of samples to draw. */
  m: number;
  rng: Rng;
  sampler?: SamplerKind;
  /** DDIM steps S (ignored by ddpm, which uses all T). */
  steps?: number;
  /** DDIM stochasticity: 0 deterministic, 1 = DDPM posterior variance on the sub-sequence. */
  eta?: number;
  /** DDPM reverse variance: the posterior β̃_t (default) or β_t. */
  ddpmVariance?: 'posterior' | 'beta';
  /** Clip the predicted x̂_0 to [-1, 1] before each update (off: the paper does not). */
  clipX0?: boolean;
  /** Rows per network call; bounds memory. */
  batch?: number;
  onProgress?: (done: number, total: number, info?: Record<string, number>) => void;
  signal?: { aborted: boolean };
}

/** The DDIM sub-sequence τ_0 < … < τ_{S-1} = T-1, evenly spaced and rounded, starting at 0. */
export function ddimTimesteps(T: number, S: number): Int32Array {
  if (!(Number.isInteger(S) && S >= 1 && S <= T)) throw new Error(`ddim steps must be an integer in 1..${T}, got ${S}`);
  const tau = new Int32Array(S);
  if (S === 1) {
    tau[0] = T - 1;
    return tau;
  }
  for (let i = 0; i < S; i++) tau[i] = Math.round((i * (T - 1)) / (S - 1));
  return tau;
}

/**
 * One DDIM update x_t → x_prev for a block of rows, in place. ᾱ_prev = 1 at the last step.
 *   x̂0 = (x - √(1-ᾱ_t) ε̂)/√ᾱ_t,  σ = η √((1-ᾱ_prev)/(1-ᾱ_t)) √(1-ᾱ_t/ᾱ_prev),
 *   x_prev = √ᾱ_prev x̂0 + √(1-ᾱ_prev-σ²) ε̂ + σ z.
 */
export function ddimStep(x: Float32Array, eps: ArrayLike<number>, abT: number, abPrev: number, eta: number, rng: Rng, clipX0 = false): void {
  const sigma = eta * Math.sqrt(((1 - abPrev) / (1 - abT)) * (1 - abT / abPrev));
  const sa = Math.sqrt(abT);
  const s1 = Math.sqrt(1 - abT);
  const sp = Math.sqrt(abPrev);
  const dirCoef = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
  for (let i = 0; i < x.length; i++) {
    const e = eps[i]!;
    let x0 = (x[i]! - s1 * e) / sa;
    if (clipX0) x0 = x0 > 1 ? 1 : x0 < -1 ? -1 : x0;
    let v = sp * x0 + dirCoef * e;
    if (sigma > 0) v += sigma * rng.normal();
    x[i] = v;
  }
}

/**
 * One DDPM ancestral update at step t, in place: mean of q(x_{t-1}|x_t, x̂0) plus noise of
 * variance β̃_t or β_t (none at t = 0). Without clipping the mean equals
 * (x_t - β_t/√(1-ᾱ_t) ε̂)/√α_t.
 */
export function ddpmStep(x: Float32Array, eps: ArrayLike<number>, s: Schedule, t: number, rng: Rng, variance: 'posterior' | 'beta' = 'posterior', clipX0 = false): void {
  const sa = s.sqrtAlphaBar[t]!;
  const s1 = s.sqrtOneMinusAlphaBar[t]!;
  const c1 = s.posteriorMeanCoef1[t]!;
  const c2 = s.posteriorMeanCoef2[t]!;
  const sigma = t === 0 ? 0 : Math.sqrt(variance === 'beta' ? s.beta[t]! : s.posteriorVariance[t]!);
  for (let i = 0; i < x.length; i++) {
    let x0 = (x[i]! - s1 * eps[i]!) / sa;
    if (clipX0) x0 = x0 > 1 ? 1 : x0 < -1 ? -1 : x0;
    let v = c1 * x0 + c2 * x[i]!;
    if (sigma > 0) v += sigma * rng.normal();
    x[i] = v;
  }
}

/**
 * Draw m samples (m×n, continuous values) by running the reverse process from x_T ~ N(0, I).
 * Batches are processed one after another; within a batch every step calls `predict` once.
 */
export function sampleLoop(predict: EpsPredictor, sched: Schedule, o: SampleLoopOptions): Float32Array {
  const { n, m, rng } = o;
  const kind = o.sampler ?? 'ddpm';
  const eta = o.eta ?? 0;
  const batch = Math.max(1, Math.min(o.batch ?? 2048, m));
  if (kind !== 'ddpm' && kind !== 'ddim') throw new Error(`unknown sampler '${String(kind)}' (ddpm|ddim)`);
  if (!(eta >= 0)) throw new Error(`eta must be ≥ 0, got ${eta}`);
  const taus = kind === 'ddpm' ? null : ddimTimesteps(sched.T, o.steps ?? 50);
  const nSteps = taus ? taus.length : sched.T;
  const out = new Float32Array(m * n);
  const totalWork = Math.ceil(m / batch) * nSteps;
  let work = 0;
  for (let start = 0; start < m; start += batch) {
    const B = Math.min(batch, m - start);
    const x = out.subarray(start * n, (start + B) * n);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    for (let k = nSteps - 1; k >= 0; k--) {
      if (o.signal?.aborted) throw new Error('sampling aborted');
      const t = taus ? taus[k]! : k;
      const eps = predict(x, t, B);
      if (eps.length !== x.length) throw new Error(`noise predictor returned ${eps.length} values for ${x.length}`);
      if (taus) {
        const abPrev = k > 0 ? sched.alphaBar[taus[k - 1]!]! : 1;
        ddimStep(x, eps, sched.alphaBar[t]!, abPrev, eta, rng, o.clipX0);
      } else {
        ddpmStep(x, eps, sched, t, rng, o.ddpmVariance, o.clipX0);
      }
      work++;
      o.onProgress?.(Math.min(m, start + Math.round((B * (nSteps - k)) / nSteps)), m, { step: work, steps: totalWork });
    }
  }
  return out;
}

/** Analog bits back to spins: the sign of each value (0 goes to +1). */
export function thresholdSpins(x: ArrayLike<number>): Int8Array {
  const s = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) s[i] = x[i]! < 0 ? -1 : 1;
  return s;
}
