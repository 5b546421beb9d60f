/**
 * Small dense float64 linear algebra for inference: Gauss-Jordan inverse and solve with partial
 * pivoting. (Kept here rather than importing mathjs, so the browser core stays small and free of
 * any run-time code generation.)
 */

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
    if (!(Math.abs(pv) > 1e-13 * Math.max(scale, 1e-300))) throw new Error(`${what} is singular (pivot ${pv} in column ${c})`);
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
      m[c * k + j] *= ip;
      inv[c * k + j] *= ip;
    }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r * k + c]!;
      if (f === 0) continue;
      for (let j = 0; j < k; j++) {
        m[r * k + j] -= f * m[c * k + j]!;
        inv[r * k + j] -= f * inv[c * k + j]!;
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
  opts: { tol?: number; maxIter?: number; memory?: number; onIter?: (it: number, f: number, gmax: number) => void; signal?: { aborted: boolean } } = {},
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
    for (let i = 0; i < d; i++) m = Math.max(m, Math.abs(v[i]!));
    return m;
  };
  let it = 0;
  let gm = gmax(g);
  while (gm >= tol && it < maxIter) {
    if (opts.signal?.aborted) break;
    // Two-loop recursion: dir = −H g.
    dir.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < d; i++) a += S[k]![i]! * dir[i]!;
      a *= rho[k]!;
      alpha[k] = a;
      for (let i = 0; i < d; i++) dir[i] -= a * Y[k]![i]!;
    }
    if (S.length > 0) {
      const k = S.length - 1;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < d; i++) {
        sy += S[k]![i]! * Y[k]![i]!;
        yy += Y[k]![i]! * Y[k]![i]!;
      }
      const gammaK = sy / yy;
      for (let i = 0; i < d; i++) dir[i] *= gammaK;
    } else {
      const s = 1 / Math.max(1, gm);
      for (let i = 0; i < d; i++) dir[i] *= s;
    }
    for (let k = 0; k < S.length; k++) {
      let bcoef = 0;
      for (let i = 0; i < d; i++) bcoef += Y[k]![i]! * dir[i]!;
      bcoef *= rho[k]!;
      for (let i = 0; i < d; i++) dir[i] += S[k]![i]! * (alpha[k]! - bcoef);
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
