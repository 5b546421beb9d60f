// Kernels on buffers that stay in the wasm backends' memory (Backend.resident): the backend's own
// GEMM and unary kernels called on offsets instead of on copies in the operand arena, with the
// same arguments, so they compute exactly what Backend.gemm / unary / unaryGrad compute.
import { jsBackend } from '../js.js';
import type { AdamHyper, ResidentCall, ResidentKernels, ResidentProgram, UnaryOp } from '../types.js';
import { gemmCall, wasmUnaryApplies } from './arena.js';
import type { GemmCall } from './arena.js';
import type { GemmExports } from './module.js';
import type { PlanResidence } from './plan.js';
import { RECORD_BYTES, VEC, writeRecord } from './records.js';
import type { LinearRecord, RecordKind, RecordOf } from './records.js';
import { defaultGeometry } from './gemm.js';
import { WASM_UNARY } from './elementwise.js';
import { ADAM_EMA_HYPER_BYTES, ADAM_HYPER_BYTES, writeAdamHyper } from './adam.js';

/**
 * Runs a vec record (records.ts) over units [0, units) — split between threads by the threads
 * backend where the work pays for waking them; every unit's result is the same either way.
 */
export type VecRunner = (r: RecordOf<'vec'>, units: number) => void;

/** The kernels over element pairs of the training step's update (records.ts adam, adamEma, scale). */
export type PairKind = 'adam' | 'adamEma' | 'scale';
/** Runs a pair record over pairs [0, pairs) — split between threads by the threads backend. */
export type PairRunner = <K extends PairKind>(kind: K, r: RecordOf<K>, pairs: number) => void;

/** The vec code of a wasm unary kernel (records.ts VEC), or −1. */
function unaryCode(op: UnaryOp, grad: boolean): number {
  const i = Object.keys(WASM_UNARY).indexOf(op);
  return i < 0 ? -1 : VEC.unary + 2 * i + (grad ? 1 : 0);
}

/** Columns per piece of a column sum in `pieces` pieces: even, as the kernel takes columns in pairs (only the last piece may be odd). */
export function colSumChunk(n: number, pieces: number): number {
  return Math.ceil(n / Math.max(1, pieces) / 2) * 2;
}

/** Rows per chunk: a multiple of the micro-tile height, so no tile is split between threads. */
export function rowChunk(m: number, threads: number, mr: number): number {
  return Math.ceil(m / threads / mr) * mr;
}

/**
 * A GEMM as `want` pieces (or fewer) that can run in any order, each a linear record with its own
 * range (records.ts RANGE_SLOT). Split by rows of C (every piece packs all of op(B)) when C has
 * at least as many rows as columns, else by columns (every piece packs all of op(A), only its
 * part of op(B)) — the training shapes, 128 rows against 256–1024 columns of weights, then pack
 * each weight once instead of per piece. Pieces start on micro-tile boundaries; each element of
 * C gets the same arithmetic as in one call.
 */
export function gemmPieces(g: GemmCall, alpha: number, beta: number, bias: number, want: number): { rec: LinearRecord; range: [number, number] }[] {
  const { MR, NR } = defaultGeometry;
  const rec: LinearRecord = { A: g.offA, sIa: g.sIa, sPa: g.sPa, B: g.offB, sPb: g.sPb, sJb: g.sJb, C: g.offC, ldc: g.n, n: g.n, k: g.k, bias, gdst: 0, ldg: 0, act: 0, alpha, beta };
  const out: { rec: LinearRecord; range: [number, number] }[] = [];
  if (g.m >= g.n || want <= 1) {
    const chunk = rowChunk(g.m, Math.max(1, Math.min(want, Math.ceil(g.m / MR))), MR);
    for (let r0 = 0; r0 < g.m; r0 += chunk) out.push({ rec, range: [r0, Math.min(g.m, r0 + chunk)] });
    return out;
  }
  const cols = rowChunk(g.n, Math.min(want, Math.ceil(g.n / NR)), NR);
  for (let j0 = 0; j0 < g.n; j0 += cols) {
    out.push({ rec: { ...rec, B: g.offB + 4 * j0 * g.sJb, C: g.offC + 4 * j0, n: Math.min(cols, g.n - j0), bias: bias === 0 ? 0 : bias + 4 * j0 }, range: [0, g.m] });
  }
  return out;
}

/** How a backend runs a resident program's records (ResidentKernels.program). */
export interface RecordRunner {
  /** The `nOps` records at `ptr` on rows [0, rows), all of them on each chunk of rows; `flops`: their GEMM work. */
  rows(ptr: number, nOps: number, rows: number, flops: number): void;
  /** Each of the `n` records at `ptr` on its own range, in any order. */
  pieces(ptr: number, n: number): void;
  /** Pieces a call of this much work may be split into: flops for a gemm, elements summed for a colSum. */
  split(kind: 'gemm' | 'colSum', work: number): number;
}

/**
 * `gemm` runs one call as the backend's gemm does after copying (one thread, or split between
 * threads), with a bias for the epilogue (0: none); `vec` (the threads backend) runs the add,
 * column-sum and wasm unary kernels, and `pairs` the update kernels (scale, EMA, Adam), else
 * they run here on the calling thread. Their float64 constants go to the operand arena (scratch
 * for one call). `runner` runs programs' records (ResidentKernels.program).
 */
export function residentKernels(home: PlanResidence, ex: GemmExports, gemm: (g: GemmCall, alpha: number, beta: number, bias: number) => void,
  runner: RecordRunner, vec?: VecRunner, pairs?: PairRunner): ResidentKernels {
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
  /** The GELU keeps Φ(x) where it runs in wasm (GELU_PHI_KERNELS), not in the JS formula. */
  const keepsPhi = (op: UnaryOp, len: number): boolean => op === 'gelu' && ex.unary.has(op) && wasmUnaryApplies(len);
  const checkPhi = (op: UnaryOp, len: number, phi: number | undefined): void => {
    if (phi !== undefined && !keepsPhi(op, len)) throw new Error(`resident kernels: a phi buffer for ${op} on ${len} elements, where keepsPhi is false`);
  };
  const rk: ResidentKernels = {
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
      if (vec) vec({ fn: VEC.add, a, b, out, rows: 0, ld: 0, c: 0 }, Math.ceil(len / 4));
      else ex.addF32(a, b, out, Math.ceil(len / 4));
    },
    colSum(x, rows, n, out) {
      if (vec) vec({ fn: VEC.colSum, a: x, b: 0, out, rows, ld: n, c: 0 }, n);
      else ex.colSum(x, rows, n, out);
    },
    unary(op: UnaryOp, x, out, len, phi) {
      checkPhi(op, len, phi);
      if (phi !== undefined) {
        if (vec) vec({ fn: VEC.geluPhi, a: x, b: 0, out, rows: 0, ld: 0, c: phi }, Math.ceil(len / 4));
        else ex.geluPhi(x, out, phi, Math.ceil(len / 4));
        return;
      }
      const k = ex.unary.get(op);
      if (k && wasmUnaryApplies(len)) {
        if (vec) vec({ fn: unaryCode(op, false), a: x, b: 0, out, rows: 0, ld: 0, c: 0 }, Math.ceil(len / 4));
        else k.value(x, out, Math.ceil(len / 4));
      } else {
        const v = view();
        jsBackend.unary(op, sub(v, x, len), sub(v, out, len));
      }
    },
    unaryGrad(op: UnaryOp, x, y, g, out, len, phi) {
      checkPhi(op, len, phi);
      if (phi !== undefined) {
        if (vec) vec({ fn: VEC.geluGradPhi, a: x, b: g, out, rows: 0, ld: 0, c: phi }, Math.ceil(len / 4));
        else ex.geluGradPhi(x, phi, g, out, Math.ceil(len / 4));
        return;
      }
      const k = ex.unary.get(op);
      if (k && wasmUnaryApplies(len)) {
        if (vec) vec({ fn: unaryCode(op, true), a: x, b: g, out, rows: 0, ld: 0, c: 0 }, Math.ceil(len / 4));
        else k.grad(x, g, out, Math.ceil(len / 4));
      } else {
        const v = view();
        jsBackend.unaryGrad(op, sub(v, x, len), sub(v, y, len), sub(v, g, len), sub(v, out, len));
      }
    },
    keepsPhi,
    sumSq: (x, len, acc) => ex.sumSqF32(x, len, acc),
    sumSqAny: (x, len) => ex.sumSqAnyF32(x, evenPairs(len)),
    scale(x, len, coef) {
      const np = evenPairs(len), h = f64s([coef]);
      if (pairs) pairs('scale', { x, h }, np);
      else ex.scaleF32(x, np, h);
    },
    adam(p, g, m, v, len, hyper: AdamHyper, ema?: { s: number; decay: number }) {
      const np = evenPairs(len);
      if (ema) {
        const { s, decay } = ema, h = consts(ADAM_EMA_HYPER_BYTES, (mem, at) => writeAdamHyper(mem, at, hyper, decay));
        if (pairs) pairs('adamEma', { p, g, m, v, s, h }, np);
        else ex.adamEma(p, g, m, v, s, np, h);
        return;
      }
      const h = consts(ADAM_HYPER_BYTES, (mem, at) => writeAdamHyper(mem, at, hyper));
      if (pairs) pairs('adam', { p, g, m, v, h }, np);
      else ex.adam(p, g, m, v, np, h);
    },
    program: (calls, rows) => program(calls, rows),
  };
  return rk;

  function program(calls: readonly ResidentCall[], rows: number | null): ResidentProgram {
    const byCall: ResidentProgram = { records: 0, run: () => runCalls(rk, calls), free: () => {} };
    if (rows !== null && !(Number.isInteger(rows) && rows >= 1)) throw new Error(`resident program: rows must be an integer ≥ 1, got ${rows}`);
    for (const c of calls) {
      checkSizes(c);
      if (c.kind === 'unary' || c.kind === 'unaryGrad') checkPhi(c.op, c.len, c.phi);
    }
    if (rows !== null) for (const c of calls) checkRowCall(c, rows);
    // A call on nothing gets no record (an add record of 0-float rows would run on 4-float vectors).
    const nonEmpty = calls.filter((c) => !isEmpty(c));
    // Records only where every call's kernel is the one a record runs (a GEMM with k ≥ 1, a unary
    // op with a wasm kernel at this size); otherwise call by call, with the same results.
    const recordable = nonEmpty.every((c) => {
      if (c.kind === 'gemm') return c.k > 0;
      if (c.kind === 'unary' || c.kind === 'unaryGrad') return unaryCode(c.op, false) >= 0 && wasmUnaryApplies(c.len);
      return true;
    });
    if (!recordable) return byCall;
    const recs: { kind: RecordKind; r: Record<string, number>; range?: [number, number] }[] = [];
    let flops = 0;
    /** An add or unary record: rows of len/rows floats in a row program, else all vectors as one piece. */
    const vecRec = (r: RecordOf<'vec'>, len: number): void => {
      if (rows !== null) recs.push({ kind: 'vec', r: { ...r, ld: len / rows } });
      else recs.push({ kind: 'vec', r, range: [0, Math.ceil(len / 4)] });
    };
    for (const c of nonEmpty) {
      switch (c.kind) {
        case 'gemm': {
          const g = gemmCall(c.transA, c.transB, c.m, c.n, c.k, c.a, c.b, c.c), work = 2 * c.m * c.n * c.k;
          flops += work;
          for (const p of gemmPieces(g, c.alpha, c.beta, c.bias, rows !== null ? 1 : runner.split('gemm', work))) {
            recs.push({ kind: 'linear', r: p.rec, range: rows !== null ? undefined : p.range });
          }
          break;
        }
        case 'add': vecRec({ fn: VEC.add, a: c.a, b: c.b, out: c.out, rows: 0, ld: 0, c: 0 }, c.len); break;
        case 'unary': vecRec({ fn: c.phi !== undefined ? VEC.geluPhi : unaryCode(c.op, false), a: c.x, b: 0, out: c.out, rows: 0, ld: 0, c: c.phi ?? 0 }, c.len); break;
        case 'unaryGrad': vecRec({ fn: c.phi !== undefined ? VEC.geluGradPhi : unaryCode(c.op, true), a: c.x, b: c.g, out: c.out, rows: 0, ld: 0, c: c.phi ?? 0 }, c.len); break;
        case 'colSum': {
          // Even column ranges; each column's sum keeps its order.
          const chunk = colSumChunk(c.n, runner.split('colSum', c.rows * c.n));
          for (let j0 = 0; j0 < c.n; j0 += chunk) recs.push({ kind: 'vec', r: { fn: VEC.colSum, a: c.x, b: 0, out: c.out, rows: c.rows, ld: c.n, c: 0 }, range: [j0, Math.min(c.n, j0 + chunk)] });
          break;
        }
        case 'copy':
          recs.push({ kind: 'copy', r: { src: c.src, lds: c.lds, dst: c.dst, ldd: c.ldd, width: c.width }, range: rows !== null ? undefined : [0, c.rows] });
          break;
      }
    }
    if (recs.length === 0) return byCall;
    const block = home.allocBlock(RECORD_BYTES * recs.length);
    if (block < 0) return byCall; // no room for the records: the same results, a job per call
    const m = view(), i32 = new Int32Array(m.buffer, m.byteOffset, m.length);
    try {
      recs.forEach((q, i) => writeRecord(i32, m, block + RECORD_BYTES * i, q.kind, q.r as RecordOf<typeof q.kind>, q.range));
    } catch (e) {
      home.freeBlock(block);
      throw e;
    }
    let live = true;
    return {
      records: recs.length,
      run() {
        if (!live) throw new Error('resident program: freed');
        if (rows !== null) runner.rows(block, recs.length, rows, flops);
        else runner.pieces(block, recs.length);
      },
      free() {
        if (!live) return;
        live = false;
        home.freeBlock(block);
      },
    };
  }
}

/** A call's counts (rows, columns, lengths): integers ≥ 0. */
function checkSizes(c: ResidentCall): void {
  const sizes = c.kind === 'gemm' ? [c.m, c.n, c.k] : c.kind === 'colSum' ? [c.rows, c.n] : c.kind === 'copy' ? [c.rows, c.width] : [c.len];
  if (!sizes.every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`resident program: a ${c.kind} call with sizes ${sizes.join(', ')} (integers ≥ 0)`);
}

/** Whether a call writes nothing (made by itself it does nothing either). */
function isEmpty(c: ResidentCall): boolean {
  switch (c.kind) {
    case 'gemm': return c.m === 0 || c.n === 0;
    case 'colSum': return c.n === 0;
    case 'copy': return c.rows === 0 || c.width === 0;
    default: return c.len === 0;
  }
}

/**
 * The calls one at a time through the kernels of `rk`, in order: what a program computes (a
 * program with no record form runs this way; the tests hold the records to it).
 */
export function runCalls(rk: ResidentKernels, calls: readonly ResidentCall[]): void {
  for (const c of calls) {
    switch (c.kind) {
      case 'gemm': rk.gemm(c.transA, c.transB, c.m, c.n, c.k, c.a, c.b, c.c, c.alpha, c.beta, c.bias); break;
      case 'add': rk.add(c.a, c.b, c.out, c.len); break;
      case 'unary': rk.unary(c.op, c.x, c.out, c.len, c.phi); break;
      case 'unaryGrad': rk.unaryGrad(c.op, c.x, c.y, c.g, c.out, c.len, c.phi); break;
      case 'colSum': rk.colSum(c.x, c.rows, c.n, c.out); break;
      case 'copy': {
        const m = rk.view(), s = c.src >> 2, d = c.dst >> 2;
        for (let r = 0; r < c.rows; r++) m.copyWithin(d + r * c.ldd, s + r * c.lds, s + r * c.lds + c.width);
        break;
      }
    }
  }
}

/** A row program's contract (ResidentKernels.program): each call on `rows` rows, row by row. */
function checkRowCall(c: ResidentCall, rows: number): void {
  const bad = (why: string): never => { throw new Error(`resident program: a ${c.kind} call ${why} in a program of ${rows} rows`); };
  switch (c.kind) {
    case 'gemm': if (c.transA || c.m !== rows) bad(`with ${c.transA ? 'op(A) transposed' : `m = ${c.m}`}`); break;
    case 'add': case 'unary': case 'unaryGrad': if (c.len % rows !== 0) bad(`on ${c.len} elements`); break;
    case 'copy': if (c.rows !== rows) bad(`of ${c.rows} rows`); break;
    case 'colSum': bad('(a sum over rows)'); break;
  }
}

