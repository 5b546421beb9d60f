// The wasm-simd GEMM module and its memory layout, shared by the single-threaded backend and
// the worker-thread backend (which instantiates the same module over a shared memory).
import { encodeModule, Fn, T } from './encoder.js';
import { defaultGeometry, emitGemmFunctions, packBytes } from './gemm.js';
import { emitElementwiseFunctions, GELU_PHI_KERNELS, unaryKernelNames, WASM_UNARY } from './elementwise.js';
import type { UnaryOp } from '../types.js';
import { emitRunPlan } from './plan.js';
import { emitAdam } from './adam.js';
import { emitResidentFunctions } from './accumulate.js';
import { emitUpdateFunctions } from './update.js';
import type { GemmGeometry } from './gemm.js';
import { align, CONTROL_BYTES, envVar, MAX_PAGES, PAGE } from './memory.js';

/** The module's exports that the backends call (looked up and checked by name: moduleExports). */
export interface GemmExports {
  runPlan(plan: number, nOps: number, r0: number, r1: number, bufA: number, bufB: number, scratch: number): void;
  gemm(A: number, sIa: number, sPa: number, B: number, sPb: number, sJb: number, C: number, ldc: number,
    m: number, n: number, k: number, alpha: number, beta: number, bufA: number, bufB: number, scratch: number,
    bias: number, gdst: number, ldg: number, act: number): void;
  adam(p: number, g: number, m: number, v: number, npairs: number, h: number): void;
  adamEma(p: number, g: number, m: number, v: number, s: number, npairs: number, h: number): void;
  addF32(a: number, b: number, out: number, nvec: number): void;
  colSum(x: number, rows: number, n: number, out: number): void;
  sumSqF32(x: number, n: number, acc: number): number;
  sumSqAnyF32(x: number, npairs: number): number;
  scaleF32(x: number, npairs: number, h: number): void;
  /** The unary kernels of the ops in WASM_UNARY (wasm/elementwise.ts), by op. */
  unary: Map<UnaryOp, { value(x: number, out: number, nvec: number): void; grad(x: number, g: number, out: number, nvec: number): void }>;
  /** The GELU that keeps Φ(x) for its backward (wasm/elementwise.ts GELU_PHI_KERNELS). */
  geluPhi(x: number, out: number, phi: number, nvec: number): void;
  geluGradPhi(x: number, phi: number, g: number, out: number, nvec: number): void;
}

export interface Layout {
  /** Per-thread pack buffers: bufA, bufB, scratch byte offsets. */
  threads: { bufA: number; bufB: number; scratch: number }[];
  /** Where operands are copied (grows with the memory). */
  operandBase: number;
}

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

/** The module's functions (they call each other by name, so the order is free). */
function moduleFunctions(g: GemmGeometry) {
  return [...emitGemmFunctions(g), ...emitElementwiseFunctions(), emitAdam(), emitAdam(true), emitRunPlan(), ...emitResidentFunctions(), ...emitUpdateFunctions()];
}

/** The instance's exports by name, checked: a function the backends call that is missing fails here, not mid-run. */
export function moduleExports(instance: WebAssembly.Instance): GemmExports {
  const ex = instance.exports as Record<string, unknown>;
  const fn = <F>(name: string): F => {
    if (typeof ex[name] !== 'function') throw new Error(`wasm module: no exported function ${name}`);
    return ex[name] as F;
  };
  const unary: GemmExports['unary'] = new Map();
  for (const op of Object.keys(WASM_UNARY) as UnaryOp[]) {
    const names = unaryKernelNames(op);
    unary.set(op, { value: fn(names.value), grad: fn(names.grad) });
  }
  return { runPlan: fn('runPlan'), gemm: fn('gemm'), adam: fn('adam'), adamEma: fn('adamEma'), addF32: fn('addF32'), colSum: fn('colSum'),
    sumSqF32: fn('sumSqF32'), sumSqAnyF32: fn('sumSqAnyF32'), scaleF32: fn('scaleF32'), unary,
    geluPhi: fn(GELU_PHI_KERNELS.value), geluGradPhi: fn(GELU_PHI_KERNELS.grad) };
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

