// Small float32/float64 kernels for loops resident in the backend's memory (wasm/resident.ts):
// a float32 sum and float64 column sums, each the exact arithmetic of the JS loop it replaces.
import { Fn, T } from './encoder.js';

/**
 * addF32(a, b, out, nvec): out = a + b on 4·nvec float32 lanes (out may be a or b) — the float32
 * sum JS's `a[i] + b[i]` stores into a Float32Array.
 */
function emitAddF32(): Fn {
  const f = new Fn('addF32', [T.i32, T.i32, T.i32, T.i32]);
  const [a, b, out, nv] = [0, 1, 2, 3];
  const i = f.local(T.i32);
  f.for(i, 0, () => f.get(nv), 1, () => {
    f.get(out).get(a).mem('v128.load').get(b).mem('v128.load').op('f32x4.add').mem('v128.store');
    f.inc(a, 16).inc(b, 16).inc(out, 16);
  });
  return f;
}

/**
 * colSumCols(x, rows, ld, out, j0, j1): out[j] = Σ_r x[r·ld + j] for the columns j in [j0, j1)
 * (j0 even), accumulated in float64 row after row and rounded once — the JS backend's sumTo of a
 * bias gradient. Two columns per lane pair (out gets one extra column when j1 − j0 is odd, and x
 * is read up to one float past its end). Each column's sum is the same whatever the range, so
 * the threads backend splits it by column ranges.
 */
function emitColSumCols(): Fn {
  const f = new Fn('colSumCols', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [x, rows, ld, out, j0, j1] = [0, 1, 2, 3, 4, 5];
  const j = f.local(T.i32), r = f.local(T.i32), p = f.local(T.i32), acc = f.local(T.v128);
  f.for(j, () => f.get(j0), () => f.get(j1), 2, () => {
    f.i32(0).op('i32x4.splat').set(acc);
    f.get(x).get(j).i32(2).op('i32.shl', 'i32.add').set(p);
    f.for(r, 0, () => f.get(rows), 1, () => {
      f.get(acc).get(p).mem('v128.load64_zero').op('f64x2.promote_low_f32x4', 'f64x2.add').set(acc);
      f.inc(p, () => { f.get(ld).i32(2).op('i32.shl'); });
    });
    f.get(out).get(j).i32(2).op('i32.shl', 'i32.add').get(acc).op('f32x4.demote_f64x2_zero').mem('v128.store64_lane0');
  });
  return f;
}

/** colSum(x, rows, n, out): colSumCols over all n columns of the rows × n matrix at x. */
function emitColSum(): Fn {
  const f = new Fn('colSum', [T.i32, T.i32, T.i32, T.i32]);
  f.get(0).get(1).get(2).get(3).i32(0).get(2).call('colSumCols');
  return f;
}

/** The kernels resident loops use beside the GEMM and the unary ops. */
export function emitResidentFunctions(): Fn[] {
  return [emitAddF32(), emitColSumCols(), emitColSum()];
}
