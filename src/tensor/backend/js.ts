import { allocPlain } from '../dtype.js';
import type { Storage } from '../dtype.js';
import type { Backend } from './types.js';

/**
 * Reference GEMM: the plain triple loop, in float64 accumulation. It is the oracle that the
 * fast kernels are tested against, not what runs in training.
 */
export function gemmReference(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: ArrayLike<number>, b: ArrayLike<number>, c: Storage, alpha: number, beta: number): void {
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

/** The plain-JS backend: the specification. */
export const jsBackend: Backend = {
  name: 'js',
  alloc: allocPlain,
  gemm: gemmReference,
};
