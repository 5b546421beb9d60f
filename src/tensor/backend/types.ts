import type { DType, Storage } from '../dtype.js';

/**
 * The narrow, synchronous kernel interface. The plain-JS backend is the specification; every
 * other backend (wasm-simd, threads, gpu.js) must pass the same conformance suite against it.
 *
 * Storage is allocated through the backend, so a backend may own tensor memory (WebAssembly
 * memory, a SharedArrayBuffer shared with workers) and the layers above never copy.
 */
export interface Backend {
  readonly name: string;
  /** Storage for a new tensor (zero-filled). */
  alloc(dtype: DType, size: number): Storage;
  /**
   * C = alpha·op(A)·op(B) + beta·C, row-major and contiguous, where op(A) is m×k (A is k×m
   * when transA) and op(B) is k×n (B is n×k when transB). All arrays have the same dtype.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void;
}
