/**
 * PLE's four-row blocks (pleGradHess in ple.ts) in WebAssembly SIMD: the Hessian's upper triangle
 * two entries at a time as f64x2, each lane ((((h + w0·x0) + w1·x1) + w2·x2) + w3·x3) with
 * separate multiplies and adds (never a fused madd), the same order as the JavaScript loop, so
 * the same bits (test/ising/ple-wasm.test.ts). Row a's triangle starts at c = a, so the pairs are
 * unaligned loads where a is odd, and an odd count ends with one scalar entry. tanh stays in
 * JavaScript (no bit-exact tanh here): pleGradHess writes every block's weights, then one call
 * builds each block's rows x_r from the patterns (copied into this memory once per fit) and adds
 * them. Optional, and kept out of the core bundle (which compiles no
 * WebAssembly): enableWasmLanes (blocked-wasm.ts) installs it; where WebAssembly SIMD is missing
 * or the memory cannot be had, ple.ts keeps its own loops.
 */
import { at } from '../../util/checked.js';
import { compileSmallModule, Fn, T } from '../../tensor/backend/wasm/encoder.js';
import { align, instanceInOwnMemory } from '../../tensor/backend/wasm/memory.js';
import { setPLELanes } from './ple.js';
import type { PLELanes } from './ple.js';
import type { Patterns } from '../patterns.js';

/**
 * accumulate4(S, GW, grad, hess, X, n, i, nb): byte offsets, then the spins (n = dc, the d the
 * module is made for: a block's rows are at constant offsets q·8d, so no address arithmetic),
 * the regressed spin and the blocks.
 */
function kernel(dc: number): Fn {
  const f = new Fn('accumulate4', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [sp, gw, grad, hess, xb, d, spin, nb] = [0, 1, 2, 3, 4, 5, 6, 7];
  const blk = f.local(T.i32), a = f.local(T.i32), pa = f.local(T.i32), ga = f.local(T.i32), pe = f.local(T.i32), px = f.local(T.i32);
  const d8 = f.local(T.i32), xEnd = f.local(T.i32), xLast = f.local(T.i32), xQuad = f.local(T.i32), rowStep = f.local(T.i32);
  const j = f.local(T.i32), xq = f.local(T.i32);
  const g = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const v = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const x = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const w = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const W = [f.local(T.v128), f.local(T.v128), f.local(T.v128), f.local(T.v128)] as const;
  const row = f.local(T.i32); // hess at (a, a)
  const rowBytes = 8 * dc; // row q of a block at + q·8d bytes
  f.get(d).i32(3).op('i32.shl').set(d8);
  f.get(d8).i32(8).op('i32.add').set(rowStep); // hess: (a, a) → (a+1, a+1)
  f.get(xb).get(d8).op('i32.add').tee(xEnd).i32(8).op('i32.sub').set(xLast);
  f.get(xEnd).i32(24).op('i32.sub').set(xQuad);
  f.for(blk, 0, () => f.get(nb), 1, () => {
    // The block's rows x_r = [1, s_r without s_ri] (s_rj at 8(j + 1) before i, at 8j after), as float64.
    f.get(xb).set(xq);
    for (let q = 0; q < 4; q++) {
      f.get(xq).i32(1).op('f64.convert_i32_s').mem('f64.store');
      f.for(j, 0, () => f.get(spin), 1, () => {
        f.get(xq).get(j).i32(3).op('i32.shl', 'i32.add');
        f.get(sp).get(j).op('i32.add').mem('i32.load8_s').op('f64.convert_i32_s').mem('f64.store', 8);
      });
      f.for(j, () => f.get(spin).i32(1).op('i32.add'), () => f.get(d), 1, () => {
        f.get(xq).get(j).i32(3).op('i32.shl', 'i32.add');
        f.get(sp).get(j).op('i32.add').mem('i32.load8_s').op('f64.convert_i32_s').mem('f64.store');
      });
      f.inc(sp, () => f.get(d));
      f.inc(xq, () => f.get(d8));
    }
    for (let q = 0; q < 4; q++) {
      f.get(gw).mem('f64.load', 8 * q).set(at(g, q, 'g'));
      f.get(gw).mem('f64.load', 32 + 8 * q).set(at(v, q, 'v'));
    }
    f.get(xb).set(pa);
    f.get(grad).set(ga);
    f.get(hess).set(pe);
    f.for(a, 0, () => f.get(d), 1, () => {
      for (let q = 0; q < 4; q++) f.get(pa).mem('f64.load', q * rowBytes).set(at(x, q, 'x'));
      // grad[a] = grad[a] + g0·x0 + g1·x1 + g2·x2 + g3·x3 (left to right)
      f.get(ga).get(ga).mem('f64.load');
      for (let q = 0; q < 4; q++) f.get(at(g, q, 'g')).get(at(x, q, 'x')).op('f64.mul', 'f64.add');
      f.mem('f64.store');
      for (let q = 0; q < 4; q++) {
        f.get(at(v, q, 'v')).get(at(x, q, 'x')).op('f64.mul').tee(at(w, q, 'w')).op('f64x2.splat').set(at(W, q, 'W'));
      }
      // Row a of the triangle, c = a..d−1: four entries (two pairs) while four are left, then
      // a pair, then one; pe follows px. Each entry on its own, so their grouping is free.
      const pair = (off: number): void => {
        f.get(pe).get(pe).mem('v128.load', off);
        for (let q = 0; q < 4; q++) f.get(at(W, q, 'W')).get(px).mem('v128.load', off + q * rowBytes).op('f64x2.mul', 'f64x2.add');
        f.mem('v128.store', off);
      };
      f.get(pe).set(row);
      f.for(px, () => f.get(pa), () => f.get(xQuad), 32, () => {
        pair(0);
        pair(16);
        f.inc(pe, 32);
      });
      f.get(px).get(xLast).op('i32.lt_s').if(() => {
        pair(0);
        f.inc(pe, 16);
        f.inc(px, 16);
      });
      f.get(px).get(xEnd).op('i32.lt_s').if(() => {
        f.get(pe).get(pe).mem('f64.load');
        for (let q = 0; q < 4; q++) f.get(at(w, q, 'w')).get(px).mem('f64.load', q * rowBytes).op('f64.mul', 'f64.add');
        f.mem('f64.store');
      });
      f.get(row).get(rowStep).op('i32.add').set(pe);
      f.inc(pa, 8);
      f.inc(ga, 8);
    });
    f.inc(gw, 64);
  });
  return f;
}

const compiled = new Map<number, WebAssembly.Module | null>();

/** The module for d, compiled once on first use; null where WebAssembly SIMD is not available. */
function pleModule(d: number): WebAssembly.Module | null {
  let mod = compiled.get(d);
  if (mod === undefined) {
    mod = compileSmallModule([kernel(d)]);
    compiled.set(d, mod);
  }
  return mod;
}

/**
 * Memory and the kernel for a set of patterns (copied in), or null where WebAssembly SIMD or the
 * memory is not available.
 */
export function createWasmPLELanes(pt: Patterns): PLELanes | null {
  const { n: d, k: K } = pt;
  if (!(Number.isInteger(d) && d >= 1 && Number.isInteger(K) && K >= 0 && pt.s.length === d * K)) return null;
  const full = K - (K % 4);
  const oHess = 0;
  const oGrad = align(oHess + d * d * 8, 64);
  const oX = align(oGrad + d * 8, 64);
  const oGW = align(oX + 4 * d * 8, 64);
  const oS = align(oGW + full * 16, 64);
  const bytes = align(oS + full * d, 64);
  const mod = pleModule(d);
  const inst = mod ? instanceInOwnMemory(mod, bytes) : null;
  if (!inst) return null;
  const { memory, exports: ex } = inst;
  const acc = ex['accumulate4'] as (s: number, gw: number, grad: number, hess: number, x: number, n: number, i: number, nb: number) => void;
  const buf = memory.buffer;
  new Int8Array(buf, oS, full * d).set(pt.s.subarray(0, full * d)); // the full blocks' rows
  return {
    patterns: pt,
    GW: new Float64Array(buf, oGW, 2 * full),
    grad: new Float64Array(buf, oGrad, d),
    hess: new Float64Array(buf, oHess, d * d),
    accumulate4: (i) => {
      if (!(Number.isInteger(i) && i >= 0 && i < d)) throw new Error(`PLE lanes: no spin ${i} of ${d}`);
      acc(oS, oGW, oGrad, oHess, oX, d, i, full / 4);
    },
  };
}

/**
 * Make fitPLESpins (so inferPLE and its parallel form) add its four-row blocks here from now on,
 * where WebAssembly SIMD compiles; returns whether it does. Results are the same either way.
 */
export function enablePLELanes(): boolean {
  if (!pleModule(2)) return false;
  setPLELanes(createWasmPLELanes);
  return true;
}
