/**
 * Plain-JS register-tiled GEMM: C = alpha·op(A)·op(B) + beta·C (row-major, contiguous).
 *
 * Layout after Goto/BLIS: op(B) is packed in k-blocks of KC rows into panels of NR = 8 columns,
 * op(A) in blocks of MC rows into panels of MR = 4 rows (packing absorbs all four transpose
 * cases and zero-pads ragged edges), and a 4×8 micro-kernel keeps its 32 partial sums in local
 * variables while streaming both panels. Packed panels are float64, so the kernel never converts.
 */
import type { Storage } from '../dtype.js';

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;
const NC = 2048;

// Scratch panels, grown on demand and reused (single-threaded, non-reentrant).
let packA = new Float64Array(MC * KC);
let packB = new Float64Array(NC * KC);
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
          packB[q + 4] = b[base + 4]!; packB[q + 5] = b[base + 5]!; packB[q + 6] = b[base + 6]!; packB[q + 7] = b[base + 7]!;
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
 * The 4×8 micro-kernel: acc = Apanel·Bpanel over kc, then C[ci.., ..] = alpha·acc + beta·C for
 * the rows × cols part that lies inside C (beta 0: C is not read).
 */
function kernel4x8(kc: number, ao: number, bo: number, c: Storage, ci: number, ldc: number,
  rows: number, cols: number, alpha: number, beta: number): void {
  const A = packA, B = packB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let p = 0; p < kc; p++, ao += 4, bo += 8) {
    const b0 = B[bo]!, b1 = B[bo + 1]!, b2 = B[bo + 2]!, b3 = B[bo + 3]!;
    const b4 = B[bo + 4]!, b5 = B[bo + 5]!, b6 = B[bo + 6]!, b7 = B[bo + 7]!;
    let a = A[ao]!;
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3; c04 += a * b4; c05 += a * b5; c06 += a * b6; c07 += a * b7;
    a = A[ao + 1]!;
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3; c14 += a * b4; c15 += a * b5; c16 += a * b6; c17 += a * b7;
    a = A[ao + 2]!;
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3; c24 += a * b4; c25 += a * b5; c26 += a * b6; c27 += a * b7;
    a = A[ao + 3]!;
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3; c34 += a * b4; c35 += a * b5; c36 += a * b6; c37 += a * b7;
  }
  if (rows === MR && cols === NR) {
    let o = ci;
    if (beta === 0) {
      c[o] = alpha * c00; c[o + 1] = alpha * c01; c[o + 2] = alpha * c02; c[o + 3] = alpha * c03;
      c[o + 4] = alpha * c04; c[o + 5] = alpha * c05; c[o + 6] = alpha * c06; c[o + 7] = alpha * c07; o += ldc;
      c[o] = alpha * c10; c[o + 1] = alpha * c11; c[o + 2] = alpha * c12; c[o + 3] = alpha * c13;
      c[o + 4] = alpha * c14; c[o + 5] = alpha * c15; c[o + 6] = alpha * c16; c[o + 7] = alpha * c17; o += ldc;
      c[o] = alpha * c20; c[o + 1] = alpha * c21; c[o + 2] = alpha * c22; c[o + 3] = alpha * c23;
      c[o + 4] = alpha * c24; c[o + 5] = alpha * c25; c[o + 6] = alpha * c26; c[o + 7] = alpha * c27; o += ldc;
      c[o] = alpha * c30; c[o + 1] = alpha * c31; c[o + 2] = alpha * c32; c[o + 3] = alpha * c33;
      c[o + 4] = alpha * c34; c[o + 5] = alpha * c35; c[o + 6] = alpha * c36; c[o + 7] = alpha * c37;
    } else {
      c[o] = alpha * c00 + beta * c[o]!; c[o + 1] = alpha * c01 + beta * c[o + 1]!; c[o + 2] = alpha * c02 + beta * c[o + 2]!; c[o + 3] = alpha * c03 + beta * c[o + 3]!;
      c[o + 4] = alpha * c04 + beta * c[o + 4]!; c[o + 5] = alpha * c05 + beta * c[o + 5]!; c[o + 6] = alpha * c06 + beta * c[o + 6]!; c[o + 7] = alpha * c07 + beta * c[o + 7]!; o += ldc;
      c[o] = alpha * c10 + beta * c[o]!; c[o + 1] = alpha * c11 + beta * c[o + 1]!; c[o + 2] = alpha * c12 + beta * c[o + 2]!; c[o + 3] = alpha * c13 + beta * c[o + 3]!;
      c[o + 4] = alpha * c14 + beta * c[o + 4]!; c[o + 5] = alpha * c15 + beta * c[o + 5]!; c[o + 6] = alpha * c16 + beta * c[o + 6]!; c[o + 7] = alpha * c17 + beta * c[o + 7]!; o += ldc;
      c[o] = alpha * c20 + beta * c[o]!; c[o + 1] = alpha * c21 + beta * c[o + 1]!; c[o + 2] = alpha * c22 + beta * c[o + 2]!; c[o + 3] = alpha * c23 + beta * c[o + 3]!;
      c[o + 4] = alpha * c24 + beta * c[o + 4]!; c[o + 5] = alpha * c25 + beta * c[o + 5]!; c[o + 6] = alpha * c26 + beta * c[o + 6]!; c[o + 7] = alpha * c27 + beta * c[o + 7]!; o += ldc;
      c[o] = alpha * c30 + beta * c[o]!; c[o + 1] = alpha * c31 + beta * c[o + 1]!; c[o + 2] = alpha * c32 + beta * c[o + 2]!; c[o + 3] = alpha * c33 + beta * c[o + 3]!;
      c[o + 4] = alpha * c34 + beta * c[o + 4]!; c[o + 5] = alpha * c35 + beta * c[o + 5]!; c[o + 6] = alpha * c36 + beta * c[o + 6]!; c[o + 7] = alpha * c37 + beta * c[o + 7]!;
    }
    return;
  }
  // Ragged edge: spill the tile and write only the part inside C.
  const e = edge;
  e[0] = c00; e[1] = c01; e[2] = c02; e[3] = c03; e[4] = c04; e[5] = c05; e[6] = c06; e[7] = c07;
  e[8] = c10; e[9] = c11; e[10] = c12; e[11] = c13; e[12] = c14; e[13] = c15; e[14] = c16; e[15] = c17;
  e[16] = c20; e[17] = c21; e[18] = c22; e[19] = c23; e[20] = c24; e[21] = c25; e[22] = c26; e[23] = c27;
  e[24] = c30; e[25] = c31; e[26] = c32; e[27] = c33; e[28] = c34; e[29] = c35; e[30] = c36; e[31] = c37;
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
      if (transB) for (let j = 0, q = p; j < n; j++, q += k) row[j] += av * b[q]!;
      else for (let j = 0, q = p * n; j < n; j++, q++) row[j] += av * b[q]!;
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
      const bt = p0 === 0 ? beta : 1; // later k-blocks accumulate onto the first
      packPanelsB(transB, b, n, k, p0, kc, j0, nc);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packPanelsA(transA, a, m, k, i0, mc, p0, kc);
        for (let jr = 0, bo = 0; jr < nc; jr += NR, bo += kc * NR) {
          const cols = Math.min(NR, nc - jr);
          for (let ir = 0, ao = 0; ir < mc; ir += MR, ao += kc * MR) {
            kernel4x8(kc, ao, bo, c, (i0 + ir) * n + j0 + jr, n, Math.min(MR, mc - ir), cols, alpha, bt);
          }
        }
      }
    }
  }
}
