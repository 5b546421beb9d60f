// The WebAssembly SIMD backend (float32 GEMM in wasm, everything else delegated to the JS
// backend, which stays the specification). Loaded lazily and optional: the core never imports
// this file, so the core bundle contains no run-time WebAssembly compilation.
import { allocPlain } from '../../dtype.js';
import type { Storage } from '../../dtype.js';
import type { Backend } from '../types.js';
import { jsBackend } from '../js.js';
import { compileGemmModule, layout, moduleExports, wasmSimdSupported } from './module.js';
import { gemmViaArena, OperandArena, unaryViaArena, wasmUnaryApplies } from './arena.js';
import { residentKernels } from './resident.js';
import { MAX_PAGES, PAGE } from './memory.js';
import type { UnaryOp } from '../types.js';
import type { GemmExports } from './module.js';
import type { GemmCall } from './arena.js';
import type { GemmGeometry } from './gemm.js';
import { PlanResidence, planChunks, wasmPlanRunner } from './plan.js';
import { residentAdam } from './adam.js';
import { at } from '../../../util/checked.js';
import { isNode } from '../../../util/module-worker.js';
import { enableRelaxedSimd } from './node-flags.js';

export { wasmSimdSupported, relaxedSimdSupported } from './module.js';

/**
 * Build the single-threaded wasm-simd backend. Rejects where WebAssembly SIMD is unavailable.
 * The GEMM uses relaxed SIMD's fused multiply-add where the engine compiles it (tunedGeometry).
 */
export async function loadWasmBackend(opts: { geometry?: GemmGeometry } = {}): Promise<Backend> {
  if (!wasmSimdSupported()) throw new Error('wasm backend: this JavaScript engine cannot compile WebAssembly SIMD (128-bit); use the js backend');
  // As the threads backend does: without it, on Node 20 this backend alone ran without FMA (slower,
  // and not the threads backend's bits) unless something else had turned the flag on first.
  if (isNode()) await enableRelaxedSimd();
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
  const lay = layout(1, opts.geometry);
  memory.grow(lay.operandBase / PAGE);
  const module = await compileGemmModule(false, opts.geometry);
  const instance = await WebAssembly.instantiate(module, { env: { mem: memory } });
  const ex = moduleExports(instance);
  const arena = new OperandArena(memory, lay.operandBase);
  const bufs = at(lay.threads, 0, 'thread buffers');
  const home = new PlanResidence(arena, lay.operandBase);
  const runGemm = (g: GemmCall, alpha: number, beta: number, bias = 0): void => {
    ex.gemm(g.offA, g.sIa, g.sPa, g.offB, g.sPb, g.sJb, g.offC, g.n, g.m, g.n, g.k, alpha, beta, bufs.bufA, bufs.bufB, bufs.scratch, bias, 0, 0, 0);
  };
  return {
    ...jsBackend,
    ...wasmElementwise(arena, ex),
    name: 'wasm',
    alloc: allocPlain,
    adamKernel: (sizes) => residentAdam(home, arena, sizes, (p, g, m, v, np, h) => ex.adam(p, g, m, v, np, h)),
    resident: () => residentKernels(home, ex, runGemm, {
      rows: (ptr, nOps, rows) => ex.runPlan(ptr, nOps, 0, rows, bufs.bufA, bufs.bufB, bufs.scratch),
      pieces: (ptr, n) => ex.runPlan(ptr, n, 0, 1, bufs.bufA, bufs.bufB, bufs.scratch), // each record on its own range
      split: () => 1,
    }),
    compilePlan: (plan) => wasmPlanRunner(plan, home, (p, nOps, rows) => {
      const { chunk } = planChunks(rows, 1);
      for (let r = 0; r < rows; r += chunk) ex.runPlan(p, nOps, r, Math.min(rows, r + chunk), bufs.bufA, bufs.bufB, bufs.scratch);
    }),
    gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void {
      if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
        jsBackend.gemm(transA, transB, m, n, k, a, b, c, alpha, beta); // float64: exactness over speed
        return;
      }
      gemmViaArena(arena, transA, transB, m, n, k, a, b, c, alpha, beta, (g) => runGemm(g, alpha, beta));
    },
  };
}

/** The unary ops with wasm kernels (WASM_UNARY) run in wasm on float32 arrays where wasmUnaryApplies (ELEMENTWISE_MIN or more); the rest in JS. */
export function wasmElementwise(arena: OperandArena, ex: GemmExports): Pick<Backend, 'unary' | 'unaryGrad'> {
  return {
    unary(op: UnaryOp, x: Storage, out: Storage, p?: number): void {
      const k = ex.unary.get(op);
      if (k && x instanceof Float32Array && out instanceof Float32Array && wasmUnaryApplies(x.length)) {
        unaryViaArena(arena, x, null, out, (px, _pg, po, nv) => k.value(px, po, nv));
      } else jsBackend.unary(op, x, out, p);
    },
    unaryGrad(op: UnaryOp, x: Storage, y: Storage, g: Storage, out: Storage, p?: number): void {
      const k = ex.unary.get(op);
      if (k && x instanceof Float32Array && g instanceof Float32Array && out instanceof Float32Array && wasmUnaryApplies(x.length)) {
        unaryViaArena(arena, x, g, out, (px, pg, po, nv) => k.grad(px, pg, po, nv));
      } else jsBackend.unaryGrad(op, x, y, g, out, p);
    },
  };
}
