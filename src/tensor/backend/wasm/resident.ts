// Kernels on buffers that stay in the wasm backends' memory (Backend.resident): the backend's own
// GEMM and unary kernels called on offsets instead of on copies in the operand arena, with the
// same arguments, so they compute exactly what Backend.gemm / unary / unaryGrad compute.
import { jsBackend } from '../js.js';
import type { ResidentKernels, UnaryOp } from '../types.js';
import { gemmCall, wasmUnaryApplies } from './arena.js';
import type { GemmCall } from './arena.js';
import type { GemmExports } from './module.js';
import type { PlanResidence } from './plan.js';

/**
 * `gemm` runs one call as the backend's gemm does after copying (one thread, or split between
 * threads), with a bias for the epilogue (0: none).
 */
export function residentKernels(home: PlanResidence, ex: GemmExports, gemm: (g: GemmCall, alpha: number, beta: number, bias: number) => void): ResidentKernels {
  const view = (): Float32Array => home.arena.reserve(0);
  const sub = (v: Float32Array, at: number, len: number): Float32Array => v.subarray(at >> 2, (at >> 2) + len);
  return {
    allocBlock: (bytes) => home.allocBlock(bytes),
    freeBlock: (at) => home.freeBlock(at),
    view,
    gemm(transA, transB, m, n, k, a, b, c, alpha, beta, bias = 0) {
      if (m === 0 || n === 0) return;
      if (k === 0) { // as gemmViaArena, then the bias
        const v = view(), cv = sub(v, c, m * n), bv = sub(v, bias, n);
        for (let i = 0; i < m * n; i++) cv[i] = beta === 0 ? 0 : beta * cv[i]!;
        if (bias !== 0) for (let i = 0; i < m * n; i++) cv[i] = cv[i]! + bv[i % n]!;
        return;
      }
      // The GEMM epilogue adds the bias to each finished tile: the same float32 sums.
      gemm(gemmCall(transA, transB, m, n, k, a, b, c), alpha, beta, bias);
    },
    add(a, b, out, len) {
      ex.addF32(a, b, out, Math.ceil(len / 4));
    },
    colSum(x, rows, n, out) {
      ex.colSum(x, rows, n, out);
    },
    unary(op: UnaryOp, x, out, len) {
      const k = ex.unary.get(op);
      if (k && wasmUnaryApplies(len)) k.value(x, out, Math.ceil(len / 4));
      else {
        const v = view();
        jsBackend.unary(op, sub(v, x, len), sub(v, out, len));
      }
    },
    unaryGrad(op: UnaryOp, x, y, g, out, len) {
      const k = ex.unary.get(op);
      if (k && wasmUnaryApplies(len)) k.grad(x, g, out, Math.ceil(len / 4));
      else {
        const v = view();
        jsBackend.unaryGrad(op, sub(v, x, len), sub(v, y, len), sub(v, g, len), sub(v, out, len));
      }
    },
  };
}

