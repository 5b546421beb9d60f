/**
 * The DDPM noise schedule, in float64 (Ho et al. 2020; the paper uses the linear schedule with
 * β from 1e-4 to 0.02 over T = 1000 steps). Index t runs 0..T-1 here; t = 0 is the paper's t = 1.
 */
import { at } from '../util/checked.js';

export type ScheduleKind = 'linear' | 'cosine';

export interface ScheduleOptions {
  kind?: ScheduleKind;
  /** Number of diffusion steps T (paper: 1000). */
  T?: number;
  betaStart?: number;
  betaEnd?: number;
  /** Offset s of the cosine schedule (Nichol & Dhariwal 2021). */
  cosineS?: number;
}

export interface Schedule {
  kind: ScheduleKind;
  T: number;
  beta: Float64Array;
  alpha: Float64Array;
  /** ᾱ_t = Π_{s ≤ t} α_s. */
  alphaBar: Float64Array;
  /** ᾱ_{t-1}, with ᾱ_{-1} = 1. */
  alphaBarPrev: Float64Array;
  sqrtAlphaBar: Float64Array;
  sqrtOneMinusAlphaBar: Float64Array;
  /** Posterior q(x_{t-1} | x_t, x_0) mean = coef1·x_0 + coef2·x_t. */
  posteriorMeanCoef1: Float64Array;
  posteriorMeanCoef2: Float64Array;
  /** β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t. */
  posteriorVariance: Float64Array;
}

export function makeSchedule(opts: ScheduleOptions = {}): Schedule {
  const kind = opts.kind ?? 'linear';
  const T = opts.T ?? 1000;
  if (!Number.isInteger(T) || T < 1) throw new Error(`makeSchedule: T must be an integer ≥ 1, got ${T}`);
  const beta = new Float64Array(T);
  if (kind === 'linear') {
    const b0 = opts.betaStart ?? 1e-4;
    const b1 = opts.betaEnd ?? 0.02;
    if (!(b0 > 0 && b1 < 1 && b0 <= b1)) throw new Error(`makeSchedule: need 0 < betaStart ≤ betaEnd < 1, got ${b0}, ${b1}`);
    for (let t = 0; t < T; t++) beta[t] = T === 1 ? b0 : b0 + ((b1 - b0) * t) / (T - 1);
  } else if (kind === 'cosine') {
    // ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2); β clipped at 0.999 as in the source.
    const s = opts.cosineS ?? 0.008;
    const f = (t: number): number => Math.cos((((t / T) + s) / (1 + s)) * Math.PI * 0.5) ** 2;
    for (let t = 0; t < T; t++) beta[t] = Math.min(1 - f(t + 1) / f(t), 0.999);
  } else {
    throw new Error(`makeSchedule: unknown schedule '${String(kind)}' (linear|cosine)`);
  }
  const alpha = new Float64Array(T);
  const alphaBar = new Float64Array(T);
  const alphaBarPrev = new Float64Array(T);
  const sqrtAlphaBar = new Float64Array(T);
  const sqrtOneMinusAlphaBar = new Float64Array(T);
  const c1 = new Float64Array(T);
  const c2 = new Float64Array(T);
  const pv = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    alpha[t] = 1 - beta[t]!;
    alphaBarPrev[t] = prod;
    prod *= alpha[t]!;
    alphaBar[t] = prod;
    sqrtAlphaBar[t] = Math.sqrt(prod);
    sqrtOneMinusAlphaBar[t] = Math.sqrt(1 - prod);
    const abp = alphaBarPrev[t]!;
    c1[t] = (beta[t]! * Math.sqrt(abp)) / (1 - prod);
    c2[t] = ((1 - abp) * Math.sqrt(alpha[t]!)) / (1 - prod);
    pv[t] = ((1 - abp) / (1 - prod)) * beta[t]!;
  }
  return { kind, T, beta, alpha, alphaBar, alphaBarPrev, sqrtAlphaBar, sqrtOneMinusAlphaBar, posteriorMeanCoef1: c1, posteriorMeanCoef2: c2, posteriorVariance: pv };
}

/**
 * Forward process q(x_t | x_0): x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, row by row. `x0` and `eps` are
 * B×n row-major, `t` holds one step index per row. Writes into `out` (allocated if absent).
 */
export function qSample<A extends Float32Array | Float64Array>(sched: Schedule, x0: A, t: ArrayLike<number>, eps: Float32Array | Float64Array, out?: A): A {
  const B = t.length;
  if (B === 0) return (out ?? x0.slice(0, 0)) as A;
  const n = x0.length / B;
  if (!Number.isInteger(n) || eps.length !== x0.length) throw new Error(`qSample: x0 has ${x0.length} values for ${B} rows; eps has ${eps.length}`);
  const res = out ?? (new (x0.constructor as { new (k: number): A })(x0.length));
  for (let b = 0; b < B; b++) {
    const tb = at(t, b, 'step indices t');
    if (!(Number.isInteger(tb) && tb >= 0 && tb < sched.T)) throw new Error(`qSample: t[${b}] = ${tb} is outside 0..${sched.T - 1}`);
    const a = sched.sqrtAlphaBar[tb]!;
    const s = sched.sqrtOneMinusAlphaBar[tb]!;
    for (let i = b * n, e = i + n; i < e; i++) res[i] = a * x0[i]! + s * eps[i]!;
  }
  return res;
}
