/**
 * Plain-JS register-tiled GEMM: C = alpha·op(A)·op(B) + beta·C (row-major, contiguous).
 *
 * Layout after Goto/BLIS: op(B) is packed in k-blocks of KC rows into panels of NR = 4 columns,
 * op(A) in blocks of MC rows into panels of MR = 4 rows (packing absorbs all four transpose
 * cases and zero-pads ragged edges), and a 4×4 micro-kernel keeps its 16 partial sums in local
 * variables while streaming both panels. Packed panels are float64, so the kernel never converts.
 */
import type { Storage } from '../dtype.js';

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 2048;

// Scratch panels, grown on demand (at most (MC + NC)·KC doubles, 4.3 MB) and reused
// (single-threaded, non-reentrant).
let packA = new Float64Array(0);
let packB = new Float64Array(0);
const edge = new Float64Array(MR * NR);

/** Pack op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels: panel q holds (p, r) at q·kc·MR + p·MR + r. */
function packPanelsA(transA: boolean, a: Storage, m: number, k: number, i0: number, mc: number, p0: number, kc: number): void {
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    if (!transA) {
      // A is m×k: row i contiguous along p
      for (let r = 0; r < MR; r++) {
        if (r < rows) {
          const base = (i0 + ir + r) * k + p0;
          for (let p = 0, q = o + r; p < kc; p++, q += MR) packA[q] = a[base + p]!;
        } else for (let p = 0, q = o + r; p < kc; p++, q += MR) packA[q] = 0;
      }
    } else {
      // A is k×m: op(A)(i, p) = a[p·m + i], the MR values of one p are contiguous
      for (let p = 0; p < kc; p++) {
        const base = (p0 + p) * m + i0 + ir;
        const q = o + p * MR;
        for (let r = 0; r < MR; r++) packA[q + r] = r < rows ? a[base + r]! : 0;
      }
    }
    o += kc * MR;
  }
}

/** Pack op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels: panel q holds (p, c) at q·kc·NR + p·NR + c. */
function packPanelsB(transB: boolean, b: Storage, n: number, k: number, p0: number, kc: number, j0: number, nc: number): void {
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    if (!transB) {
      // B is k×n: the NR values of one p are contiguous
      for (let p = 0; p < kc; p++) {
        const base = (p0 + p) * n + j0 + jr;
        const q = o + p * NR;
        if (cols === NR) {
          packB[q] = b[base]!; packB[q + 1] = b[base + 1]!; packB[q + 2] = b[base + 2]!; packB[q + 3] = b[base + 3]!;
        } else for (let c = 0; c < NR; c++) packB[q + c] = c < cols ? b[base + c]! : 0;
      }
    } else {
      // B is n×k: op(B)(p, j) = b[j·k + p], column j contiguous along p
      for (let c = 0; c < NR; c++) {
        if (c < cols) {
          const base = (j0 + jr + c) * k + p0;
          for (let p = 0, q = o + c; p < kc; p++, q += NR) packB[q] = b[base + p]!;
        } else for (let p = 0, q = o + c; p < kc; p++, q += NR) packB[q] = 0;
      }
    }
    o += kc * NR;
  }
}

/**
 * The 4×4 micro-kernel: acc = Apanel·Bpanel over kc, then C[ci.., ..] = alpha·acc + beta·C for
 * the rows × cols part that lies inside C (beta 0: C is not read). 4×4 beat 4×8, 2×8, 4×3 and
 * others in V8 on this machine (16 accumulators + 4 b values + 1 a nearly fit the 16 registers).
 */
function kernel4x4(kc: number, ao: number, bo: number, c: Storage, ci: number, ldc: number,
  rows: number, cols: number, alpha: number, beta: number): void {
  const A = packA, B = packB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, ao += 4, bo += 4) {
    const b0 = B[bo]!, b1 = B[bo + 1]!, b2 = B[bo + 2]!, b3 = B[bo + 3]!;
    let a = A[ao]!;
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = A[ao + 1]!;
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = A[ao + 2]!;
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = A[ao + 3]!;
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
  }
  if (rows === MR && cols === NR) {
    let o = ci;
    if (beta === 0) {
      c[o] = alpha * c00; c[o + 1] = alpha * c01; c[o + 2] = alpha * c02; c[o + 3] = alpha * c03; o += ldc;
      c[o] = alpha * c10; c[o + 1] = alpha * c11; c[o + 2] = alpha * c12; c[o + 3] = alpha * c13; o += ldc;
      c[o] = alpha * c20; c[o + 1] = alpha * c21; c[o + 2] = alpha * c22; c[o + 3] = alpha * c23; o += ldc;
      c[o] = alpha * c30; c[o + 1] = alpha * c31; c[o + 2] = alpha * c32; c[o + 3] = alpha * c33;
    } else {
      c[o] = alpha * c00 + beta * c[o]!; c[o + 1] = alpha * c01 + beta * c[o + 1]!; c[o + 2] = alpha * c02 + beta * c[o + 2]!; c[o + 3] = alpha * c03 + beta * c[o + 3]!; o += ldc;
      c[o] = alpha * c10 + beta * c[o]!; c[o + 1] = alpha * c11 + beta * c[o + 1]!; c[o + 2] = alpha * c12 + beta * c[o + 2]!; c[o + 3] = alpha * c13 + beta * c[o + 3]!; o += ldc;
      c[o] = alpha * c20 + beta * c[o]!; c[o + 1] = alpha * c21 + beta * c[o + 1]!; c[o + 2] = alpha * c22 + beta * c[o + 2]!; c[o + 3] = alpha * c23 + beta * c[o + 3]!; o += ldc;
      c[o] = alpha * c30 + beta * c[o]!; c[o + 1] = alpha * c31 + beta * c[o + 1]!; c[o + 2] = alpha * c32 + beta * c[o + 2]!; c[o + 3] = alpha * c33 + beta * c[o + 3]!;
    }
    return;
  }
  // Ragged edge: spill the tile and write only the part inside C.
  const e = edge;
  e[0] = c00; e[1] = c01; e[2] = c02; e[3] = c03; e[4] = c10; e[5] = c11; e[6] = c12; e[7] = c13;
  e[8] = c20; e[9] = c21; e[10] = c22; e[11] = c23; e[12] = c30; e[13] = c31; e[14] = c32; e[15] = c33;
  for (let r = 0; r < rows; r++) {
    const o = ci + r * ldc;
    for (let j = 0; j < cols; j++) c[o + j] = alpha * e[r * NR + j]! + (beta === 0 ? 0 : beta * c[o + j]!);
  }
}

/** Small products: packing does not pay; a direct i-p-j loop (row of C accumulated in place). */
function gemmSmall(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i]! : a[i * k + p]!;
      if (av === 0) continue;
      if (transB) for (let j = 0, q = p; j < n; j++, q += k) row[j]! += av * b[q]!;
      else for (let j = 0, q = p * n; j < n; j++, q++) row[j]! += av * b[q]!;
    }
    const o = i * n;
    if (beta === 0) for (let j = 0; j < n; j++) c[o + j] = alpha * row[j]!;
    else for (let j = 0; j < n; j++) c[o + j] = alpha * row[j]! + beta * c[o + j]!;
  }
}

export function gemmTiled(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void {
  if (a.length < m * k || b.length < k * n || c.length < m * n) {
    throw new Error(`gemm: arrays too short for m=${m}, n=${n}, k=${k} (a ${a.length}, b ${b.length}, c ${c.length})`);
  }
  if (m === 0 || n === 0) return;
  if (k === 0 || alpha === 0) {
    for (let i = 0; i < m * n; i++) c[i] = beta === 0 ? 0 : beta * c[i]!;
    return;
  }
  if (m * n * k <= 16 * 16 * 16 || m < MR || n < NR) {
    gemmSmall(transA, transB, m, n, k, a, b, c, alpha, beta);
    return;
  }
  const kcMax = Math.min(KC, k);
  const ncMax = Math.min(NC, Math.ceil(n / NR) * NR);
  const mcMax = Math.min(MC, Math.ceil(m / MR) * MR);
  if (packB.length < ncMax * kcMax) packB = new Float64Array(ncMax * kcMax);
  if (packA.length < mcMax * kcMax) packA = new Float64Array(mcMax * kcMax);
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      // later k-blocks accumulate onto the first (for float32 C, one float32 rounding per block)
      const bt = p0 === 0 ? beta : 1;
      packPanelsB(transB, b, n, k, p0, kc, j0, nc);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packPanelsA(transA, a, m, k, i0, mc, p0, kc);
        for (let jr = 0, bo = 0; jr < nc; jr += NR, bo += kc * NR) {
          const cols = Math.min(NR, nc - jr);
          for (let ir = 0, ao = 0; ir < mc; ir += MR, ao += kc * MR) {
            kernel4x4(kc, ao, bo, c, (i0 + ir) * n + j0 + jr, n, Math.min(MR, mc - ir), cols, alpha, bt);
          }
        }
      }
    }
  }
}
