// Kernels on buffers that stay in the wasm backends' memory (Backend.resident): the backend's own
// GEMM and unary kernels called on offsets instead of on copies in the operand arena, with the
// same arguments, so they compute exactly what Backend.gemm / unary / unaryGrad compute.
import { jsBackend } from '../js.js';
import type { AdamHyper, ResidentKernels, UnaryOp } from '../types.js';
import { gemmCall, wasmUnaryApplies } from './arena.js';
import type { GemmCall } from './arena.js';
import type { GemmExports } from './module.js';
import type { PlanResidence } from './plan.js';
import { VEC } from './records.js';
import type { RecordOf } from './records.js';
import { WASM_UNARY } from './elementwise.js';
import { ADAM_HYPER_BYTES, writeAdamHyper } from './adam.js';

/**
 * Runs a vec record (records.ts) over units [0, units) — split between threads by the threads
 * backend where the work pays for waking them; every unit's result is the same either way.
 */
export type VecRunner = (r: RecordOf<'vec'>, units: number) => void;

/** The kernels over element pairs of the training step's update (records.ts adam, scale, ema). */
export type PairKind = 'adam' | 'scale' | 'ema';
/** Runs a pair record over pairs [0, pairs) — split between threads by the threads backend. */
export type PairRunner = <K extends PairKind>(kind: K, r: RecordOf<K>, pairs: number) => void;

/** The vec code of a wasm unary kernel (records.ts VEC), or −1. */
function unaryCode(op: UnaryOp, grad: boolean): number {
  const i = Object.keys(WASM_UNARY).indexOf(op);
  return i < 0 ? -1 : VEC.unary + 2 * i + (grad ? 1 : 0);
}

/**
 * `gemm` runs one call as the backend's gemm does after copying (one thread, or split between
 * threads), with a bias for the epilogue (0: none); `vec` (the threads backend) runs the add,
 * column-sum and wasm unary kernels, and `pairs` the update kernels (scale, EMA, Adam), else
 * they run here on the calling thread. Their float64 constants go to the operand arena (scratch
 * for one call).
 */
export function residentKernels(home: PlanResidence, ex: GemmExports, gemm: (g: GemmCall, alpha: number, beta: number, bias: number) => void,
  vec?: VecRunner, pairs?: PairRunner): ResidentKernels {
  const view = (): Float32Array => home.arena.reserve(0);
  /** Write `bytes` of constants at the arena's base; returns that offset. */
  const consts = (bytes: number, write: (mem: Float32Array, at: number) => void): number => {
    const at = home.arena.base;
    write(home.arena.reserve(bytes), at);
    return at;
  };
  const f64s = (vals: number[]): number => consts(8 * vals.length, (m, at) => new Float64Array(m.buffer, m.byteOffset + at, vals.length).set(vals));
  const evenPairs = (len: number): number => {
    if (len % 2 !== 0) throw new Error(`resident kernels: an even number of elements, got ${len}`);
    return len / 2;
  };
  const sub = (v: Float32Array, at: number, len: number): Float32Array => v.subarray(at >> 2, (at >> 2) + len);
  return {
    allocBlock: (bytes) => home.allocBlock(bytes),
    freeBlock: (at) => home.freeBlock(at),
    freedBlocks: () => home.freed,
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
      if (vec) vec({ fn: VEC.add, a, b, out, rows: 0, ld: 0 }, Math.ceil(len / 4));
      else ex.addF32(a, b, out, Math.ceil(len / 4));
    },
    colSum(x, rows, n, out) {
      if (vec) vec({ fn: VEC.colSum, a: x, b: 0, out, rows, ld: n }, n);
      else ex.colSum(x, rows, n, out);
    },
    unary(op: UnaryOp, x, out, len) {
      const k = ex.unary.get(op);
      if (k && wasmUnaryApplies(len)) {
        if (vec) vec({ fn: unaryCode(op, false), a: x, b: 0, out, rows: 0, ld: 0 }, Math.ceil(len / 4));
        else k.value(x, out, Math.ceil(len / 4));
      } else {
        const v = view();
        jsBackend.unary(op, sub(v, x, len), sub(v, out, len));
      }
    },
    unaryGrad(op: UnaryOp, x, y, g, out, len) {
      const k = ex.unary.get(op);
      if (k && wasmUnaryApplies(len)) {
        if (vec) vec({ fn: unaryCode(op, true), a: x, b: g, out, rows: 0, ld: 0 }, Math.ceil(len / 4));
        else k.grad(x, g, out, Math.ceil(len / 4));
      } else {
        const v = view();
        jsBackend.unaryGrad(op, sub(v, x, len), sub(v, y, len), sub(v, g, len), sub(v, out, len));
      }
    },
    sumSq: (x, len, acc) => ex.sumSqF32(x, len, acc),
    scale(x, len, coef) {
      const np = evenPairs(len), h = f64s([coef]);
      if (pairs) pairs('scale', { x, h }, np);
      else ex.scaleF32(x, np, h);
    },
    ema(s, p, len, d) {
      const np = evenPairs(len), h = f64s([d, 1 - d]);
      if (pairs) pairs('ema', { s, p, h }, np);
      else ex.emaF64(s, p, np, h);
    },
    adam(p, g, m, v, len, hyper: AdamHyper) {
      const np = evenPairs(len), h = consts(ADAM_HYPER_BYTES, (mem, at) => writeAdamHyper(mem, at, hyper));
      if (pairs) pairs('adam', { p, g, m, v, h }, np);
      else ex.adam(p, g, m, v, np, h);
    },
  };
}

