/**
 * Inverse kinetic Ising (parallel dynamics): W and h from a time series σ(0..T−1).
 * Moments over the T − 1 transitions t → t + 1: m = ⟨σ(t)⟩, C = ⟨δσ(t) δσ(t)ᵀ⟩ (inputs),
 * m⁺ = ⟨σ(t+1)⟩, D = ⟨δσ(t+1) δσ(t)ᵀ⟩, B = D C⁻¹.
 *  - nMF (Roudi & Hertz, PRL 106, 048702, 2011): W = A⁻¹ B, A = diag(1 − m⁺²);
 *  - TAP (same paper): A_ii ← (1 − m⁺_i²)(1 − F_i), F_i the smallest root of
 *    F(1 − F)² = (1 − m⁺_i²) Σ_j W_nMF,ij² (1 − m_j²);
 *  - exact mean field (Mézard & Sakellariou, J. Stat. Mech. L07001, 2011): per row, iterate
 *    m⁺_i = ∫Dx tanh(H_i + x√Δ_i) for H_i, a_i = ∫Dx (1 − tanh²(H_i + x√Δ_i)), W_i· = B_i·/a_i,
 *    Δ_i = Σ_j W_ij² (1 − m_j²), to the fixed point;
 *  - ML: the exact maximum of the conditional log-likelihood Σ_t log P(σ_i(t+1) | σ(t)) per row
 *    (Newton's method; concave), not the reference code's early-stopped gradient ascent;
 *  - FEM / expectation reflection (Hoang, Song, Periwal & Jo, PRE 99, 023311, 2019): per row,
 *    W_i· = ⟨δH_i δσ⟩ C⁻¹, H_i(t) ← h_i + W_i·σ(t), then H_i(t) ← σ_i(t+1) H_i(t)/tanh H_i(t),
 *    stopped when the prediction error Σ_t (σ_i(t+1) − tanh H_i(t))² stops decreasing.
 * Fields: mean-field methods set h_i = H̄_i − Σ_j W_ij m_j with H̄_i = atanh(m⁺_i) (nMF, TAP) or the
 * solved H_i (exact MF); FEM carries the intercept ⟨H_i⟩ − W_i·m (the reference code drops h).
 */
import { invert, newtonBacktrack, solve } from '../linalg.js';
import { throwIfAborted } from '../../util/abort.js';
import type { LoopHooks, SpinData } from '../types.js';
import type { KineticParams } from './simulate.js';

export type KineticMethod = 'nmf' | 'tap' | 'emf' | 'mle' | 'fem';
export const KINETIC_METHODS: readonly KineticMethod[] = ['nmf', 'tap', 'emf', 'mle', 'fem'];

export interface KineticResult {
  params: KineticParams;
  method: KineticMethod;
  diagnostics: Record<string, unknown>;
}

export interface KineticMoments {
  n: number;
  /** Number of transitions L = T − 1. */
  L: number;
  m: Float64Array;
  mNext: Float64Array;
  C: Float64Array;
  D: Float64Array;
  /** B = D C⁻¹. */
  B: Float64Array;
  Cinv: Float64Array;
}

/** Moments of the transitions of a series (rows are time steps). */
export function kineticMoments(series: SpinData): KineticMoments {
  const { n, m: T, s } = series;
  if (T < 3) throw new Error(`kinetic inference: need at least 3 time steps, got ${T}`);
  const L = T - 1;
  const m = new Float64Array(n);
  const mNext = new Float64Array(n);
  for (let t = 0; t < L; t++) for (let i = 0; i < n; i++) {
    m[i]! += s[t * n + i]!;
    mNext[i]! += s[(t + 1) * n + i]!;
  }
  for (let i = 0; i < n; i++) {
    m[i]! /= L;
    mNext[i]! /= L;
    if (Math.abs(m[i]!) >= 1 || Math.abs(mNext[i]!) >= 1) throw new Error(`kinetic inference: spin ${i} never changes in the series`);
  }
  const C = new Float64Array(n * n);
  const D = new Float64Array(n * n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let t = 0; t < L; t++) {
    for (let i = 0; i < n; i++) {
      x[i] = s[t * n + i]! - m[i]!;
      y[i] = s[(t + 1) * n + i]! - mNext[i]!;
    }
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      for (let j = 0; j < n; j++) {
        C[i * n + j]! += xi * x[j]!;
        D[i * n + j]! += yi * x[j]!;
      }
    }
  }
  for (let k = 0; k < n * n; k++) {
    C[k]! /= L;
    D[k]! /= L;
  }
  const Cinv = invert(C, n, 'equal-time correlation matrix C');
  const B = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const d = D[i * n + k]!;
    if (d === 0) continue;
    for (let j = 0; j < n; j++) B[i * n + j]! += d * Cinv[k * n + j]!;
  }
  return { n, L, m, mNext, C, D, B, Cinv };
}

function meanFieldFields(mo: KineticMoments, W: Float64Array, Hbar: Float64Array): Float64Array {
  const { n, m } = mo;
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = Hbar[i]!;
    for (let j = 0; j < n; j++) v -= W[i * n + j]! * m[j]!;
    h[i] = v;
  }
  return h;
}

export function kineticNMF(series: SpinData | KineticMoments): KineticResult {
  const mo = 'B' in series ? series : kineticMoments(series);
  const { n, B, mNext } = mo;
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[i * n + j] = B[i * n + j]! / (1 - mNext[i]! ** 2);
  return { params: { n, W, h: meanFieldFields(mo, W, Float64Array.from(mNext, Math.atanh)) }, method: 'nmf', diagnostics: {} };
}

/** Smallest root of F(1 − F)² = r on [0, 1/3] (the branch that tends to nMF as r → 0); 1/3 if r > 4/27. */
export function tapRoot(r: number): number {
  if (!(r > 0)) return 0;
  if (r >= 4 / 27) return 1 / 3;
  let lo = 0;
  let hi = 1 / 3; // F(1 − F)² increases on [0, 1/3]
  for (let k = 0; k < 200 && hi - lo > 1e-16; k++) {
    const mid = 0.5 * (lo + hi);
    if (mid * (1 - mid) ** 2 < r) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export function kineticTAP(series: SpinData | KineticMoments): KineticResult {
  const mo = 'B' in series ? series : kineticMoments(series);
  const { n, m, mNext } = mo;
  const nmf = kineticNMF(mo).params.W;
  const W = new Float64Array(n * n);
  const F = new Float64Array(n);
  let saturated = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < n; j++) r += nmf[i * n + j]! ** 2 * (1 - m[j]! ** 2);
    r *= 1 - mNext[i]! ** 2;
    F[i] = tapRoot(r);
    if (r >= 4 / 27) saturated++;
    for (let j = 0; j < n; j++) W[i * n + j] = nmf[i * n + j]! / (1 - F[i]!);
  }
  return { params: { n, W, h: meanFieldFields(mo, W, Float64Array.from(mNext, Math.atanh)) }, method: 'tap', diagnostics: { tapF: Array.from(F), tapNoRoot: saturated } };
}

// ∫Dx f(x) by the composite Simpson rule on [−12, 12] (the Gaussian tail beyond is < 1e-32).
const GRID = (() => {
  const N = 2400; // even
  const a = -12;
  const hstep = 24 / N;
  const x = new Float64Array(N + 1);
  const w = new Float64Array(N + 1);
  for (let k = 0; k <= N; k++) {
    x[k] = a + k * hstep;
    const simpson = k === 0 || k === N ? 1 : k % 2 ? 4 : 2;
    w[k] = (simpson * hstep / 3) * Math.exp(-0.5 * x[k]! ** 2) / Math.sqrt(2 * Math.PI);
  }
  return { x, w };
})();

/** ∫Dx tanh(H + x√Δ) and ∫Dx (1 − tanh²(H + x√Δ)). */
export function gaussTanh(H: number, delta: number): { mean: number; slope: number } {
  const sd = Math.sqrt(Math.max(0, delta));
  let mean = 0;
  let slope = 0;
  for (let k = 0; k < GRID.x.length; k++) {
    const t = Math.tanh(H + GRID.x[k]! * sd);
    mean += GRID.w[k]! * t;
    slope += GRID.w[k]! * (1 - t * t);
  }
  return { mean, slope };
}

/** H with ∫Dx tanh(H + x√Δ) = target (monotone in H: Newton safeguarded by bisection). */
function solveH(target: number, delta: number): number {
  let lo = -50;
  let hi = 50;
  let H = Math.atanh(Math.max(-0.999999, Math.min(0.999999, target)));
  for (let k = 0; k < 200; k++) {
    const { mean, slope } = gaussTanh(H, delta);
    const f = mean - target;
    if (Math.abs(f) < 1e-14) break;
    if (f > 0) hi = H;
    else lo = H;
    let next = H - f / slope;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - H) < 1e-15) break;
    H = next;
  }
  return H;
}

export interface EMFOptions {
  tol?: number;
  maxIter?: number;
}

export function kineticEMF(series: SpinData | KineticMoments, opts: EMFOptions = {}): KineticResult {
  const mo = 'B' in series ? series : kineticMoments(series);
  const { n, m, mNext, B } = mo;
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 500;
  const W = kineticNMF(mo).params.W;
  const Hbar = new Float64Array(n);
  let itMax = 0;
  const unconverged: number[] = [];
  for (let i = 0; i < n; i++) {
    let it = 0;
    let change = Infinity;
    for (; it < maxIter && change > tol; it++) {
      let delta = 0;
      for (let j = 0; j < n; j++) delta += W[i * n + j]! ** 2 * (1 - m[j]! ** 2);
      const H = solveH(mNext[i]!, delta);
      const a = gaussTanh(H, delta).slope;
      Hbar[i] = H;
      change = 0;
      for (let j = 0; j < n; j++) {
        const v = B[i * n + j]! / a;
        change = Math.max(change, Math.abs(v - W[i * n + j]!));
        W[i * n + j] = v;
      }
    }
    itMax = Math.max(itMax, it);
    if (change > tol) unconverged.push(i);
  }
  return { params: { n, W, h: meanFieldFields(mo, W, Hbar) }, method: 'emf', diagnostics: { iterationsMax: itMax, converged: unconverged.length === 0, unconvergedRows: unconverged } };
}

export interface KineticMLEOptions extends LoopHooks {
  tol?: number;
  maxIter?: number;
}

/** Exact ML per row: Newton on −(1/L) Σ_t [σ_i(t+1) H_i(t) − log 2cosh H_i(t)] over (h_i, W_i·). */
export function kineticMLE(series: SpinData, opts: KineticMLEOptions = {}): KineticResult {
  const { n, m: T } = series;
  const L = T - 1;
  if (L < 2) throw new Error(`kinetic inference: need at least 3 time steps, got ${T}`);
  const s = Float64Array.from(series.s); // float64 rows: the inner loops run several times faster
  const tol = opts.tol ?? 1e-10;
  const maxIter = opts.maxIter ?? 100;
  const d = n + 1;
  const W = new Float64Array(n * n);
  const h = new Float64Array(n);
  const theta = new Float64Array(d);
  const trial = new Float64Array(d);
  const g = new Float64Array(d);
  const Hs = new Float64Array(d * d);
  const Ht = new Float64Array(L);
  let worst = 0;
  let itMax = 0;
  const unconverged: number[] = [];
  const value = (i: number, th: Float64Array): number => {
    let f = 0;
    for (let t = 0; t < L; t++) {
      let H = th[0]!;
      const off = t * n;
      for (let j = 0; j < n; j++) H += th[j + 1]! * s[off + j]!;
      Ht[t] = H;
      const a = s[off + n + i]! * H; // −log P = log(1 + e^{−2a})
      f += a > 0 ? Math.log1p(Math.exp(-2 * a)) : -2 * a + Math.log1p(Math.exp(2 * a));
    }
    return f / L;
  };
  for (let i = 0; i < n; i++) {
    throwIfAborted(opts.signal, 'kinetic mle');
    theta.fill(0);
    let f = value(i, theta);
    let gmax = Infinity;
    let it = 0;
    for (; it < maxIter; it++) {
      g.fill(0);
      Hs.fill(0);
      for (let t = 0; t < L; t++) {
        const off = t * n;
        const th = Math.tanh(Ht[t]!);
        const r = (th - s[off + n + i]!) / L;
        const c = (1 - th * th) / L;
        g[0]! += r;
        Hs[0]! += c;
        for (let a = 0; a < n; a++) {
          const xa = s[off + a]!;
          g[a + 1]! += r * xa;
          Hs[a + 1]! += c * xa; // row 0
          const ca = c * xa;
          const row = (a + 1) * d;
          for (let b = a; b < n; b++) Hs[row + b + 1]! += ca * s[off + b]!;
        }
      }
      for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) Hs[a * d + b] = Hs[b * d + a]!;
      gmax = 0;
      for (const v of g) gmax = Math.max(gmax, Math.abs(v));
      if (gmax < tol) break;
      const step = solve(Hs, g, d, `kinetic ML Hessian of spin ${i}`);
      const r = newtonBacktrack(theta, step, f, (x) => value(i, x), trial);
      if (!r.accepted) break;
      f = r.value;
    }
    value(i, theta);
    worst = Math.max(worst, gmax);
    itMax = Math.max(itMax, it);
    if (!(gmax < tol)) unconverged.push(i);
    h[i] = theta[0]!;
    W.set(theta.subarray(1, n + 1), i * n);
    opts.onProgress?.(i + 1, n);
  }
  return { params: { n, W, h }, method: 'mle', diagnostics: { gradMax: worst, newtonIterationsMax: itMax, converged: unconverged.length === 0, unconvergedRows: unconverged } };
}

export interface FEMOptions {
  maxIter?: number;
}

/** Free-energy minimisation / expectation reflection, per row. */
export function kineticFEM(series: SpinData, opts: FEMOptions = {}): KineticResult {
  const mo = kineticMoments(series);
  const { n, L, m, Cinv } = mo;
  const s = Float64Array.from(series.s);
  const maxIter = opts.maxIter ?? 1000;
  const W = new Float64Array(n * n);
  const h = new Float64Array(n);
  const H = new Float64Array(L);
  const cov = new Float64Array(n);
  const w = new Float64Array(n);
  let itMax = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < L; t++) H[t] = s[(t + 1) * n + i]!; // start: H = σ_i(t+1)
    let prevCost = Infinity;
    let it = 0;
    let h0 = 0;
    for (; it < maxIter; it++) {
      let Hm = 0;
      for (const v of H) Hm += v;
      Hm /= L;
      cov.fill(0);
      for (let t = 0; t < L; t++) {
        const dh = H[t]! - Hm;
        const off = t * n;
        for (let j = 0; j < n; j++) cov[j]! += dh * (s[off + j]! - m[j]!);
      }
      const wn = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += (cov[k]! / L) * Cinv[k * n + j]!;
        wn[j] = v;
      }
      let h0n = Hm;
      for (let j = 0; j < n; j++) h0n -= wn[j]! * m[j]!;
      let cost = 0;
      for (let t = 0; t < L; t++) {
        const off = t * n;
        let v = h0n;
        for (let j = 0; j < n; j++) v += wn[j]! * s[off + j]!;
        H[t] = v;
        cost += (s[off + n + i]! - Math.tanh(v)) ** 2;
      }
      if (cost >= prevCost) break; // keep the previous (better) estimate
      prevCost = cost;
      w.set(wn);
      h0 = h0n;
      for (let t = 0; t < L; t++) {
        const th = Math.tanh(H[t]!);
        if (th !== 0) H[t] = (s[(t + 1) * n + i]! * H[t]!) / th;
      }
    }
    itMax = Math.max(itMax, it);
    W.set(w, i * n);
    h[i] = h0;
  }
  return { params: { n, W, h }, method: 'fem', diagnostics: { iterationsMax: itMax } };
}

export function inferKinetic(method: KineticMethod, series: SpinData, opts: LoopHooks = {}): KineticResult {
  switch (method) {
    case 'nmf': return kineticNMF(series);
    case 'tap': return kineticTAP(series);
    case 'emf': return kineticEMF(series);
    case 'mle': return kineticMLE(series, opts);
    case 'fem': return kineticFEM(series);
    default: throw new Error(`inferKinetic: unknown method '${String(method)}'`);
  }
}

/** Mean squared error over all n² couplings (and, separately, the n fields). */
export function kineticMse(truth: KineticParams, est: KineticParams): { mseW: number; mseH: number } {
  const { n } = truth;
  let sw = 0;
  let sh = 0;
  for (let k = 0; k < n * n; k++) sw += (truth.W[k]! - est.W[k]!) ** 2;
  for (let i = 0; i < n; i++) sh += (truth.h[i]! - est.h[i]!) ** 2;
  return { mseW: sw / (n * n), mseH: sh / n };
}
