/**
 * Small dense float64 linear algebra for inference: Gauss-Jordan inverse and solve with partial
 * pivoting for general matrices, and a Cholesky path (a = L·Lᵀ) for symmetric positive-definite
 * ones such as connected correlation matrices: half the work of Gauss-Jordan, no pivoting, an
 * exactly symmetric inverse, and "not positive definite" detected as such. (Kept here rather than
 * importing mathjs, so the browser core stays small and free of run-time code generation; the
 * tests check both paths against mathjs.)
 */
import { at, last } from '../util/checked.js';
import { DataError } from '../util/errors.js';
import type { AbortLike } from '../util/abort.js';

/** Inverse of the k×k row-major matrix a; throws if it is singular to working precision. */
export function invert(a: Float64Array, k: number, what = 'matrix'): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  let scale = 0;
  for (let i = 0; i < k * k; i++) scale = Math.max(scale, Math.abs(a[i]!));
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r * k + c]!) > Math.abs(m[piv * k + c]!)) piv = r;
    const pv = m[piv * k + c]!;
    if (!(Math.abs(pv) > 1e-13 * Math.max(scale, 1e-300))) throw new DataError(`${what} is singular (pivot ${pv} in column ${c})`);
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        let t = m[c * k + j]!;
        m[c * k + j] = m[piv * k + j]!;
        m[piv * k + j] = t;
        t = inv[c * k + j]!;
        inv[c * k + j] = inv[piv * k + j]!;
        inv[piv * k + j] = t;
      }
    }
    const ip = 1 / pv;
    for (let j = 0; j < k; j++) {
      m[c * k + j]! *= ip;
      inv[c * k + j]! *= ip;
    }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r * k + c]!;
      if (f === 0) continue;
      for (let j = 0; j < k; j++) {
        m[r * k + j]! -= f * m[c * k + j]!;
        inv[r * k + j]! -= f * inv[c * k + j]!;
      }
    }
  }
  return inv;
}

/** x with a·x = y (a k×k). */
export function solve(a: Float64Array, y: Float64Array, k: number, what = 'matrix'): Float64Array {
  const inv = invert(a, k, what);
  const x = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let v = 0;
    for (let j = 0; j < k; j++) v += inv[i * k + j]! * y[j]!;
    x[i] = v;
  }
  return x;
}

/**
 * The Cholesky factor of a symmetric positive-definite k×k matrix: lower-triangular L (row-major,
 * zeros above the diagonal) with a = L·Lᵀ. Reads the lower triangle of a only. Throws a
 * DataError when a is not positive definite to working precision.
 */
export function cholesky(a: Float64Array, k: number, what = 'matrix'): Float64Array {
  const L = new Float64Array(k * k);
  let scale = 0;
  for (let i = 0; i < k; i++) scale = Math.max(scale, Math.abs(a[i * k + i]!));
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let p = 0; p < j; p++) d -= L[j * k + p]! * L[j * k + p]!;
    if (!(d > 1e-13 * Math.max(scale, 1e-300))) throw new DataError(`${what} is not positive definite (pivot ${d} at ${j})`);
    const ljj = Math.sqrt(d);
    L[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let v = a[i * k + j]!;
      for (let p = 0; p < j; p++) v -= L[i * k + p]! * L[j * k + p]!;
      L[i * k + j] = v / ljj;
    }
  }
  return L;
}

/** Inverse of a symmetric positive-definite k×k matrix by Cholesky: a⁻¹ = L⁻ᵀ·L⁻¹, exactly symmetric. */
export function invertSPD(a: Float64Array, k: number, what = 'matrix'): Float64Array {
  const L = cholesky(a, k, what);
  // M = L⁻¹ (lower triangular), column by column by forward substitution.
  const M = new Float64Array(k * k);
  for (let c = 0; c < k; c++) {
    M[c * k + c] = 1 / L[c * k + c]!;
    for (let i = c + 1; i < k; i++) {
      let v = 0;
      for (let p = c; p < i; p++) v -= L[i * k + p]! * M[p * k + c]!;
      M[i * k + c] = v / L[i * k + i]!;
    }
  }
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let v = 0;
      for (let p = i; p < k; p++) v += M[p * k + i]! * M[p * k + j]!;
      inv[i * k + j] = v;
      inv[j * k + i] = v;
    }
  }
  return inv;
}

/** x with a·x = y for a symmetric positive-definite k×k matrix (Cholesky, two triangular solves). */
export function solveSPD(a: Float64Array, y: Float64Array, k: number, what = 'matrix'): Float64Array {
  const L = cholesky(a, k, what);
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let v = y[i]!;
    for (let p = 0; p < i; p++) v -= L[i * k + p]! * z[p]!;
    z[i] = v / L[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let v = z[i]!;
    for (let p = i + 1; p < k; p++) v -= L[p * k + i]! * x[p]!;
    x[i] = v / L[i * k + i]!;
  }
  return x;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  gradNorm: number;
  iterations: number;
  converged: boolean;
}

/**
 * Minimize f by L-BFGS (memory 10) with a backtracking Armijo line search. fg returns f and
 * writes the gradient. Stops when max|g| < tol.
 */
export function lbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: { tol?: number; maxIter?: number; memory?: number; onIter?: (it: number, f: number, gmax: number) => void; signal?: AbortLike } = {},
): LbfgsResult {
  const tol = opts.tol ?? 1e-8;
  const maxIter = opts.maxIter ?? 1000;
  const mem = opts.memory ?? 10;
  const d = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(d);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(d);
  const xn = new Float64Array(d);
  const gn = new Float64Array(d);
  const alpha = new Float64Array(mem);
  const gmax = (v: Float64Array) => {
    let m = 0;
    for (const x of v) m = Math.max(m, Math.abs(x));
    return m;
  };
  let it = 0;
  let gm = gmax(g);
  while (gm >= tol && it < maxIter) {
    if (opts.signal?.aborted) break;
    // Two-loop recursion: dir = −H g.
    dir.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      const Sk = at(S, k, 'L-BFGS s');
      const Yk = at(Y, k, 'L-BFGS y');
      let a = 0;
      for (let i = 0; i < d; i++) a += Sk[i]! * dir[i]!;
      a *= at(rho, k, 'L-BFGS rho');
      alpha[k] = a;
      for (let i = 0; i < d; i++) dir[i]! -= a * Yk[i]!;
    }
    if (S.length > 0) {
      const Sk = last(S, 'L-BFGS s');
      const Yk = last(Y, 'L-BFGS y');
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < d; i++) {
        sy += Sk[i]! * Yk[i]!;
        yy += Yk[i]! * Yk[i]!;
      }
      const gammaK = sy / yy;
      for (let i = 0; i < d; i++) dir[i]! *= gammaK;
    } else {
      const s = 1 / Math.max(1, gm);
      for (let i = 0; i < d; i++) dir[i]! *= s;
    }
    for (let k = 0; k < S.length; k++) {
      const Sk = at(S, k, 'L-BFGS s');
      const Yk = at(Y, k, 'L-BFGS y');
      let bcoef = 0;
      for (let i = 0; i < d; i++) bcoef += Yk[i]! * dir[i]!;
      bcoef *= at(rho, k, 'L-BFGS rho');
      const ak = alpha[k]!;
      for (let i = 0; i < d; i++) dir[i]! += Sk[i]! * (ak - bcoef);
    }
    for (let i = 0; i < d; i++) dir[i] = -dir[i]!;
    let slope = 0;
    for (let i = 0; i < d; i++) slope += g[i]! * dir[i]!;
    if (!(slope < 0)) {
      // Not a descent direction: reset memory, use steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) dir[i] = -g[i]! / Math.max(1, gm);
      slope = 0;
      for (let i = 0; i < d; i++) slope += g[i]! * dir[i]!;
    }
    let step = 1;
    let fn = 0;
    let ok = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < d; i++) xn[i] = x[i]! + step * dir[i]!;
      fn = fg(xn, gn);
      // Armijo, with a few ulps of slack: near the optimum f changes below its rounding error.
      if (Number.isFinite(fn) && fn <= f + 1e-4 * step * slope + 1e-14 * Math.max(1, Math.abs(f))) {
        ok = true;
        break;
      }
      step *= 0.5;
    }
    if (!ok) break;
    const sv = new Float64Array(d);
    const yv = new Float64Array(d);
    let sy = 0;
    for (let i = 0; i < d; i++) {
      sv[i] = xn[i]! - x[i]!;
      yv[i] = gn[i]! - g[i]!;
      sy += sv[i]! * yv[i]!;
    }
    if (sy > 1e-300) {
      S.push(sv);
      Y.push(yv);
      rho.push(1 / sy);
      if (S.length > mem) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    x.set(xn);
    g.set(gn);
    f = fn;
    gm = gmax(g);
    it++;
    opts.onIter?.(it, f, gm);
  }
  return { x, f, gradNorm: gm, iterations: it, converged: gm < tol };
}

/**
 * One damped Newton update θ ← θ − s·step, s = 1, ½, ¼, … (at most 50 halvings) until the objective
 * does not rise above f by more than a few ulps (near the optimum f changes below its rounding
 * error). θ takes the last trial either way, as the per-spin Newton solvers (PLE, kinetic ML) did;
 * `accepted` false means even the smallest step rose, and the solver should stop. `trial` is scratch.
 */
export function newtonBacktrack(theta: Float64Array, step: Float64Array, f: number, objective: (x: Float64Array) => number, trial: Float64Array): { value: number; accepted: boolean } {
  const d = theta.length;
  if (step.length !== d || trial.length !== d) throw new RangeError(`newtonBacktrack: step has ${step.length} entries and trial ${trial.length}, θ has ${d}`);
  const slack = 1e-14 * Math.max(1, Math.abs(f));
  let s = 1;
  let fn = f;
  for (let ls = 0; ls < 50; ls++) {
    for (let a = 0; a < d; a++) trial[a] = theta[a]! - s * step[a]!;
    fn = objective(trial);
    if (fn <= f + slack) break;
    s *= 0.5;
  }
  theta.set(trial);
  return { value: fn, accepted: fn <= f + slack };
}
