/**
 * Non-differentiable tensor kernels on whole tensors: shape logic (broadcasting, axes) plus one
 * backend call each. The autograd layer builds its ops from these; they allocate outputs through
 * the current backend and never cache storage buffers.
 */
import type { Storage } from './dtype.js';
import type { BinaryOp, UnaryOp } from './backend/types.js';
import { getBackend } from './backend/registry.js';
import { Tensor } from './tensor.js';
import { at } from '../util/checked.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) { st[d] = s; s *= at(shape, d, 'shape'); }
  return st;
}

/** The numpy broadcast of two shapes (aligned on the right; a 1 stretches). */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const nd = Math.max(a.length, b.length);
  const out = new Array<number>(nd);
  for (let i = 0; i < nd; i++) {
    const da = a[a.length - nd + i] ?? 1, db = b[b.length - nd + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast shapes ${fmt(a)} and ${fmt(b)} (axis ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a contiguous tensor of `shape` as if broadcast to `target` (0 on stretched axes). */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  if (shape.length > target.length) throw new Error(`cannot broadcast ${fmt(shape)} to ${fmt(target)}`);
  const own = contiguousStrides(shape);
  const off = target.length - shape.length;
  const st = new Array<number>(target.length).fill(0);
  for (let d = 0; d < shape.length; d++) {
    const n = at(shape, d, 'shape'), t = at(target, d + off, 'target shape');
    if (n !== t && n !== 1) throw new Error(`cannot broadcast ${fmt(shape)} to ${fmt(target)}`);
    st[d + off] = n === 1 ? 0 : at(own, d, 'strides');
  }
  return st;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function alloc(like: Tensor, shape: readonly number[]): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(getBackend().alloc(like.dtype, size), shape);
}

function checkDtypes(what: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new Error(`${what}: dtype mismatch (${a.dtype} vs ${b.dtype}); convert one with astype()`);
}

/** A copy in another dtype (or the same tensor when it already has that dtype). */
export function astype(x: Tensor, dtype: 'float32' | 'float64'): Tensor {
  if (x.dtype === dtype) return x;
  const out = new Tensor(getBackend().alloc(dtype, x.size), x.shape);
  (out.data as Storage).set(x.data);
  return out;
}

/** a (op) b with numpy broadcasting. */
export function elementwise(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  checkDtypes(op, a, b);
  const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape);
  const out = alloc(a, shape);
  getBackend().binary(op, shape, a.data, broadcastStrides(a.shape, shape), b.data, broadcastStrides(b.shape, shape), out.data);
  return out;
}

/** f(x) elementwise. */
export function mapUnary(op: UnaryOp, x: Tensor, p?: number): Tensor {
  const out = alloc(x, x.shape);
  getBackend().unary(op, x.data, out.data, p);
  return out;
}

/** g·f'(x) elementwise, y = f(x). */
export function mapUnaryGrad(op: UnaryOp, x: Tensor, y: Tensor, g: Tensor, p?: number): Tensor {
  const out = alloc(x, x.shape);
  getBackend().unaryGrad(op, x.data, y.data, g.data, out.data, p);
  return out;
}

/**
 * Sum x down to `shape`, which must broadcast to x.shape: the adjoint of broadcasting (how a
 * gradient returns to a broadcast operand). Returns x itself when the shapes already agree.
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const out = alloc(x, shape);
  getBackend().sumTo(x.shape, x.data, broadcastStrides(shape, x.shape), out.data);
  return out;
}

/** x broadcast (copied) to `shape`, times `scale`. */
export function expandTo(x: Tensor, shape: readonly number[], scale = 1): Tensor {
  const out = alloc(x, shape);
  const s = getBackend().alloc(x.dtype, 1);
  s[0] = scale;
  getBackend().binary('mul', shape, x.data, broadcastStrides(x.shape, shape), s, shape.map(() => 0), out.data);
  return out;
}

/** Validate axes (negative counts from the end) and return them sorted and unique-checked. */
export function normalizeAxes(axes: number | readonly number[] | undefined, ndim: number, what = 'axes'): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -ndim || a >= ndim) throw new Error(`${what}: axis ${a} out of range for a ${ndim}-D tensor`);
    return a < 0 ? a + ndim : a;
  });
  out.sort((p, q) => p - q);
  for (let i = 1; i < out.length; i++) if (out[i] === out[i - 1]) throw new Error(`${what}: axis ${out[i]} repeated`);
  return out;
}

/** Shape of a sum over `axes` with kept (size-1) dimensions. */
export function keptShapeOf(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Sum over axes (all when undefined). */
export function reduceSum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.ndim, 'sum');
  const kept = keptShapeOf(x.shape, ax);
  const out = alloc(x, keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i)));
  getBackend().sumTo(x.shape, x.data, broadcastStrides(kept, x.shape), out.data);
  return out;
}

/** y += alpha·x in place (same shape and dtype). */
export function axpyInPlace(alpha: number, x: Tensor, y: Tensor): void {
  if (!sameShape(x.shape, y.shape)) throw new Error(`axpy: shapes differ (${fmt(x.shape)} vs ${fmt(y.shape)})`);
  checkDtypes('axpy', x, y);
  getBackend().axpy(alpha, x.data, y.data);
}

/** A copy with its own storage. */
export function clone(x: Tensor): Tensor {
  const out = alloc(x, x.shape);
  (out.data as Storage).set(x.data);
  return out;
}
