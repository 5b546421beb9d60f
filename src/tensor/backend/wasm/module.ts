// The wasm-simd GEMM module and its memory layout, shared by the single-threaded backend and
// the worker-thread backend (which instantiates the same module over a shared memory).
import { encodeModule, Fn, T } from './encoder.js';
import { defaultGeometry, emitGemmFunctions, packBytes } from './gemm.js';
import { emitElementwiseFunctions } from './elementwise.js';
import { emitRunPlan } from './plan.js';
import { emitAdam } from './adam.js';
import type { PlanRunExports } from './plan.js';
import type { GemmGeometry } from './gemm.js';

export const PAGE = 65536;
/** Enough for a batch of 10,000 × 1024 float32 operands with room to spare (virtual reserve). */
export const MAX_PAGES = 16384;
/** Bytes [0, CONTROL_BYTES) hold the thread control block. */
export const CONTROL_BYTES = 4096;

export interface GemmExports extends PlanRunExports {
  gemm(A: number, sIa: number, sPa: number, B: number, sPb: number, sJb: number, C: number, ldc: number,
    m: number, n: number, k: number, alpha: number, beta: number, bufA: number, bufB: number, scratch: number,
    bias: number, gdst: number, ldg: number, act: number): void;
  gelu(x: number, out: number, nvec: number): void;
  adam(p: number, g: number, m: number, v: number, npairs: number, h: number): void;
  geluGrad(x: number, g: number, out: number, nvec: number): void;
}

export interface Layout {
  /** Per-thread pack buffers: bufA, bufB, scratch byte offsets. */
  threads: { bufA: number; bufB: number; scratch: number }[];
  /** Where operands are copied (grows with the memory). */
  operandBase: number;
}

const align = (x: number, a: number): number => Math.ceil(x / a) * a;

export function layout(nThreads: number, g: GemmGeometry = defaultGeometry): Layout {
  const pb = packBytes(g);
  const per = align(pb.a, 64) + align(pb.b, 64) + align(pb.scratch, 64);
  const threads = Array.from({ length: nThreads }, (_, t) => {
    const base = CONTROL_BYTES + t * per;
    return { bufA: base, bufB: base + align(pb.a, 64), scratch: base + align(pb.a, 64) + align(pb.b, 64) };
  });
  return { threads, operandBase: align(CONTROL_BYTES + nThreads * per, PAGE) };
}

/** True where this JavaScript engine can compile 128-bit SIMD WebAssembly. */
export function wasmSimdSupported(): boolean {
  try {
    const bytes = encodeModule(moduleFunctions(defaultGeometry), { module: 'env', name: 'mem', initialPages: 1, maximumPages: 1, shared: false });
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** The module's functions: GEMM first (their indices are fixed), then elementwise, then plans. */
function moduleFunctions(g: GemmGeometry) {
  const head = [...emitGemmFunctions(g), ...emitElementwiseFunctions(), emitAdam()];
  return [...head, emitRunPlan(head.length - 1)];
}

/**
 * True where the engine compiles relaxed SIMD (f32x4.relaxed_madd: a fused multiply-add on CPUs
 * with FMA, ~20% faster GEMM here). On by default in V8 ≥ 11.4 (Chrome 114, Node 22); Node 20
 * needs the V8 flag, which the Node loaders set (wasm/node-flags.ts).
 */
export function relaxedSimdSupported(): boolean {
  try {
    const f = new Fn('probe', [T.v128, T.v128, T.v128], [T.v128]);
    f.get(0).get(1).get(2).op('f32x4.relaxed_madd');
    return typeof WebAssembly === 'object' && WebAssembly.validate(encodeModule([f], { module: 'env', name: 'mem', initialPages: 1, maximumPages: 1, shared: false }));
  } catch {
    return false;
  }
}

/** An environment variable where there is a `process` (Node), else undefined (browsers). */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * The default geometry, with the fused multiply-add where the engine has relaxed SIMD (unless the
 * environment variable SPINDIFF_WASM_FMA=0, read where there is a `process`).
 */
export function tunedGeometry(): GemmGeometry {
  return { ...defaultGeometry, fma: envVar('SPINDIFF_WASM_FMA') !== '0' && relaxedSimdSupported() };
}

/** Compile the GEMM module (bytes emitted from our own source) for a memory of this kind. */
export async function compileGemmModule(shared: boolean, g: GemmGeometry = tunedGeometry()): Promise<WebAssembly.Module> {
  const bytes = encodeModule(moduleFunctions(g), { module: 'env', name: 'mem', initialPages: 1, maximumPages: MAX_PAGES, shared });
  return WebAssembly.compile(bytes);
}

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
  run({ offA, sIa: transA ? 1 : k, sPa: transA ? m : 1, offB, sPb: transB ? 1 : n, sJb: transB ? k : 1, offC, m, n, k });
  c.set(mem.subarray(offC >> 2, (offC >> 2) + m * n));
}

/** Elements below which an elementwise op stays in JS (the copies and the call cost more). */
export const ELEMENTWISE_MIN = 256;

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
