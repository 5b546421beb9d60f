import { allocPlain } from '../dtype.js';
import type { Storage } from '../dtype.js';
import type { Backend, BinaryOp, UnaryOp } from './types.js';
import { UNARY_OPS } from './unary.js';
import { gemmTiled } from './gemm.js';
import { at } from '../../util/checked.js';

/**
 * Reference GEMM: the plain triple loop, in float64 accumulation. It is the oracle that the
 * fast kernels are tested against, not what runs in training.
 */
export function gemmReference(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void {
  if (a.length < m * k || b.length < k * n || c.length < m * n) {
    throw new Error(`gemmReference: ${m}×${k}·${k}×${n} needs ${m * k}, ${k * n} and ${m * n} values, got ${a.length}, ${b.length} and ${c.length}`);
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transB ? b[j * k + p]! : b[p * n + j]!;
        s += av * bv;
      }
      c[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * n + j]!);
    }
  }
}

/**
 * Drop size-1 axes and merge adjacent axes that every stride array traverses contiguously, so
 * that most broadcasts become 1-D or 2-D loops.
 */
export function collapseAxes(shape: readonly number[], strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = at(shape, d, 'shape');
    if (n === 1) continue;
    const last = sh.length - 1;
    if (last >= 0 && strides.every((s, q) => at(st, q, 'collapsed strides')[last] === at(s, d, 'strides') * n)) {
      sh[last] = at(sh, last, 'collapsed shape') * n;
      strides.forEach((s, q) => { at(st, q, 'collapsed strides')[last] = at(s, d, 'strides'); });
    } else {
      sh.push(n);
      strides.forEach((s, q) => at(st, q, 'collapsed strides').push(at(s, d, 'strides')));
    }
  }
  return { shape: sh, strides: st };
}

/** One output row of a strided binary kernel; the op switch sits outside the element loop. */
function binaryRow(op: BinaryOp, a: Storage, ia: number, sa: number, b: Storage, ib: number, sb: number,
  out: Storage, io: number, n: number): void {
  const end = io + n;
  switch (op) {
    case 'add': for (; io < end; io++, ia += sa, ib += sb) out[io] = a[ia]! + b[ib]!; break;
    case 'sub': for (; io < end; io++, ia += sa, ib += sb) out[io] = a[ia]! - b[ib]!; break;
    case 'mul': for (; io < end; io++, ia += sa, ib += sb) out[io] = a[ia]! * b[ib]!; break;
    case 'div': for (; io < end; io++, ia += sa, ib += sb) out[io] = a[ia]! / b[ib]!; break;
    default: throw new Error(`binary: unknown op '${op as string}'`);
  }
}

function binaryStrided(op: BinaryOp, shape: readonly number[], a: Storage, aStrides: readonly number[],
  b: Storage, bStrides: readonly number[], out: Storage): void {
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const c = collapseAxes(shape, [aStrides, bStrides]);
  const nd = c.shape.length;
  if (nd === 0) {
    binaryRow(op, a, 0, 0, b, 0, 0, out, 0, 1);
    return;
  }
  const shp = c.shape, sa = at(c.strides, 0, 'collapsed strides'), sb = at(c.strides, 1, 'collapsed strides');
  const n = at(shp, nd - 1, 'collapsed shape'), sIa = at(sa, nd - 1, 'collapsed strides'), sIb = at(sb, nd - 1, 'collapsed strides');
  const rows = total / n;
  const idx = new Array<number>(nd).fill(0);
  let pa = 0, pb = 0;
  for (let r = 0, po = 0; r < rows; r++, po += n) {
    binaryRow(op, a, pa, sIa, b, pb, sIb, out, po, n);
    for (let d = nd - 2; d >= 0; d--) { // odometer over the outer axes
      // Checked here, not through at(): this runs once per row, where a shared helper's read is megamorphic.
      const m = shp[d], s = sa[d], t = sb[d], i = idx[d];
      if (m === undefined || s === undefined || t === undefined || i === undefined) throw new RangeError(`binary: collapsed axis ${d} missing`);
      pa += s; pb += t;
      if (i + 1 < m) { idx[d] = i + 1; break; }
      pa -= s * m; pb -= t * m;
      idx[d] = 0;
    }
  }
}

/** out[i] = f(x[i]), from the op table (unary.ts). */
function unaryMap(op: UnaryOp, x: Storage, out: Storage, p = 1): void {
  const def = UNARY_OPS[op];
  if (!def) throw new Error(`unary: unknown op '${op as string}'`);
  def.forward(x, out, p);
}

/** out[i] = g[i]·f'(x[i]), from the op table (unary.ts). */
function unaryBackward(op: UnaryOp, x: Storage, y: Storage, g: Storage, out: Storage, p = 1): void {
  const def = UNARY_OPS[op];
  if (!def) throw new Error(`unaryGrad: unknown op '${op as string}'`);
  def.backward(x, y, g, out, p);
}

function sumToStrided(shape: readonly number[], x: Storage, outStrides: readonly number[], out: Storage): void {
  const nd0 = shape.length;
  const xStrides = new Array<number>(nd0);
  let total = 1;
  for (let d = nd0 - 1; d >= 0; d--) { xStrides[d] = total; total *= at(shape, d, 'shape'); }
  const acc = new Float64Array(out.length);
  if (total > 0) {
    const c = collapseAxes(shape, [xStrides, outStrides]);
    const nd = c.shape.length;
    const shp = c.shape, so = at(c.strides, 1, 'collapsed strides');
    if (nd === 0) acc[0] = x[0]!;
    else {
      const n = at(shp, nd - 1, 'collapsed shape'), sIn = at(so, nd - 1, 'collapsed strides'); // x's innermost stride is 1 after collapsing
      const rows = total / n;
      const idx = new Array<number>(nd).fill(0);
      let po = 0;
      for (let r = 0, px = 0; r < rows; r++, px += n) {
        if (sIn === 0) {
          let s = 0;
          for (let j = 0; j < n; j++) s += x[px + j]!;
          acc[po]! += s;
        } else {
          for (let j = 0, q = po; j < n; j++, q += sIn) acc[q]! += x[px + j]!;
        }
        for (let d = nd - 2; d >= 0; d--) {
          // Checked here, not through at(): this runs once per row, where a shared helper's read is megamorphic.
          const m = shp[d], st = so[d], i = idx[d];
          if (m === undefined || st === undefined || i === undefined) throw new RangeError(`sumTo: collapsed axis ${d} missing`);
          po += st;
          if (i + 1 < m) { idx[d] = i + 1; break; }
          po -= st * m;
          idx[d] = 0;
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
}

function axpyJs(alpha: number, x: Storage, y: Storage): void {
  const n = x.length;
  if (y.length !== n) throw new Error(`axpy: lengths differ (${n} vs ${y.length})`);
  if (alpha === 1) for (let i = 0; i < n; i++) y[i]! += x[i]!;
  else for (let i = 0; i < n; i++) y[i]! += alpha * x[i]!;
}

/** The plain-JS backend: the specification. */
export const jsBackend: Backend = {
  name: 'js',
  alloc: allocPlain,
  gemm: gemmTiled,
  binary: binaryStrided,
  unary: unaryMap,
  unaryGrad: unaryBackward,
  sumTo: sumToStrided,
  axpy: axpyJs,
};
