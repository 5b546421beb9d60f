// The operand arena: where a call's operands live in wasm memory (copied in, computed on, copied
// out), past the resident blocks and plan. Shared by the single-threaded and threads backends.
import { align, MAX_PAGES, PAGE } from './memory.js';

/**
 * Operands live in wasm memory during a call: copied in (A, B, and C when beta ≠ 0) and C
 * copied out. The copies cost O(mk + kn + mn), small next to the 2mnk flops for the shapes
 * that matter (measured in bench/matmul.bench.ts).
 */
export class OperandArena {
  private view: Float32Array;
  constructor(readonly memory: WebAssembly.Memory, public base: number) {
    this.view = new Float32Array(memory.buffer);
  }
  /** Start the arena at a new byte offset (a resident plan below it grew or shrank). */
  moveBase(base: number): void {
    this.base = align(base, 64);
  }
  /** The float32 view of the whole memory, after making sure `bytes` fit past the base. */
  reserve(bytes: number): Float32Array {
    const need = this.base + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      const pages = Math.ceil((need - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new Error(`wasm backend: operands need ${need} bytes, more than the ${MAX_PAGES * PAGE}-byte memory`);
      this.memory.grow(pages);
    }
    if (this.view.buffer !== this.memory.buffer || this.view.length * 4 !== this.memory.buffer.byteLength) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }
}

export interface GemmCall { offA: number; sIa: number; sPa: number; offB: number; sPb: number; sJb: number; offC: number; m: number; n: number; k: number }

/** The strides of a contiguous row-major GEMM's operands at these byte offsets (the one place they are set). */
export function gemmCall(transA: boolean, transB: boolean, m: number, n: number, k: number, offA: number, offB: number, offC: number): GemmCall {
  return { offA, sIa: transA ? 1 : k, sPa: transA ? m : 1, offB, sPb: transB ? 1 : n, sJb: transB ? k : 1, offC, m, n, k };
}

/**
 * Copy the operands of C = alpha·op(A)·op(B) + beta·C into the arena; `run` does the work on
 * the wasm copies; then C is copied back.
 */
export function gemmViaArena(arena: OperandArena, transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, c: Float32Array, alpha: number, beta: number, run: (g: GemmCall) => void): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    for (let i = 0; i < m * n; i++) c[i] = beta === 0 ? 0 : beta * c[i]!;
    return;
  }
  const offA = arena.base, offB = align(offA + 4 * m * k, 64), offC = align(offB + 4 * k * n, 64);
  const mem = arena.reserve(offC + 4 * m * n - arena.base);
  mem.set(a.length === m * k ? a : a.subarray(0, m * k), offA >> 2);
  mem.set(b.length === k * n ? b : b.subarray(0, k * n), offB >> 2);
  if (beta !== 0) mem.set(c.subarray(0, m * n), offC >> 2);
  run(gemmCall(transA, transB, m, n, k, offA, offB, offC));
  c.set(mem.subarray(offC >> 2, (offC >> 2) + m * n));
}

/** Elements below which an elementwise op stays in JS (the copies and the call cost more). */
export const ELEMENTWISE_MIN = 256;

/** Whether a float32 unary op of `len` elements runs in wasm (else in JS: a different formula for some ops). */
export const wasmUnaryApplies = (len: number): boolean => len >= ELEMENTWISE_MIN;

/** out = f(x) (and the gradient form with g) through wasm memory; x, g, out are float32. */
export function unaryViaArena(arena: OperandArena, x: Float32Array, g: Float32Array | null, out: Float32Array,
  run: (px: number, pg: number, po: number, nvec: number) => void): void {
  const len = x.length, padded = align(len, 4);
  const px = arena.base, pg = px + 4 * padded, po = pg + (g ? 4 * padded : 0);
  const mem = arena.reserve(po + 4 * padded - arena.base);
  mem.set(x, px >> 2);
  if (g) mem.set(g, pg >> 2);
  run(px, pg, po, padded >> 2);
  out.set(mem.subarray(po >> 2, (po >> 2) + len));
}
