/**
 * Interaction screening (Vuffray, Misra, Lokhov & Chertkov, NeurIPS 2016; Lokhov, Vuffray, Misra &
 * Chertkov, Sci. Adv. 4, e1700791, 2018) and ℓ1-regularised pseudo-likelihood, per spin u, as in the
 * reference implementation GraphicalModelLearning.jl. With the "nodal statistics"
 * t_j = σ_u σ_j (j ≠ u) and t_u = σ_u, x_j = J_uj and x_u = h_u, and c_k = count_k / M:
 *   RISE:    S(x) = Σ_k c_k exp(−x·t_k)
 *   logRISE: log S(x)
 *   RPLE:    Σ_k c_k log(1 + exp(−2 x·t_k))
 * each + λ Σ_{j≠u} |x_j| (the field is not penalised), λ = c·√(log(n²/δ)/M).
 * Couplings are then symmetrised, J ← (J + Jᵀ)/2.
 *
 * Solver: proximal Newton (Lee, Sun & Saunders 2014): the ℓ1-penalised quadratic model at x is
 * minimised to high accuracy by cyclic coordinate descent, then a backtracking (Armijo) line search
 * on the true objective. Once the support is identified this is Newton's method on it, so the
 * solution is converged to the KKT tolerance rather than to a step-size floor.
 */
import { throwIfAborted } from '../../util/abort.js';
import { at } from '../../util/checked.js';
import { uniquePatterns, type Patterns } from '../patterns.js';
import type { InferResultOf, IsingParams, LoopHooks, SpinData } from '../types.js';

export type ScreeningMethod = 'rise' | 'logrise' | 'rple';

/** The reference implementation's default regulariser constants c. */
export const SCREENING_DEFAULT_C: Readonly<Record<ScreeningMethod, number>> = { rise: 0.4, logrise: 0.8, rple: 0.2 };

export interface ScreeningOptions extends LoopHooks {
  /** Regulariser constant c in λ = c·√(log(n²/δ)/M) (default per method, see SCREENING_DEFAULT_C). */
  c?: number;
  /** δ in λ (default 0.05, as the reference). */
  delta?: number;
  /** Give λ directly (overrides c and δ). */
  lambda?: number;
  /** Symmetrise J ← (J + Jᵀ)/2 (default true). */
  symmetrize?: boolean;
  /** Stop when the KKT residual (minimum-norm subgradient, max over coordinates) is below tol (default 1e-12). */
  tol?: number;
  /** Maximum proximal Newton steps per spin (default 100). */
  maxIter?: number;
}

/** λ = c·√(log(n²/δ)/M): the reference's parametric regulariser. */
export function screeningLambda(c: number, n: number, M: number, delta = 0.05): number {
  return c * Math.sqrt(Math.log((n * n) / delta) / M);
}

/** A histogram: the data as unique patterns with counts (SpinData is converted). */
export type Histogram = Patterns;

function asHistogram(data: SpinData | Histogram): Histogram {
  return 'counts' in data ? data : uniquePatterns(data);
}

/** Per-spin smooth part: value, gradient and Hessian of the loss over the nodal statistics. */
interface NodalProblem {
  n: number;
  K: number;
  /** K × n nodal statistics t_k. */
  t: Float64Array;
  /** c_k = count_k / M. */
  c: Float64Array;
}

function nodalProblem(h: Histogram, u: number): NodalProblem {
  const { n, k: K, s } = h;
  const t = new Float64Array(K * n);
  const c = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const su = s[k * n + u]!;
    for (let j = 0; j < n; j++) t[k * n + j] = j === u ? su : su * s[k * n + j]!;
    c[k] = h.counts[k]! / h.total;
  }
  return { n, K, t, c };
}

/** Value of the smooth loss at x (Infinity on overflow). */
function lossValue(method: ScreeningMethod, P: NodalProblem, x: Float64Array): number {
  const { n, K, t, c } = P;
  if (method === 'rple') {
    let f = 0;
    for (let k = 0; k < K; k++) {
      let a = 0;
      for (let j = 0; j < n; j++) a += x[j]! * t[k * n + j]!;
      const z = -2 * a; // log(1 + e^z), stably
      f += c[k]! * (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
    }
    return f;
  }
  // S = Σ c_k e^{−a_k}; logRISE uses log-sum-exp so large x cannot overflow.
  let amin = Infinity;
  const a = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += x[j]! * t[k * n + j]!;
    a[k] = v;
    if (c[k]! > 0 && v < amin) amin = v;
  }
  let s = 0;
  for (let k = 0; k < K; k++) s += c[k]! * Math.exp(amin - a[k]!);
  return method === 'logrise' ? -amin + Math.log(s) : Math.exp(-amin) * s;
}

/** Gradient g and Hessian H (n×n, full) of the smooth loss at x. */
function lossDerivatives(method: ScreeningMethod, P: NodalProblem, x: Float64Array, g: Float64Array, H: Float64Array): void {
  const { n, K, t, c } = P;
  g.fill(0);
  H.fill(0);
  // Per pattern: first and second derivative of the loss with respect to a_k = x·t_k.
  const d1 = new Float64Array(K);
  const d2 = new Float64Array(K);
  const a = new Float64Array(K);
  let amin = Infinity;
  for (let k = 0; k < K; k++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += x[j]! * t[k * n + j]!;
    a[k] = v;
    if (c[k]! > 0 && v < amin) amin = v;
  }
  if (method === 'rple') {
    for (let k = 0; k < K; k++) {
      // ℓ(a) = log(1 + e^{−2a}): ℓ' = −2σ(−2a), ℓ'' = 4σ(2a)σ(−2a)
      const sm = 1 / (1 + Math.exp(2 * a[k]!));
      d1[k] = -2 * c[k]! * sm;
      d2[k] = 4 * c[k]! * sm * (1 - sm);
    }
  } else {
    let S = 0;
    for (let k = 0; k < K; k++) {
      const e = c[k]! * Math.exp(amin - a[k]!);
      d1[k] = -e;
      d2[k] = e;
      S += e;
    }
    if (method === 'rise') {
      const sc = Math.exp(-amin);
      for (let k = 0; k < K; k++) {
        d1[k]! *= sc;
        d2[k]! *= sc;
      }
    } else {
      // log S: ∇ = −E_p[t], ∇² = Cov_p[t] with p_k = c_k e^{−a_k}/S; the outer product is added below.
      for (let k = 0; k < K; k++) {
        d1[k]! /= S;
        d2[k]! /= S;
      }
    }
  }
  for (let k = 0; k < K; k++) {
    const off = k * n;
    const w1 = d1[k]!;
    const w2 = d2[k]!;
    for (let i = 0; i < n; i++) {
      const ti = t[off + i]!;
      g[i]! += w1 * ti;
      const wi = w2 * ti;
      const row = i * n;
      for (let j = i; j < n; j++) H[row + j]! += wi * t[off + j]!;
    }
  }
  if (method === 'logrise') for (let i = 0; i < n; i++) for (let j = i; j < n; j++) H[i * n + j]! -= g[i]! * g[j]!;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) H[i * n + j] = H[j * n + i]!;
}

/**
 * KKT residual of min f(x) + λ Σ_{j≠u} |x_j|: the largest entry of the minimum-norm subgradient,
 * |g_u|; |g_j + λ sign x_j| where x_j ≠ 0; max(0, |g_j| − λ) where x_j = 0.
 */
export function l1KktResidual(g: ArrayLike<number>, x: ArrayLike<number>, lambda: number, unpenalised: number): number {
  let r = 0;
  for (let j = 0; j < x.length; j++) {
    const gj = at(g, j, 'gradient g');
    const xj = at(x, j, 'point x');
    const v = j === unpenalised || lambda === 0 ? Math.abs(gj)
      : xj !== 0 ? Math.abs(gj + lambda * Math.sign(xj))
      : Math.max(0, Math.abs(gj) - lambda);
    if (v > r) r = v;
  }
  return r;
}

function soft(z: number, thr: number): number {
  return z > thr ? z - thr : z < -thr ? z + thr : 0;
}

export interface NodalFit {
  x: Float64Array;
  objective: number;
  kkt: number;
  iterations: number;
  converged: boolean;
}

/**
 * Minimise loss_u(x) + λ Σ_{j≠u}|x_j| for one spin u of a histogram by proximal Newton.
 * Exposed for tests (KKT checks) and for the per-spin loop of inferScreening.
 */
export function fitNodal(method: ScreeningMethod, h: Histogram, u: number, lambda: number, tol = 1e-12, maxIter = 100): NodalFit {
  const P = nodalProblem(h, u);
  const n = h.n;
  const x = new Float64Array(n);
  const g = new Float64Array(n);
  const H = new Float64Array(n * n);
  const z = new Float64Array(n);
  const Hd = new Float64Array(n); // H(z − x), maintained during coordinate descent
  const trial = new Float64Array(n);
  const pen = (v: Float64Array) => {
    let s = 0;
    for (let j = 0; j < n; j++) if (j !== u) s += Math.abs(v[j]!);
    return lambda * s;
  };
  let F = lossValue(method, P, x) + pen(x);
  let kkt = Infinity;
  let it = 0;
  for (; it < maxIter; it++) {
    lossDerivatives(method, P, x, g, H);
    kkt = l1KktResidual(g, x, lambda, u);
    if (kkt < tol) break;
    // Coordinate descent on q(z) = g·(z−x) + ½(z−x)ᵀH(z−x) + λ‖z_{−u}‖₁, warm-started at z = x.
    z.set(x);
    Hd.fill(0);
    for (let sweep = 0; sweep < 10000; sweep++) {
      let change = 0;
      for (let j = 0; j < n; j++) {
        const hjj = Math.max(H[j * n + j]!, 1e-300);
        const grad = g[j]! + Hd[j]!;
        const zj = z[j]!;
        const nz = j === u ? zj - grad / hjj : soft(zj - grad / hjj, lambda / hjj);
        const dz = nz - zj;
        if (dz !== 0) {
          z[j] = nz;
          const row = j * n;
          for (let i = 0; i < n; i++) Hd[i]! += H[row + i]! * dz;
          change = Math.max(change, Math.abs(dz) * Math.sqrt(hjj));
        }
      }
      if (change < 1e-15) break;
    }
    // Armijo on F with the predicted decrease Δ = g·d + λ(‖z‖₁ − ‖x‖₁) (< 0 unless at the optimum).
    let delta = pen(z) - pen(x);
    for (let j = 0; j < n; j++) delta += g[j]! * (z[j]! - x[j]!);
    let step = 1;
    let Fn = Infinity;
    // When the predicted decrease is below the rounding error of F, a line search cannot see it;
    // the quadratic model is exact at that scale, so take the full step if it lowers the KKT residual.
    if (!(-delta >= 1e-13 * Math.max(1, Math.abs(F)))) {
      const gz = new Float64Array(n);
      lossDerivatives(method, P, z, gz, new Float64Array(n * n));
      if (!(l1KktResidual(gz, z, lambda, u) < kkt)) break; // x is optimal to working precision
      x.set(z);
      F = lossValue(method, P, x) + pen(x);
      continue;
    }
    for (let ls = 0; ls < 60; ls++) {
      for (let j = 0; j < n; j++) trial[j] = x[j]! + step * (z[j]! - x[j]!);
      Fn = lossValue(method, P, trial) + pen(trial);
      if (Fn <= F + 1e-4 * step * delta) break;
      step *= 0.5;
    }
    // Near the optimum F changes below its rounding error; accept a step that does not increase F
    // by more than that.
    if (!(Fn <= F + 1e-4 * step * delta) && !(Fn <= F + 1e-15 * Math.abs(F))) break;
    x.set(trial);
    F = Fn;
  }
  if (it === maxIter) {
    lossDerivatives(method, P, x, g, H);
    kkt = l1KktResidual(g, x, lambda, u);
  }
  return { x, objective: F, kkt, iterations: it, converged: kkt < tol };
}

/**
 * Gradient of the smooth loss of spin u at x (for KKT checks by callers and tests).
 */
export function nodalGradient(method: ScreeningMethod, h: Histogram, u: number, x: Float64Array): Float64Array {
  const P = nodalProblem(h, u);
  const g = new Float64Array(h.n);
  lossDerivatives(method, P, x, g, new Float64Array(h.n * h.n));
  return g;
}

/**
 * RISE / logRISE / RPLE for every spin. Returns symmetrised couplings and the fields; the raw
 * per-spin rows (fields on the diagonal, as the reference returns them) are in `raw`.
 */
export function inferScreening(method: ScreeningMethod, data: SpinData | Histogram, opts: ScreeningOptions = {}): InferResultOf<ScreeningMethod> & { raw: Float64Array } {
  const h = asHistogram(data);
  const n = h.n;
  const c = opts.c ?? SCREENING_DEFAULT_C[method];
  const delta = opts.delta ?? 0.05;
  const lambda = opts.lambda ?? screeningLambda(c, n, h.total, delta);
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 100;
  const sym = opts.symmetrize ?? true;
  if (!(lambda >= 0)) throw new Error(`inferScreening: λ must be ≥ 0, got ${lambda}`);
  const raw = new Float64Array(n * n);
  let kktMax = 0;
  let itMax = 0;
  const unconverged: number[] = [];
  for (let u = 0; u < n; u++) {
    throwIfAborted(opts.signal, `infer ${method}`);
    const fit = fitNodal(method, h, u, lambda, tol, maxIter);
    raw.set(fit.x, u * n);
    kktMax = Math.max(kktMax, fit.kkt);
    itMax = Math.max(itMax, fit.iterations);
    if (!fit.converged) unconverged.push(u);
    opts.onProgress?.(u + 1, n);
  }
  const params: IsingParams = { n, b: new Float64Array(n), w: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    params.b[i] = raw[i * n + i]!;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      params.w[i * n + j] = sym ? (raw[i * n + j]! + raw[j * n + i]!) / 2 : raw[i * n + j]!;
    }
  }
  return {
    params,
    raw,
    method,
    settings: { c, delta, lambda, symmetrize: sym, tol, maxIter },
    diagnostics: { kktMax, newtonIterationsMax: itMax, converged: unconverged.length === 0, unconvergedSpins: unconverged, uniquePatterns: h.k },
  };
}

export const inferRISE = (data: SpinData | Histogram, opts: ScreeningOptions = {}) => inferScreening('rise', data, opts);
export const inferLogRISE = (data: SpinData | Histogram, opts: ScreeningOptions = {}) => inferScreening('logrise', data, opts);
export const inferRPLE = (data: SpinData | Histogram, opts: ScreeningOptions = {}) => inferScreening('rple', data, opts);

/** Parse the reference's histogram text: rows "count,σ_1,…,σ_n" (comma or whitespace separated). */
export function parseHistogram(text: string): Histogram {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (rows.length === 0) throw new Error('parseHistogram: no rows');
  const parsed = rows.map((l) => l.split(/[,\s]+/).map(Number));
  const n = at(parsed, 0, 'histogram rows').length - 1;
  if (n < 1) throw new Error('parseHistogram: a row needs a count and at least one spin');
  const s = new Int8Array(rows.length * n);
  const counts = new Float64Array(rows.length);
  parsed.forEach((r, k) => {
    if (r.length !== n + 1) throw new Error(`parseHistogram: row ${k + 1} has ${r.length} values, expected ${n + 1}`);
    const count = at(r, 0, 'histogram row');
    if (!(Number.isInteger(count) && count >= 0)) throw new Error(`parseHistogram: row ${k + 1}: count ${count} is not a non-negative integer`);
    counts[k] = count;
    for (let j = 0; j < n; j++) {
      const v = at(r, j + 1, 'histogram row');
      if (v !== 1 && v !== -1) throw new Error(`parseHistogram: row ${k + 1}: spin ${v} is not ±1`);
      s[k * n + j] = v;
    }
  });
  return { n, k: rows.length, s, counts, total: counts.reduce((a, v) => a + v, 0) };
}
