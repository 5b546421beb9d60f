// Emits the elementwise kernels of the wasm-simd backend that are worth the operand copies
// (WASM_UNARY below: the exact (erf) GELU and its derivative, compute-bound in JS). Four lanes at
// a time; lengths are rounded up to a multiple of 4 by the caller (the extra lanes are ignored).
//
//   gelu(x) = x·Φ(x), Φ(x) = ½·erfc(−x/√2);  gelu'(x) = Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π)
//
// erfc(z), z ≥ 0, is Numerical Recipes' erfcc: t = 1/(1 + z/2),
// erfc ≈ t·exp(−z² + P(t)) with fractional error < 1.2e-7 everywhere; exp is a Cody–Waite
// reduction to r ∈ [−ln2/2, ln2/2], a degree-6 Taylor polynomial, and 2ⁿ built from exponent bits.
// Both polynomials are evaluated by Estrin's scheme (emitPoly).
import { Fn, T } from './encoder.js';
import type { UnaryOp } from '../types.js';
import { at } from '../../../util/checked.js';

export const LOG2E = 1.4426950408889634, LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
export const ERFC_P = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

/** Push f32x4.splat(c). */
function splat(f: Fn, c: number): void {
  f.f32(c).op('f32x4.splat');
}

/**
 * out = c₀ + c₁x + … + c_d·x^d by Estrin's scheme: pairs (c₂ᵢ + c₂ᵢ₊₁·x), then pairs of those
 * with x², x⁴, …: ⌈log₂(d+1)⌉ dependent multiply-adds instead of Horner's d. The GELU is
 * latency-bound (one erfc and one exp polynomial in a row), so this shortens its chain.
 */
function emitPoly(f: Fn, x: number, c: readonly number[], out: number): void {
  let terms: number[] = [];
  for (let i = 0; i < c.length; i += 2) {
    const q = f.local(T.v128);
    if (i + 1 < c.length) { f.get(x); splat(f, at(c, i + 1, 'coefficients')); f.op('f32x4.mul'); splat(f, at(c, i, 'coefficients')); f.op('f32x4.add'); } else splat(f, at(c, i, 'coefficients'));
    f.set(q);
    terms.push(q);
  }
  let power = x;
  while (terms.length > 1) {
    const sq = f.local(T.v128);
    f.get(power).get(power).op('f32x4.mul').set(sq);
    power = sq;
    const next: number[] = [];
    for (let i = 0; i < terms.length; i += 2) {
      if (i + 1 === terms.length) { next.push(at(terms, i, 'terms')); continue; }
      const q = f.local(T.v128);
      f.get(at(terms, i + 1, 'terms')).get(power).op('f32x4.mul').get(at(terms, i, 'terms')).op('f32x4.add').set(q);
      next.push(q);
    }
    terms = next;
  }
  f.get(at(terms, 0, 'terms')).set(out);
}

export const EXP_TAYLOR = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720];

/** out = exp(max(v, −87.3)) lane-wise (v, out: v128 locals; tmp locals given). */
function emitExp(f: Fn, v: number, out: number, n: number, r: number): void {
  // pmax/pmin (b < a ? b : a), not max/min: the same result for every non-NaN lane, one
  // instruction on x64 instead of wasm min/max's ~7 (NaN and ±0 fix-ups) on the GELU's latency chain.
  f.get(v); splat(f, -87.3); f.op('f32x4.pmax').set(v);
  f.get(v); splat(f, LOG2E); f.op('f32x4.mul', 'f32x4.nearest').set(n);
  f.get(v).get(n); splat(f, LN2_HI); f.op('f32x4.mul', 'f32x4.sub');
  f.get(n); splat(f, LN2_LO); f.op('f32x4.mul', 'f32x4.sub').set(r);
  // 1 + r + r²/2 + … + r⁶/720
  const p = f.local(T.v128);
  emitPoly(f, r, EXP_TAYLOR, p);
  f.get(p);
  // × 2ⁿ: ((n + 127) << 23) reinterpreted as float32
  f.get(n).op('i32x4.trunc_sat_f32x4_s').i32(127).op('i32x4.splat', 'i32x4.add').i32(23).op('i32x4.shl');
  f.op('f32x4.mul').set(out);
}

/** e = ½·erfc(z) for z ≥ 0 (z: v128 local, clamped to ≤ 9 here). */
function emitHalfErfc(f: Fn, z: number, e: number, t: number, w: number, n: number, r: number): void {
  f.get(z); splat(f, 9); f.op('f32x4.pmin').set(z);
  splat(f, 1); splat(f, 1); f.get(z); splat(f, 0.5); f.op('f32x4.mul', 'f32x4.add', 'f32x4.div').set(t);
  const p = f.local(T.v128);
  emitPoly(f, t, ERFC_P, p);
  f.get(p).get(z).get(z).op('f32x4.mul', 'f32x4.sub').set(w); // −z² + P(t)
  emitExp(f, w, w, n, r);
  f.get(t).get(w).op('f32x4.mul'); splat(f, 0.5); f.op('f32x4.mul').set(e);
}

/** Φ(x) into phi (v128 local) from x; z = |x|/√2 left in z. */
function emitPhi(f: Fn, x: number, phi: number, z: number, e: number, t: number, w: number, n: number, r: number): void {
  emitZ(f, x, z);
  f.get(z).set(w);
  emitHalfErfc(f, w, e, t, w, n, r);
  // Φ = x < 0 ? e : 1 − e
  f.get(e); splat(f, 1); f.get(e).op('f32x4.sub');
  f.get(x); splat(f, 0); f.op('f32x4.lt', 'v128.bitselect').set(phi);
}

/** z = |x|/√2 (v128 locals), the argument of erfc in Φ and of exp in φ. */
function emitZ(f: Fn, x: number, z: number): void {
  f.get(x).op('f32x4.abs'); splat(f, Math.SQRT1_2); f.op('f32x4.mul').set(z);
}

/**
 * Emit out = gelu(x) for one v128 local x into the v128 local out, with fresh scratch locals
 * (the GEMM epilogue inlines this).
 */
export function emitGeluVector(f: Fn, x: number, out: number): void {
  emitGeluPhiVector(f, x, out, f.local(T.v128));
}

/** out = gelu(x) and Φ(x) left in the v128 local phi (the saving forward keeps it). */
function emitGeluPhiVector(f: Fn, x: number, out: number, phi: number): void {
  const [z, e, t, w, n, r] = Array.from({ length: 6 }, () => f.local(T.v128)) as [number, number, number, number, number, number];
  emitPhi(f, x, phi, z, e, t, w, n, r);
  f.get(x).get(phi).op('f32x4.mul').set(out);
}

/** out = g·gelu′(x) = g·(Φ(x) + x·φ(x)) for v128 locals x, g into out. */
function emitGeluGradVector(f: Fn, x: number, g: number, out: number): void {
  const [phi, z, e, t, w, n, r] = Array.from({ length: 7 }, () => f.local(T.v128)) as [number, number, number, number, number, number, number];
  emitPhi(f, x, phi, z, e, t, w, n, r);
  emitGeluGradFromPhi(f, x, phi, z, g, out, n, r);
}

/**
 * The end of emitGeluGradVector, given Φ(x) (phi) and z = |x|/√2: out = g·(Φ + x·φ(x)). The
 * saving backward runs only this, on the Φ its forward stored: the same operations on the same
 * values, so the same bits.
 */
function emitGeluGradFromPhi(f: Fn, x: number, phi: number, z: number, g: number, out: number, n: number, r: number): void {
  const d = f.local(T.v128);
  // φ(x)·√(2π) = exp(−z²) with z = |x|/√2
  f.get(z).get(z).op('f32x4.mul', 'f32x4.neg').set(d);
  emitExp(f, d, d, n, r);
  f.get(g);
  f.get(phi).get(x).get(d).op('f32x4.mul'); splat(f, 1 / Math.sqrt(2 * Math.PI)); f.op('f32x4.mul', 'f32x4.add');
  f.op('f32x4.mul').set(out);
}

/** out = g·gelu′(x) from a stored Φ(x) (v128 locals x, phi, g): z as emitPhi makes it (emitZ), then emitGeluGradFromPhi. */
function emitGeluGradSavedVector(f: Fn, x: number, phi: number, g: number, out: number): void {
  const [z, n, r] = Array.from({ length: 3 }, () => f.local(T.v128)) as [number, number, number];
  emitZ(f, x, z);
  emitGeluGradFromPhi(f, x, phi, z, g, out, n, r);
}

/**
 * A unary op's wasm kernels, four float32 lanes at a time: `value` emits out = f(x), `grad`
 * out = g·f′(x), for v128 locals. `tol(x)`: the relative error allowed against the float64 JS
 * kernel at x (the conformance tests use it).
 */
export interface WasmUnaryKernel {
  value(f: Fn, x: number, out: number): void;
  grad(f: Fn, x: number, g: number, out: number): void;
  tol(x: number): number;
  /** The inputs over which `tol` is stated (and tested). */
  range: readonly [number, number];
}

/**
 * The ops with wasm kernels, by their names in the op table (tensor/backend/unary.ts); the rest
 * run the JS loops. Only ops compute-bound in JS are worth the copies in and out: the GELU.
 * Its error: exp(−x²/2) is dominated by rounding x²/2 to float32 (relative ε·x²/2), plus the
 * erfc formula (1.2e-7) and a dozen float32 roundings: (16 + x²)·ε, ε = 2⁻²³, on [−12, 12]
 * (further out erfc's argument is clamped: absolute errors below 1e-35 where GELU underflows).
 */
export const WASM_UNARY: { readonly [K in UnaryOp]?: WasmUnaryKernel } = {
  gelu: { value: emitGeluVector, grad: emitGeluGradVector, tol: (x) => (16 + x * x) * 2 ** -23, range: [-12, 12] },
};

/** Names of an op's exported kernels: unary_<op>(x, out, nvec) and unaryGrad_<op>(x, g, out, nvec). */
export const unaryKernelNames = (op: UnaryOp): { value: string; grad: string } => ({ value: `unary_${op}`, grad: `unaryGrad_${op}` });

/**
 * Independent vectors per loop trip in the GELU loops (here and in the GEMM epilogue). One GELU
 * is a ~100-cycle chain of dependent ops; with several in one loop body the engine's scheduler
 * and the CPU overlap them (x64, V8: unary_gelu 1.6× faster at 2 than at 1, ~1.9× at 3–4; the
 * derivative, with more live values, best at 3). The same operations per lane, so the same bits.
 */
export const GELU_UNROLL = 4;
const GELU_GRAD_UNROLL = 3;

/**
 * Loop over `count` (an i32 local) vectors, `u` per trip, then the rest one at a time:
 * `step(m)` emits the work of m consecutive vectors and advances the pointers past them.
 */
export function unrolledVecLoop(f: Fn, count: number, u: number, step: (m: number) => void): void {
  const i = f.local(T.i32), main = f.local(T.i32);
  f.get(count).get(count).i32(u).op('i32.rem_u', 'i32.sub').set(main);
  f.for(i, 0, () => f.get(main), u, () => step(u));
  f.for(i, () => f.get(main), () => f.get(count), 1, () => step(1));
}

/** u fresh v128 locals (one per unrolled vector). */
export const vecLocals = (f: Fn, u: number): number[] => Array.from({ length: u }, () => f.local(T.v128));

/** unary_<op>(x, out, nvec): out[0:4·nvec] = f(x[…]). */
function emitUnary(op: UnaryOp, k: WasmUnaryKernel): Fn {
  const f = new Fn(unaryKernelNames(op).value, [T.i32, T.i32, T.i32]);
  const [px, po, nv] = [0, 1, 2];
  const x = vecLocals(f, GELU_UNROLL), y = vecLocals(f, GELU_UNROLL);
  unrolledVecLoop(f, nv, GELU_UNROLL, (m) => {
    for (let u = 0; u < m; u++) f.get(px).mem('v128.load', 16 * u).set(at(x, u, 'x'));
    for (let u = 0; u < m; u++) k.value(f, at(x, u, 'x'), at(y, u, 'y'));
    for (let u = 0; u < m; u++) f.get(po).get(at(y, u, 'y')).mem('v128.store', 16 * u);
    f.inc(px, 16 * m).inc(po, 16 * m);
  });
  return f;
}

/** unaryGrad_<op>(x, g, out, nvec): out = g·f′(x). */
function emitUnaryGrad(op: UnaryOp, k: WasmUnaryKernel): Fn {
  const f = new Fn(unaryKernelNames(op).grad, [T.i32, T.i32, T.i32, T.i32]);
  const [px, pg, po, nv] = [0, 1, 2, 3];
  const x = vecLocals(f, GELU_GRAD_UNROLL), g = vecLocals(f, GELU_GRAD_UNROLL), d = vecLocals(f, GELU_GRAD_UNROLL);
  unrolledVecLoop(f, nv, GELU_GRAD_UNROLL, (m) => {
    for (let u = 0; u < m; u++) {
      f.get(px).mem('v128.load', 16 * u).set(at(x, u, 'x'));
      f.get(pg).mem('v128.load', 16 * u).set(at(g, u, 'g'));
    }
    for (let u = 0; u < m; u++) k.grad(f, at(x, u, 'x'), at(g, u, 'g'), at(d, u, 'd'));
    for (let u = 0; u < m; u++) f.get(po).get(at(d, u, 'd')).mem('v128.store', 16 * u);
    f.inc(px, 16 * m).inc(pg, 16 * m).inc(po, 16 * m);
  });
  return f;
}

/**
 * The GELU of a training step, whose backward reuses its forward's Φ(x) (one erfc and its
 * division fewer per element): geluPhi(x, out, phi, nvec) is unary_gelu that also stores Φ(x) at
 * phi; geluGradPhi(x, phi, g, out, nvec) is unaryGrad_gelu reading that Φ instead of computing it
 * again. Each float32 operation is unary_gelu's and unaryGrad_gelu's on the same inputs: the same bits.
 */
export const GELU_PHI_KERNELS = { value: 'geluPhi', grad: 'geluGradPhi' } as const;

/** geluPhi(x, out, phi, nvec): out = gelu(x), phi = Φ(x). */
function emitGeluPhi(): Fn {
  const f = new Fn(GELU_PHI_KERNELS.value, [T.i32, T.i32, T.i32, T.i32]);
  const [px, po, pp, nv] = [0, 1, 2, 3];
  const x = vecLocals(f, GELU_UNROLL), y = vecLocals(f, GELU_UNROLL), p = vecLocals(f, GELU_UNROLL);
  unrolledVecLoop(f, nv, GELU_UNROLL, (m) => {
    for (let u = 0; u < m; u++) f.get(px).mem('v128.load', 16 * u).set(at(x, u, 'x'));
    for (let u = 0; u < m; u++) emitGeluPhiVector(f, at(x, u, 'x'), at(y, u, 'y'), at(p, u, 'phi'));
    for (let u = 0; u < m; u++) {
      f.get(po).get(at(y, u, 'y')).mem('v128.store', 16 * u);
      f.get(pp).get(at(p, u, 'phi')).mem('v128.store', 16 * u);
    }
    f.inc(px, 16 * m).inc(po, 16 * m).inc(pp, 16 * m);
  });
  return f;
}

/** Vectors per loop trip of geluGradPhi (an exp and a few products each: shorter chains than unaryGrad_gelu's). */
const GELU_GRAD_PHI_UNROLL = 4;

/** geluGradPhi(x, phi, g, out, nvec): out = g·gelu′(x) with Φ(x) read at phi. */
function emitGeluGradPhi(): Fn {
  const f = new Fn(GELU_PHI_KERNELS.grad, [T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [px, pp, pg, po, nv] = [0, 1, 2, 3, 4];
  const U = GELU_GRAD_PHI_UNROLL;
  const x = vecLocals(f, U), p = vecLocals(f, U), g = vecLocals(f, U), d = vecLocals(f, U);
  unrolledVecLoop(f, nv, U, (m) => {
    for (let u = 0; u < m; u++) {
      f.get(px).mem('v128.load', 16 * u).set(at(x, u, 'x'));
      f.get(pp).mem('v128.load', 16 * u).set(at(p, u, 'phi'));
      f.get(pg).mem('v128.load', 16 * u).set(at(g, u, 'g'));
    }
    for (let u = 0; u < m; u++) emitGeluGradSavedVector(f, at(x, u, 'x'), at(p, u, 'phi'), at(g, u, 'g'), at(d, u, 'd'));
    for (let u = 0; u < m; u++) f.get(po).get(at(d, u, 'd')).mem('v128.store', 16 * u);
    f.inc(px, 16 * m).inc(pp, 16 * m).inc(pg, 16 * m).inc(po, 16 * m);
  });
  return f;
}

/** The kernels of every op in WASM_UNARY, and the GELU's Φ-saving pair. */
export function emitElementwiseFunctions(): Fn[] {
  return [...(Object.entries(WASM_UNARY) as [UnaryOp, WasmUnaryKernel][]).flatMap(([op, k]) => [emitUnary(op, k), emitUnaryGrad(op, k)]), emitGeluPhi(), emitGeluGradPhi()];
}
