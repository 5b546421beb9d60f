/**
 * enumerate's inner walk over block A (enumerate.ts) in WebAssembly, one outer state per call:
 * pass 0's minimum energy, and pass 1's q = exp(−de) with every sum it feeds (zB, sE, sE2, pG[t],
 * the nibble histograms with the upper bins held in locals per block of 16 steps). Each floating-
 * point operation is the JavaScript loop's, in its order (left to right: ((E0G[t] + eB) − F) −
 * shift, (q·de)·de), never fused, and exp is V8's Math.exp ported bit for bit (scalar, or lane
 * by lane for four pairs at a time: tensor/backend/wasm/exp.ts), so enumerate's results are the same bits with or without it
 * (test/ising/enumerate-wasm.test.ts). The outer walk over block B and the histograms' expansion
 * stay in JavaScript (O(n) per outer state against 2^na inner steps). Optional, and kept out of the
 * core bundle (which compiles no WebAssembly): enableWasmLanes (blocked-wasm.ts) installs it, after
 * checking that the port gives this engine's Math.exp bits; else enumerate keeps its own loops.
 */
import { at } from '../util/checked.js';
import { compileSmallModule, Fn, T } from '../tensor/backend/wasm/encoder.js';
import { EXP_PAIR_MAX, EXP_PAIR_MIN, emitExpPairs, expFn, expMatchesMathExp, expPairConstants } from '../tensor/backend/wasm/exp.js';
import { align, instanceInOwnMemory } from '../tensor/backend/wasm/memory.js';
import { MAX_ENUM_N, setEnumerateWalk } from './enumerate.js';
import type { EnumerateWalk } from './enumerate.js';

/** walkMin(E0G, flip, hs, sizeA, F, eB, emin) → emin: byte offsets, the steps, then pass 0's scalars. */
function minKernel(): Fn {
  const f = new Fn('walkMin', [T.i32, T.i32, T.i32, T.i32, T.f64, T.f64, T.f64], [T.f64]);
  const [pE, pFl, hs, sizeA, F, eB, emin] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(T.i32), e = f.local(T.f64);
  const step = (): void => { // e = E0G[t] + eB − F; if (e < emin) emin = e
    f.get(pE).mem('f64.load').get(eB).op('f64.add').get(F).op('f64.sub').set(e);
    f.get(e).get(emin).get(e).get(emin).op('f64.lt', 'select').set(emin);
  };
  step();
  f.for(t, 1, () => f.get(sizeA), 1, () => {
    f.inc(pE, 8);
    f.get(F).get(hs).get(pFl).get(t).op('i32.add').mem('i32.load8_u').i32(3).op('i32.shl', 'i32.add').mem('f64.load').op('f64.add').set(F);
    step();
  });
  f.get(emin);
  return f;
}

/** States per group in walkSums: four f64x2 exps side by side (measured: 4 states 2.0×, 8 2.3×, 16 2.3× less CPU than JavaScript at n = 20). */
const GROUP = 8;

/**
 * walkSums(E0G, flip, gx, hs, pG, hist, out, sizeA, L, F, eB, shift) → zB, with sE, sE2 read from
 * and written back to out[0], out[1]. Steps go in groups of 8 (2^na ≥ 8; else one by one): F and
 * de for each step in order, their exps as two f64x2 side by side where every argument allows
 * (emitExpPairs) else one at a time, then each step's sums in order.
 */
function sumsKernel(): Fn {
  const f = new Fn('walkSums', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.f64, T.f64, T.f64], [T.f64]);
  const [pE, pFl, gx, hs, pG, hist, out, sizeA, L, F, eB, shift] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const t0 = f.local(T.i32), t = f.local(T.i32), tEnd = f.local(T.i32), x0 = f.local(T.i32);
  const b1 = f.local(T.i32), b2 = f.local(T.i32), b3 = f.local(T.i32), ph = f.local(T.i32);
  const zB = f.local(T.f64), sE = f.local(T.f64), sE2 = f.local(T.f64), qde = f.local(T.f64);
  const de = Array.from({ length: GROUP }, () => f.local(T.f64)), q = Array.from({ length: GROUP }, () => f.local(T.f64));
  const X = Array.from({ length: GROUP / 2 }, () => f.local(T.v128)), Q = Array.from({ length: GROUP / 2 }, () => f.local(T.v128));
  const a1 = f.local(T.f64), a2 = f.local(T.f64), a3 = f.local(T.f64);
  const k = expPairConstants(f);
  const loc = (a: readonly number[], i: number): number => at(a, i, 'walkSums locals');
  f.get(out).mem('f64.load').set(sE);
  f.get(out).mem('f64.load', 8).set(sE2);
  f.f64(0).set(zB);
  // F += hs[flip[t + off]]; de = ((E0G[t + off] + eB) − F) − shift
  const stepF = (off: number): void => {
    f.get(F).get(hs).get(pFl).get(t).op('i32.add').mem('i32.load8_u', off).i32(3).op('i32.shl', 'i32.add').mem('f64.load').op('f64.add').set(F);
  };
  const stepDe = (off: number): void => {
    f.get(pE).get(t).i32(3).op('i32.shl', 'i32.add').mem('f64.load', 8 * off).get(eB).op('f64.add').get(F).op('f64.sub').get(shift).op('f64.sub').set(loc(de, off));
  };
  // |−de| in [EXP_PAIR_MIN, EXP_PAIR_MAX] (false for NaN)
  const inPairRange = (d: number): void => {
    f.get(d).op('f64.abs').f64(EXP_PAIR_MIN).op('f64.ge').get(d).op('f64.abs').f64(EXP_PAIR_MAX).op('f64.le', 'i32.and');
  };
  const sums = (off: number): void => {
    const d = loc(de, off), qv = loc(q, off);
    f.get(zB).get(qv).op('f64.add').set(zB);
    f.get(qv).get(d).op('f64.mul').set(qde);
    f.get(sE).get(qde).op('f64.add').set(sE);
    f.get(sE2).get(qde).get(d).op('f64.mul', 'f64.add').set(sE2);
    // pG[t] += q
    f.get(pG).get(t).i32(3).op('i32.shl', 'i32.add').tee(ph).get(ph).mem('f64.load', 8 * off).get(qv).op('f64.add').mem('f64.store', 8 * off);
    // hist[gx[t] & 15] += q
    f.get(hist).get(gx).get(t).i32(2).op('i32.shl', 'i32.add').mem('i32.load', 4 * off).i32(15).op('i32.and').i32(3).op('i32.shl', 'i32.add').tee(ph);
    f.get(ph).mem('f64.load').get(qv).op('f64.add').mem('f64.store');
    f.get(a1).get(qv).op('f64.add').set(a1);
    f.get(a2).get(qv).op('f64.add').set(a2);
    f.get(a3).get(qv).op('f64.add').set(a3);
  };
  const scalarExp = (off: number): void => { f.get(loc(de, off)).op('f64.neg').call('exp').set(loc(q, off)); };
  const block = (g: number): void => {
    f.for(t, () => f.get(t0), () => f.get(tEnd), g, () => {
      f.get(t).if(() => stepF(0)); // if (t > 0) F += hs[flip[t]]
      stepDe(0);
      for (let off = 1; off < g; off++) {
        stepF(off);
        stepDe(off);
      }
      if (g === 1) {
        scalarExp(0);
      } else {
        for (let off = 0; off < g; off++) {
          inPairRange(loc(de, off));
          if (off > 0) f.op('i32.and');
        }
        f.if(() => {
          for (let v = 0; v < g / 2; v++) {
            f.get(loc(de, 2 * v)).op('f64.neg', 'f64x2.splat').get(loc(de, 2 * v + 1)).op('f64.neg', 'f64x2.replace_lane1').set(loc(X, v));
          }
          emitExpPairs(f, k, X, Q);
          for (let v = 0; v < g / 2; v++) {
            f.get(loc(Q, v)).op('f64x2.extract_lane0').set(loc(q, 2 * v));
            f.get(loc(Q, v)).op('f64x2.extract_lane1').set(loc(q, 2 * v + 1));
          }
        }, () => { for (let off = 0; off < g; off++) scalarExp(off); });
      }
      for (let off = 0; off < g; off++) sums(off);
    });
  };
  f.for(t0, 0, () => f.get(sizeA), () => f.get(L), () => {
    // The bins of nibbles 1–3 (bytes hist + 8·(16·j | nibble j of gx[t0])) stay in a1..a3 for the block.
    f.get(gx).get(t0).i32(2).op('i32.shl', 'i32.add').mem('i32.load').set(x0);
    for (const [bj, j] of [[b1, 1], [b2, 2], [b3, 3]] as const) {
      f.get(hist).get(x0).i32(4 * j).op('i32.shr_u').i32(15).op('i32.and').i32(16 * j).op('i32.or').i32(3).op('i32.shl', 'i32.add').set(bj);
    }
    f.get(b1).mem('f64.load').set(a1);
    f.get(b2).mem('f64.load').set(a2);
    f.get(b3).mem('f64.load').set(a3);
    f.get(t0).get(L).op('i32.add').set(tEnd);
    f.get(L).i32(GROUP).op('i32.ge_u').if(() => block(GROUP), () => block(1)); // L = min(16, 2^na): a multiple of 8, or 2 or 4
    f.get(b1).get(a1).mem('f64.store');
    f.get(b2).get(a2).mem('f64.store');
    f.get(b3).get(a3).mem('f64.store');
  });
  f.get(out).get(sE).mem('f64.store');
  f.get(out).get(sE2).mem('f64.store', 8);
  f.get(zB);
  return f;
}

let compiled: WebAssembly.Module | null | undefined;

/** The module, compiled once on first use; null where WebAssembly is not available. */
function walkModule(): WebAssembly.Module | null {
  if (compiled === undefined) compiled = compileSmallModule([expFn('exp'), minKernel(), sumsKernel()]);
  return compiled;
}

/** One walk's memory and kernels for na spins, or null where WebAssembly or the memory is not available. */
export function createWasmWalk(na: number, onRelease: (w: EnumerateWalk) => void = () => {}): EnumerateWalk | null {
  if (!(Number.isInteger(na) && na >= 1 && na <= MAX_ENUM_N - Math.floor(MAX_ENUM_N / 2))) return null;
  const sizeA = 2 ** na;
  const oE0G = 0;
  const oPG = align(oE0G + 8 * sizeA, 64);
  const oGx = align(oPG + 8 * sizeA, 64);
  const oHist = align(oGx + 4 * sizeA, 64);
  const oHs = align(oHist + 64 * 8, 64);
  const oOut = align(oHs + 2 * na * 8, 64);
  const oFlip = align(oOut + 16, 64);
  const bytes = align(oFlip + sizeA, 64);
  const mod = walkModule();
  const inst = mod ? instanceInOwnMemory(mod, bytes) : null;
  if (!inst) return null;
  const { memory, exports: ex } = inst;
  const min = ex['walkMin'] as (e: number, fl: number, hs: number, sizeA: number, F: number, eB: number, emin: number) => number;
  const sums = ex['walkSums'] as (e: number, fl: number, gx: number, hs: number, pG: number, hist: number, out: number,
    sizeA: number, L: number, F: number, eB: number, shift: number) => number;
  const buf = memory.buffer;
  const L = Math.min(16, sizeA);
  const out = new Float64Array(buf, oOut, 2);
  const walk: EnumerateWalk = {
    gx: new Uint32Array(buf, oGx, sizeA),
    flip: new Uint8Array(buf, oFlip, sizeA),
    E0G: new Float64Array(buf, oE0G, sizeA),
    hs: new Float64Array(buf, oHs, 2 * na),
    pG: new Float64Array(buf, oPG, sizeA),
    hist: new Float64Array(buf, oHist, 64),
    out,
    min: (F, eB, emin) => min(oE0G, oFlip, oHs, sizeA, F, eB, emin),
    sums: (F, eB, shift, sE, sE2) => {
      out[0] = sE;
      out[1] = sE2;
      return sums(oE0G, oFlip, oGx, oHs, oPG, oHist, oOut, sizeA, L, F, eB, shift);
    },
    release: () => onRelease(walk),
  };
  return walk;
}

/** One idle walk kept per na (an enumeration inside another's onProgress gets a fresh one). */
const idle = new Map<number, EnumerateWalk>();

function pooledWalk(na: number): EnumerateWalk | null {
  const w = idle.get(na);
  if (w) {
    idle.delete(na);
    return w;
  }
  return createWasmWalk(na, (done) => { idle.set(na, done); });
}

/** Whether the module compiled and its exp passed the probe (checked once). */
let usable: boolean | undefined;

/**
 * Make enumerate run its inner walks here from now on, where WebAssembly compiles and the exp port
 * gives this engine's Math.exp bits (expMatchesMathExp); returns whether it does. Results are the
 * same either way.
 */
export function enableEnumerateWasm(): boolean {
  if (usable === undefined) {
    const mod = walkModule();
    const inst = mod ? instanceInOwnMemory(mod, 64) : null;
    usable = inst !== null && expMatchesMathExp(inst.exports['exp'] as (x: number) => number);
  }
  if (usable) setEnumerateWalk(pooledWalk);
  return usable;
}
