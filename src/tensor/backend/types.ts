import type { DType, Storage } from '../dtype.js';
import type { Plan, PlanRunner } from './plan.js';

/** Elementwise binary kernels. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
/** Elementwise unary kernels (`pow` takes the exponent p). */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'relu' | 'gelu' | 'silu' | 'sin' | 'cos' | 'pow'
  | 'softplus' | 'logSigmoid';

/**
 * The narrow, synchronous kernel interface. The plain-JS backend (`jsBackend`) is the
 * specification; every other backend (wasm-simd, threads, gpu.js) must pass the same
 * conformance suite against it. A backend that accelerates only some kernels may spread
 * `...jsBackend` and override the rest.
 *
 * Storage is allocated through the backend, so a backend may own tensor memory (WebAssembly
 * memory, a SharedArrayBuffer shared with workers) and the layers above never copy. Callers must
 * not cache `storage.buffer` (WebAssembly memory may grow and detach it).
 *
 * All arrays passed to one call have the same dtype; `out` never aliases an input unless stated.
 * Strided arguments describe how a contiguous input is read when broadcast over `shape`
 * (stride 0 along a broadcast axis); outputs are always contiguous row-major.
 */
export interface Backend {
  readonly name: string;
  /** Storage for a new tensor (zero-filled). */
  alloc(dtype: DType, size: number): Storage;
  /**
   * C = alpha·op(A)·op(B) + beta·C, row-major and contiguous, where op(A) is m×k (A is k×m
   * when transA) and op(B) is k×n (B is n×k when transB). When beta is 0, C is not read
   * (NaN in C does not propagate). C must not overlap A or B.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void;
  /**
   * out[i] = a[i·aStrides] (op) b[i·bStrides] for every multi-index i of `shape`; out is
   * contiguous with that shape. Covers same-shape maps, scalars and numpy broadcasting (e.g. a
   * bias row: shape [m, n], aStrides [n, 1], bStrides [0, 1]). `out` may alias `a` when
   * aStrides are the contiguous strides of `shape`.
   */
  binary(op: BinaryOp, shape: readonly number[], a: Storage, aStrides: readonly number[],
    b: Storage, bStrides: readonly number[], out: Storage): void;
  /** out[i] = f(x[i]) over x.length elements (`p`: the exponent of 'pow'). out may alias x. */
  unary(op: UnaryOp, x: Storage, out: Storage, p?: number): void;
  /**
   * out[i] = g[i]·f'(x[i]), the backward of `unary`; y = f(x) is passed too (tanh, sigmoid,
   * exp and sqrt use it). out may alias g.
   */
  unaryGrad(op: UnaryOp, x: Storage, y: Storage, g: Storage, out: Storage, p?: number): void;
  /**
   * Sum-reduction, the adjoint of broadcasting: x is contiguous with `shape`; out[j] is the sum of
   * x[i] over all multi-indices i with i·outStrides = j (outStrides 0 on summed axes). Overwrites
   * out. Accumulates in float64. E.g. a bias gradient (column sums of [m, n]): outStrides [0, 1].
   */
  sumTo(shape: readonly number[], x: Storage, outStrides: readonly number[], out: Storage): void;
  /** y += alpha·x elementwise (gradient accumulation, optimizer updates). */
  axpy(alpha: number, x: Storage, y: Storage): void;
  /**
   * Optional: a fused, resident runner for a forward plan (see plan.ts). Without it,
   * `compilePlan` falls back to the reference runner over the kernels above.
   */
  compilePlan?(plan: Plan): PlanRunner;
  /**
   * Optional: Adam's float64 moments resident in the backend for float32 parameters of these
   * sizes, and its plain update (no L2 term, no amsgrad) over all of them at once, bit-identical
   * to the JS loop in nn/optim/adam.ts. Null where it cannot (no room).
   */
  adamKernel?(sizes: readonly number[]): AdamKernel | null;
  /**
   * Optional: kernels on float32 buffers resident in the backend's memory (byte offsets), for
   * compiled loops that keep their state there across calls (diffusion/trainplan.ts). Each kernel
   * computes exactly what the same-named Backend call computes on copies of those buffers.
   */
  resident?(): ResidentKernels | null;
}

/**
 * Float32 kernels on byte offsets into one memory. Buffers come from allocBlock; the caller pads
 * every buffer to a multiple of 4 floats (unary kernels may process up to 3 elements past `len`).
 */
export interface ResidentKernels {
  /** A long-lived block of `bytes` (64-byte aligned offset), or −1 where the memory has no room. */
  allocBlock(bytes: number): number;
  /** Release a block from allocBlock. */
  freeBlock(at: number): void;
  /** Blocks released so far in this memory (a caller refused room may try again once it grows). */
  freedBlocks(): number;
  /** A float32 view of the whole memory; get it again after anything that may grow the memory. */
  view(): Float32Array;
  /**
   * Backend.gemm on the buffers at these offsets (no copies); with `bias` (an offset, 0: none)
   * the row bias[0..n) is then added to C in float32, as Backend.binary('add') would.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, b: number, c: number, alpha: number, beta: number, bias?: number): void;
  /** out = a + b on `len` float32 elements (out may be a or b). */
  add(a: number, b: number, out: number, len: number): void;
  /** Backend.sumTo of a rows×n matrix to its n column sums (float64 accumulation, row by row). */
  colSum(x: number, rows: number, n: number, out: number): void;
  /**
   * Backend.unary on `len` elements at x into out. With `phi` (a buffer of `len` floats, only
   * where keepsPhi(op, len)) it also stores there the GELU's Φ(x), for unaryGrad to reuse.
   */
  unary(op: UnaryOp, x: number, out: number, len: number, phi?: number): void;
  /**
   * Backend.unaryGrad on `len` elements (y = f(x) at y). With `phi`: Φ(x) as the unary call
   * with that buffer stored it (not computed again; the same bits).
   */
  unaryGrad(op: UnaryOp, x: number, y: number, g: number, out: number, len: number, phi?: number): void;
  /** Whether unary and unaryGrad of this op on `len` elements take a `phi` buffer (the GELU where it runs in wasm). */
  keepsPhi(op: UnaryOp, len: number): boolean;
  /**
   * acc + Σ x[i]² over `len` float32 elements: each square and sum in float64, one running
   * double in order (clipGradNorm's loop, continued across calls through acc).
   */
  sumSq(x: number, len: number, acc: number): number;
  /**
   * Σ x[i]² over `len` (even) float32 elements in float64, in any order: like sumSq's in-order
   * sum within ≈ len·2⁻⁵³ relative of the exact sum (so within about twice that of each other),
   * not bit-identical to it (for decisions such as clipSurelyIdle only).
   */
  sumSqAny(x: number, len: number): number;
  /** x[i] ← f32(x[i]·coef) on `len` (even) float32 elements, coef a float64 (clipGradNorm's scaling). */
  scale(x: number, len: number, coef: number): void;
  /**
   * Adam's plain update (AdamKernel.step's arithmetic) on `len` (even) elements: p, g float32, m,
   * v float64. With `ema`, then EMA.update's s ← d·s + (1 − d)·p on the new p (s = ema.s float64,
   * d = ema.decay), in the same pass.
   */
  adam(p: number, g: number, m: number, v: number, len: number, h: AdamHyper, ema?: { s: number; decay: number }): void;
  /**
   * The calls as one program, with the results of making them one by one in order. With `rows`
   * (a row program) every call is on that many rows and row i of each output depends only on row i
   * of its inputs — a gemm with op(A) not transposed and m = rows, an add or unary on rows × w
   * elements, a copy of rows — so the backend may run it in chunks of rows, each chunk through
   * every call (the threads backend: one job instead of one per call). With `rows` null the calls
   * are independent (none reads what another writes), so the backend may split each one's output
   * and run the pieces in any order. The program keeps its compiled form in the memory until free().
   */
  program(calls: readonly ResidentCall[], rows: number | null): ResidentProgram;
}

/** One call of a resident program: a kernel of ResidentKernels and its arguments (byte offsets). */
export type ResidentCall =
  | { kind: 'gemm'; transA: boolean; transB: boolean; m: number; n: number; k: number; a: number; b: number; c: number; alpha: number; beta: number; bias: number }
  | { kind: 'add'; a: number; b: number; out: number; len: number }
  | { kind: 'unary'; op: UnaryOp; x: number; out: number; len: number; phi?: number }
  | { kind: 'unaryGrad'; op: UnaryOp; x: number; y: number; g: number; out: number; len: number; phi?: number }
  | { kind: 'colSum'; x: number; rows: number; n: number; out: number }
  /** `rows` rows of `width` floats from src (row stride lds floats) to dst (ldd). */
  | { kind: 'copy'; src: number; lds: number; dst: number; ldd: number; width: number; rows: number };

export interface ResidentProgram {
  /** Op records it runs as (0: call by call, where some call has no record form, the memory no room for them, or no call any work). */
  readonly records: number;
  run(): void;
  /** Release its memory (the program is unusable afterwards). */
  free(): void;
}

/** Adam's per-step constants (nn/optim/adam.ts): p ← p·decay − stepSize·m / (√v / bc2Sqrt + eps). */
export interface AdamHyper { decay: number; w1: number; b2: number; stepSize: number; bc2Sqrt: number; eps: number }

export interface AdamKernel {
  /** Copies of parameter i's moments. */
  read(i: number): { m: Float64Array; v: Float64Array };
  /** Set parameter i's moments. */
  write(i: number, m: ArrayLike<number>, v: ArrayLike<number>): void;
  /** One update of every parameter (in place) from its gradient. */
  step(params: readonly Float32Array[], grads: readonly Float32Array[], h: AdamHyper): void;
  /** Free the moments' memory now (else when the kernel is collected); the kernel is unusable after. */
  free(): void;
}
