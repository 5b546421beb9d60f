/**
 * Pseudo-likelihood (PLE): for each spin i, logistic regression of s_i on the others,
 * log p(s_i | s_−i) = s_i h_i − log 2cosh h_i with h_i = b_i + Σ_j w_ij s_j, fitted by Newton's
 * method over unique patterns with counts; then w is symmetrised, w_ij = (w_ij + w_ji)/2.
 */
import { at } from '../../util/checked.js';
import { newtonBacktrack, solve } from '../linalg.js';
import { uniquePatterns } from '../patterns.js';
import type { Patterns } from '../patterns.js';
import type { InferResultOf, LoopHooks, SpinData } from '../types.js';

export interface PLEOptions extends LoopHooks {
  /** L2 penalty λ Σ θ² on couplings (default 0: plain pseudo-likelihood). */
  lambda?: number;
  tol?: number;
  maxIter?: number;
  /** Row weights instead of equal counts (e.g. exact probabilities of all states). */
  weights?: Float64Array;
}

/** The regressions of spins [i0, i1): their fields, their rows of raw couplings, and how they converged. */
export interface PLESpinFits {
  i0: number;
  i1: number;
  /** b_i for i in [i0, i1). */
  b: Float64Array;
  /** (i1 − i0) × n: raw[(i − i0)·n + j], coupling j in spin i's regression (0 at j = i). */
  raw: Float64Array;
  newtonIterationsMax: number;
  gradMax: number;
  unconvergedSpins: number[];
  /** Unique patterns of the data (rows, with weights). */
  uniquePatterns: number;
}

/** The patterns (with counts) that PLE fits: the unique rows of the data, or the rows with given weights. */
export function plePatterns(data: SpinData, weights?: Float64Array): Patterns {
  if (weights && weights.length !== data.m) throw new Error(`inferPLE: ${weights.length} weights for ${data.m} samples`);
  return weights
    ? { n: data.n, s: data.s, k: data.m, counts: weights, total: weights.reduce((a, v) => a + v, 0) }
    : uniquePatterns(data);
}

export function inferPLE(data: SpinData, opts: PLEOptions = {}): InferResultOf<'ple'> {
  const pt = plePatterns(data, opts.weights);
  return combinePLE(data.n, [fitPLESpins(pt, opts, 0, data.n)], opts);
}

/**
 * The per-spin regressions of spins [i0, i1) — independent of each other, so ranges of spins can
 * be fitted apart (e.g. on worker threads) and joined by combinePLE, with the numbers of one run.
 */
export function fitPLESpins(pt: Patterns, opts: PLEOptions, i0: number, i1: number): PLESpinFits {
  const { n } = pt;
  const lambda = opts.lambda ?? 0;
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 100;
  const K = pt.k;
  const M = pt.total;
  const raw = new Float64Array((i1 - i0) * n);
  const b = new Float64Array(i1 - i0);
  const d = n; // parameters per regression: bias + n−1 couplings
  const theta = new Float64Array(d);
  const grad = new Float64Array(d);
  const hess = new Float64Array(d * d);
  const x = new Float64Array(d);
  const hK = new Float64Array(K);
  let maxIters = 0;
  let worstGrad = 0;
  // Spins whose regression did not reach tol: typically separable data, where the conditional
  // likelihood keeps growing as couplings go to infinity (use lambda > 0 then).
  const unconverged: number[] = [];
  const objective = (i: number, th: Float64Array): number => {
    let f = 0;
    for (let r = 0; r < K; r++) {
      const off = r * n;
      let h = th[0]!;
      for (let j = 0, c = 1; j < n; j++) if (j !== i) h += th[c++]! * pt.s[off + j]!;
      hK[r] = h;
      const a = pt.s[off + i]! * h;
      // −log σ(2a) = log(1 + e^{−2a}), computed stably
      f += pt.counts[r]! * (a > 0 ? Math.log1p(Math.exp(-2 * a)) : -2 * a + Math.log1p(Math.exp(2 * a)));
    }
    let pen = 0;
    for (let c = 1; c < d; c++) pen += th[c]! * th[c]!;
    return f / M + lambda * pen;
  };
  for (let i = i0; i < i1; i++) {
    if (opts.signal?.aborted) throw new Error('inferPLE: aborted');
    theta.fill(0);
    let f = objective(i, theta);
    let it = 0;
    let gmax = Infinity;
    for (; it < maxIter; it++) {
      grad.fill(0);
      hess.fill(0);
      for (let r = 0; r < K; r++) {
        const off = r * n;
        x[0] = 1;
        for (let j = 0, c = 1; j < n; j++) if (j !== i) x[c++] = pt.s[off + j]!;
        const t = Math.tanh(hK[r]!);
        const cr = pt.counts[r]! / M;
        const gr = cr * (t - pt.s[off + i]!); // d(−log p)/dh
        const wr = cr * (1 - t * t);
        for (let a = 0; a < d; a++) {
          grad[a]! += gr * x[a]!;
          const wa = wr * x[a]!;
          for (let c = a; c < d; c++) hess[a * d + c]! += wa * x[c]!;
        }
      }
      for (let c = 1; c < d; c++) {
        grad[c]! += 2 * lambda * theta[c]!;
        hess[c * d + c]! += 2 * lambda;
      }
      for (let a = 0; a < d; a++) for (let c = 0; c < a; c++) hess[a * d + c] = hess[c * d + a]!;
      gmax = 0;
      for (let a = 0; a < d; a++) gmax = Math.max(gmax, Math.abs(grad[a]!));
      if (gmax < tol) break;
      // Newton step with a tiny ridge for safety, then backtracking.
      for (let a = 0; a < d; a++) hess[a * d + a]! += 1e-12;
      const step = solve(hess, grad, d, `PLE Hessian of spin ${i}`);
      const r = newtonBacktrack(theta, step, f, (x) => objective(i, x), new Float64Array(d));
      if (!r.accepted) break;
      f = r.value;
    }
    objective(i, theta);
    maxIters = Math.max(maxIters, it);
    worstGrad = Math.max(worstGrad, gmax);
    if (!(gmax < tol)) unconverged.push(i);
    b[i - i0] = theta[0]!;
    for (let j = 0, c = 1; j < n; j++) if (j !== i) raw[(i - i0) * n + j] = theta[c++]!;
    opts.onProgress?.(i + 1 - i0, i1 - i0);
  }
  return { i0, i1, b, raw, newtonIterationsMax: maxIters, gradMax: worstGrad, unconvergedSpins: unconverged, uniquePatterns: K };
}

/** Join the fits of spin ranges that cover 0..n−1 (any order) and symmetrise: w_ij = (w_ij + w_ji)/2. */
export function combinePLE(n: number, fits: readonly PLESpinFits[], opts: PLEOptions): InferResultOf<'ple'> {
  const sorted = [...fits].sort((x, y) => x.i0 - y.i0);
  const raw = new Float64Array(n * n), b = new Float64Array(n);
  let next = 0, maxIters = 0, worstGrad = 0;
  const unconverged: number[] = [];
  for (const f of sorted) {
    if (f.i0 !== next) throw new Error(`combinePLE: spins ${next}..${f.i0 - 1} missing or fitted twice`);
    b.set(f.b, f.i0);
    raw.set(f.raw, f.i0 * n);
    maxIters = Math.max(maxIters, f.newtonIterationsMax);
    worstGrad = Math.max(worstGrad, f.gradMax);
    unconverged.push(...f.unconvergedSpins);
    next = f.i1;
  }
  if (next !== n) throw new Error(`combinePLE: spins ${next}..${n - 1} missing`);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = (raw[i * n + j]! + raw[j * n + i]!) / 2;
      w[i * n + j] = v;
      w[j * n + i] = v;
    }
  }
  return {
    params: { n, b, w },
    method: 'ple',
    settings: { lambda: opts.lambda ?? 0, tol: opts.tol ?? 1e-12, maxIter: opts.maxIter ?? 100 },
    diagnostics: { newtonIterationsMax: maxIters, gradMax: worstGrad, converged: unconverged.length === 0, unconvergedSpins: unconverged, uniquePatterns: at(sorted, 0, 'spin fits').uniquePatterns },
  };
}
