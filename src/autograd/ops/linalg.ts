/** Dense linear algebra on small square matrices (float64 recommended): the matrix inverse. */
import { Tensor, getBackend } from '../../tensor/index.js';
import { record } from '../graph.js';
import { dims } from '../../util/checked.js';

/** A⁻¹ by Gauss–Jordan elimination with partial pivoting (k×k, row-major). */
function invertData(a: ArrayLike<number>, k: number): Float64Array {
  const m = Float64Array.from(a as ArrayLike<number>);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let p = c, best = Math.abs(m[c * k + c]!);
    for (let r = c + 1; r < k; r++) {
      const v = Math.abs(m[r * k + c]!);
      if (v > best) { best = v; p = r; }
    }
    if (!(best > 0) || !Number.isFinite(best)) throw new Error(`inverse(): the ${k}×${k} matrix is singular (no pivot in column ${c})`);
    if (p !== c) {
      for (let j = 0; j < k; j++) {
        let t = m[c * k + j]!; m[c * k + j] = m[p * k + j]!; m[p * k + j] = t;
        t = inv[c * k + j]!; inv[c * k + j] = inv[p * k + j]!; inv[p * k + j] = t;
      }
    }
    const d = 1 / m[c * k + c]!;
    for (let j = 0; j < k; j++) { m[c * k + j] = m[c * k + j]! * d; inv[c * k + j] = inv[c * k + j]! * d; }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r * k + c]!;
      if (f === 0) continue;
      for (let j = 0; j < k; j++) { m[r * k + j] = m[r * k + j]! - f * m[c * k + j]!; inv[r * k + j] = inv[r * k + j]! - f * inv[c * k + j]!; }
    }
  }
  return inv;
}

/**
 * The inverse Y = A⁻¹ of a square matrix.  dY = −Y·dA·Y, so the gradient is dA = −Yᵀ·G·Yᵀ.
 */
export function inverse(a: Tensor): Tensor {
  if (a.ndim !== 2 || a.shape[0] !== a.shape[1]) throw new Error(`inverse(): expects a square 2-D tensor, got [${a.shape.join(', ')}]`);
  const [k] = dims(a.shape, 2, 'inverse()');
  const be = getBackend();
  const out = new Tensor(be.alloc(a.dtype, k * k), [k, k]);
  out.data.set(invertData(a.data, k));
  return record(out, 'inverse', [a], (g) => {
    const t = new Tensor(be.alloc(a.dtype, k * k), [k, k]);
    const ga = new Tensor(be.alloc(a.dtype, k * k), [k, k]);
    be.gemm(true, false, k, k, k, out.data, g.data, t.data, 1, 0); // Yᵀ·G
    be.gemm(false, true, k, k, k, t.data, out.data, ga.data, -1, 0); // −(Yᵀ·G)·Yᵀ
    return [ga];
  });
}
