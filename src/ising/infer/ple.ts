/**
 * Pseudo-likelihood (PLE): for each spin i, logistic regression of s_i on the others,
 * log p(s_i | s_−i) = s_i h_i − log 2cosh h_i with h_i = b_i + Σ_j w_ij s_j, fitted by Newton's
 * method over unique patterns with counts; then w is symmetrised, w_ij = (w_ij + w_ji)/2.
 */
import { throwIfAborted } from '../../util/abort.js';
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
  // The installed WebAssembly block kernels, if any, own grad and hess (the same numbers either way).
  const lanes = createPLELanes(pt);
  const grad = lanes ? lanes.grad : new Float64Array(d);
  const hess = lanes ? lanes.hess : new Float64Array(d * d);
  const X = new Float64Array(4 * d);
  const hK = new Float64Array(K);
  let maxIters = 0;
  let worstGrad = 0;
  // Spins whose regression did not reach tol: typically separable data, where the conditional
  // likelihood keeps growing as couplings go to infinity (use lambda > 0 then).
  const unconverged: number[] = [];
  const objective = (i: number, th: Float64Array): number => {
    const s = pt.s;
    // h_r = θ_0 + Σ_c θ_c x_rc, x_r = [1, s_r without s_ri]: coupling j at c = j + 1 before i,
    // c = j after. Four rows at a time (four independent sums, each in its own order as alone).
    let r = 0;
    for (; r + 4 <= K; r += 4) {
      const o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      let h0 = th[0]!, h1 = h0, h2 = h0, h3 = h0;
      for (let j = 0; j < i; j++) {
        const t = th[j + 1]!;
        h0 += t * s[o0 + j]!; h1 += t * s[o1 + j]!; h2 += t * s[o2 + j]!; h3 += t * s[o3 + j]!;
      }
      for (let j = i + 1; j < n; j++) {
        const t = th[j]!;
        h0 += t * s[o0 + j]!; h1 += t * s[o1 + j]!; h2 += t * s[o2 + j]!; h3 += t * s[o3 + j]!;
      }
      hK[r] = h0; hK[r + 1] = h1; hK[r + 2] = h2; hK[r + 3] = h3;
    }
    for (; r < K; r++) {
      const off = r * n;
      let h = th[0]!;
      for (let j = 0; j < i; j++) h += th[j + 1]! * s[off + j]!;
      for (let j = i + 1; j < n; j++) h += th[j]! * s[off + j]!;
      hK[r] = h;
    }
    let f = 0;
    for (let q = 0; q < K; q++) {
      const a = s[q * n + i]! * hK[q]!;
      // −log σ(2a) = log(1 + e^{−2a}), computed stably
      f += pt.counts[q]! * (a > 0 ? Math.log1p(Math.exp(-2 * a)) : -2 * a + Math.log1p(Math.exp(2 * a)));
    }
    let pen = 0;
    for (let c = 1; c < d; c++) pen += th[c]! * th[c]!;
    return f / M + lambda * pen;
  };
  for (let i = i0; i < i1; i++) {
    throwIfAborted(opts.signal, 'inferPLE');
    theta.fill(0);
    let f = objective(i, theta);
    let it = 0;
    let gmax = Infinity;
    for (; it < maxIter; it++) {
      grad.fill(0);
      hess.fill(0);
      pleGradHess(pt, i, hK, grad, hess, X, lanes);
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

/**
 * PLE's four-row blocks in another form (WebAssembly SIMD, ple-wasm.ts), made for one set of
 * patterns (copied in): pleGradHess writes every full block's weights (tanh stays here), then
 * one call builds the blocks' rows x_r and adds them to grad and hess (views of the same
 * memory), block after block, each exactly as the JavaScript loop.
 */
export interface PLELanes {
  /** The patterns the lanes were made for. */
  patterns: Patterns;
  /** Block b (rows 4b..4b+3; full blocks only): gradient weights G (4), then Hessian weights W (4), at 8b. */
  GW: Float64Array;
  /** d: the gradient that fitPLESpins uses. */
  grad: Float64Array;
  /** d × d: the Hessian that fitPLESpins uses (upper triangle accumulated). */
  hess: Float64Array;
  /** Adds the full blocks of spin i's regression to grad and hess, in order. */
  accumulate4(i: number): void;
}

/** Makes PLELanes for a set of patterns, or null (no WebAssembly or no memory). */
export type PLELanesFactory = (pt: Patterns) => PLELanes | null;

let pleLanes: PLELanesFactory | null = null;

/** Install (null: remove) the block kernels that fitPLESpins uses (enableWasmLanes does it). */
export function setPLELanes(f: PLELanesFactory | null): void {
  pleLanes = f;
}

/** The installed block kernels for these patterns, or null: the JavaScript loops. */
export function createPLELanes(pt: Patterns): PLELanes | null {
  return pleLanes ? pleLanes(pt) : null;
}

/** The weights of rows r0..r0+R−1 of spin i's regression into GW at go (G) and go + 4 (W). */
function pleWeights(pt: Patterns, i: number, h: Float64Array, r0: number, R: number, GW: Float64Array, go: number): void {
  const { n, s, counts } = pt;
  const M = pt.total;
  for (let q = 0; q < R; q++) {
    const r = r0 + q;
    const t = Math.tanh(h[r]!);
    const cr = counts[r]! / M;
    GW[go + q] = cr * (t - s[r * n + i]!); // d(−log p)/dh
    GW[go + 4 + q] = cr * (1 - t * t);
  }
}

/** Rows x_r = [1, s_r without s_ri], r0..r0+R−1, into X (R rows of n). */
function pleRows(pt: Patterns, i: number, r0: number, R: number, X: Float64Array): void {
  const { n, s } = pt;
  for (let q = 0; q < R; q++) {
    const off = (r0 + q) * n, o = q * n;
    X[o] = 1;
    for (let j = 0; j < i; j++) X[o + j + 1] = s[off + j]!;
    for (let j = i + 1; j < n; j++) X[o + j] = s[off + j]!;
  }
}

/**
 * Adds spin i's gradient Σ_r c_r (tanh h_r − s_ri) x_r and Hessian Σ_r c_r (1 − tanh² h_r) x_r x_rᵀ
 * (upper triangle) to grad and hess, with c_r = counts_r / total, x_r = [1, s_r without s_ri],
 * and h_r the rows' local fields. Rows go four at a time: every entry takes the rows' terms in row
 * order, as row by row (so the same numbers), but is loaded and stored once per four rows
 * (~1.7× less CPU). X: scratch of 4n. With `lanes` (made for pt; their grad and hess must be the
 * ones given) the full blocks run there, with the same numbers bit for bit; the last, partial
 * block stays here.
 */
export function pleGradHess(pt: Patterns, i: number, h: Float64Array, grad: Float64Array, hess: Float64Array, X: Float64Array, lanes?: PLELanes | null): void {
  const { n, k: K } = pt;
  const d = n;
  const full = K - (K % 4);
  if (h.length < K || grad.length !== d || hess.length !== d * d || X.length !== 4 * d) throw new Error('pleGradHess: array sizes');
  if (lanes && (lanes.patterns !== pt || lanes.grad !== grad || lanes.hess !== hess || lanes.GW.length !== 2 * full)) throw new Error('pleGradHess: lanes do not match');
  const GW = new Float64Array(8);
  if (lanes) {
    for (let r0 = 0; r0 < full; r0 += 4) pleWeights(pt, i, h, r0, 4, lanes.GW, 2 * r0);
    lanes.accumulate4(i);
  } else {
    for (let r0 = 0; r0 < full; r0 += 4) {
      pleRows(pt, i, r0, 4, X);
      pleWeights(pt, i, h, r0, 4, GW, 0);
      const g0 = GW[0]!, g1 = GW[1]!, g2 = GW[2]!, g3 = GW[3]!;
      const v0 = GW[4]!, v1 = GW[5]!, v2 = GW[6]!, v3 = GW[7]!;
      for (let a = 0; a < d; a++) {
        const x0 = X[a]!, x1 = X[d + a]!, x2 = X[2 * d + a]!, x3 = X[3 * d + a]!;
        grad[a] = grad[a]! + g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3;
        const w0 = v0 * x0, w1 = v1 * x1, w2 = v2 * x2, w3 = v3 * x3;
        for (let c = a, e = a * d + a; c < d; c++, e++) {
          hess[e] = hess[e]! + w0 * X[c]! + w1 * X[d + c]! + w2 * X[2 * d + c]! + w3 * X[3 * d + c]!;
        }
      }
    }
  }
  if (full < K) {
    const R = K - full;
    pleRows(pt, i, full, R, X);
    pleWeights(pt, i, h, full, R, GW, 0);
    for (let q = 0; q < R; q++) {
      const o = q * d, gr = GW[q]!, wr = GW[4 + q]!;
      for (let a = 0; a < d; a++) {
        grad[a]! += gr * X[o + a]!;
        const wa = wr * X[o + a]!;
        for (let c = a; c < d; c++) hess[a * d + c]! += wa * X[o + c]!;
      }
    }
  }
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
