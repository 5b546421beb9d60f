// Emits the float32 GEMM of the wasm-simd backend (GotoBLAS structure): pack a kc×nc panel of
// op(B) and an mc×kc block of op(A) into contiguous slivers, then an MR×NR register-blocked
// f32x4 micro-kernel. Transposes are just strides in the packing routines, so the four
// transpose cases share one kernel.
import { Fn, T } from './encoder.js';
import { emitGeluVector, GELU_UNROLL, unrolledVecLoop, vecLocals } from './elementwise.js';
import { at } from '../../../util/checked.js';

export interface GemmGeometry {
  /** Micro-tile rows (registers hold MR × NR/4 accumulators). */
  MR: number;
  /** Micro-tile columns, a multiple of 4. */
  NR: number;
  /** Block sizes: A block mc×kc ~ L2, B panel kc×nc ~ L3, B sliver kc×NR ~ L1. */
  MC: number;
  KC: number;
  NC: number;
  /** Unrolling of the micro-kernel's k loop. */
  KU: number;
  /** Use relaxed SIMD's fused multiply-add in the micro-kernel (where the engine supports it). */
  fma?: boolean;
}

/**
 * Why 4×8 and KU = 1 (measured on x64, V8/Node 20, an AMD EPYC with AVX2+FMA): TurboFan issues
 * every A broadcast of a k step before that step's multiply-adds, so a step holds MR·NR/4
 * accumulators + NR/4 B vectors + MR broadcasts in the 15 xmm registers it allocates. 4×8 needs
 * 14 and its loop is all loads and FMAs; 6×8 (20), 4×12 (19), 3×16 (19), 8×4 and KU = 2 (twice
 * the broadcasts) spill, 0.45–0.7× as fast; 3×12 (15, 9 accumulators) and 2×16 (14) tie with 4×8.
 * Eight accumulators already cover the FMA latency: 4×8 runs the in-cache shapes at 36–39
 * GFLOP/s, ~85% of the 44–45 that a loop of independent relaxed_madds in registers reaches on one
 * core (scripts/simd-peak.mjs; README run S).
 * KC fixes where partial sums round (changing it changes results); MR, NR, MC, NC and KU do not.
 */
export const defaultGeometry: GemmGeometry = { MR: 4, NR: 8, MC: 128, KC: 256, NC: 512, KU: 1 };

/** Bytes of packing buffers and scratch that one thread needs. */
export function packBytes(g: GemmGeometry): { a: number; b: number; scratch: number } {
  return { a: g.MC * g.KC * 4, b: g.KC * (g.NC + g.NR) * 4, scratch: g.MR * g.NR * 4 };
}

/** i32 min of two locals, pushed. */
function minI32(f: Fn, x: () => void, y: () => void): void {
  x(); y(); x(); y(); f.op('i32.lt_s', 'select');
}

/**
 * Copy p..p+3 of `width` (a multiple of 4) lines that are contiguous in p — line r at
 * sp + off[r] — into dst[(p+c)·width + r], 4 lines at a time: 4 vector loads, a 4×4 transpose
 * in registers (`blk`: 4 v128 scratch locals), 4 vector stores. The packing of the contiguous-k
 * operand (row-major A, transposed B), ~2× faster than 4·width scalar copies.
 */
function transpose4(f: Fn, width: number, off: readonly number[], sp: number, dst: number, blk: readonly number[]): void {
  for (let q = 0; q < width / 4; q++) {
    const line = (r: number): void => { f.get(sp).get(at(off, 4 * q + r, 'line offsets')).op('i32.add').mem('v128.load'); };
    line(0); line(1); f.shuffle32([0, 4, 1, 5]).set(at(blk, 0, 'block'));
    line(0); line(1); f.shuffle32([2, 6, 3, 7]).set(at(blk, 1, 'block'));
    line(2); line(3); f.shuffle32([0, 4, 1, 5]).set(at(blk, 2, 'block'));
    line(2); line(3); f.shuffle32([2, 6, 3, 7]).set(at(blk, 3, 'block'));
    const out = (c: number, x: number, y: number, lanes: [number, number, number, number]): void => {
      f.get(dst).get(at(blk, x, 'block')).get(at(blk, y, 'block')).shuffle32(lanes).mem('v128.store', 4 * (c * width + 4 * q));
    };
    out(0, 0, 2, [0, 1, 4, 5]); out(1, 0, 2, [2, 3, 6, 7]); out(2, 1, 3, [0, 1, 4, 5]); out(3, 1, 3, [2, 3, 6, 7]);
  }
}

/**
 * The packing of one operand into panels of `width` lanes — rows of A (packA, width MR) or columns
 * of B (packB, width NR) — kc values of p each: dst[(l0/width)·kc·width + p·width + l] = the value
 * of lane l0+l at p, at src + 4·(lane·sL + p·sP); lanes past `count` are zero. `params` names the
 * function's parameter positions (the two signatures differ in order). Full panels copy vectors
 * where lanes are contiguous (sL = 1), transpose 4×4 blocks in registers where p is (sP = 1), and
 * else go one value at a time.
 */
function emitPack(name: string, width: number, params: { src: number; sL: number; sP: number; count: number; kc: number; dst: number }): Fn {
  const f = new Fn(name, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const { src, sL, sP, count, kc, dst } = params;
  const l0 = f.local(T.i32), p = f.local(T.i32), l = f.local(T.i32), sp = f.local(T.i32), lanes = f.local(T.i32);
  const sLb = f.local(T.i32), sPb = f.local(T.i32), laneOff = Array.from({ length: width }, () => f.local(T.i32));
  const blk = Array.from({ length: 4 }, () => f.local(T.v128));
  f.get(sL).i32(2).op('i32.shl').set(sLb);
  f.get(sP).i32(2).op('i32.shl').set(sPb);
  for (let q = 0; q < width; q++) f.get(sLb).i32(q).op('i32.mul').set(at(laneOff, q, 'lane offsets'));
  f.for(l0, 0, () => f.get(count), width, () => {
    minI32(f, () => f.i32(width), () => f.get(count).get(l0).op('i32.sub'));
    f.set(lanes);
    // sp = src + l0·sL·4
    f.get(src).get(l0).get(sLb).op('i32.mul', 'i32.add').set(sp);
    f.get(lanes).i32(width).op('i32.eq');
    f.if(() => {
      const scalarFrom = (start: number | (() => void)): void => {
        f.for(p, start, () => f.get(kc), 1, () => {
          for (let q = 0; q < width; q++) {
            f.get(dst).get(sp).get(at(laneOff, q, 'lane offsets')).op('i32.add').mem('f32.load').mem('f32.store', 4 * q);
          }
          f.inc(dst, 4 * width).inc(sp, () => f.get(sPb));
        });
      };
      if (width % 4 !== 0) { scalarFrom(0); return; }
      f.get(sL).i32(1).op('i32.eq');
      f.if(() => {
        // Contiguous lanes (A transposed, B not): the width values of one p are vector copies.
        f.for(p, 0, () => f.get(kc), 1, () => {
          for (let q = 0; q < width / 4; q++) f.get(dst).get(sp).mem('v128.load', 16 * q).mem('v128.store', 16 * q);
          f.inc(dst, 4 * width).inc(sp, () => f.get(sPb));
        });
      }, () => {
        f.get(sP).i32(1).op('i32.eq');
        f.if(() => {
          // p contiguous (A row-major, B transposed): 4×4 blocks, transposed in registers, then the last kc mod 4.
          f.for(p, 0, () => f.get(kc).i32(-4).op('i32.and'), 4, () => {
            transpose4(f, width, laneOff, sp, dst, blk);
            f.inc(dst, 16 * width).inc(sp, 16);
          });
          scalarFrom(() => f.get(kc).i32(-4).op('i32.and'));
        }, () => scalarFrom(0));
      });
    }, () => {
      f.for(p, 0, () => f.get(kc), 1, () => {
        f.for(l, 0, width, 1, () => {
          f.get(l).get(lanes).op('i32.lt_s');
          f.if(() => { f.get(dst).get(sp).get(l).get(sLb).op('i32.mul', 'i32.add').mem('f32.load').mem('f32.store'); },
            () => { f.get(dst).f32(0).mem('f32.store'); });
          f.inc(dst, 4);
        });
        f.inc(sp, () => f.get(sPb));
      });
    });
  });
  return f;
}

/** packA(src, sI, sP, mc, kc, dst): an mc×kc block of A, element (i, p) at src + 4·(i·sI + p·sP), in row panels of MR. */
const emitPackA = (g: GemmGeometry): Fn => emitPack('packA', g.MR, { src: 0, sL: 1, sP: 2, count: 3, kc: 4, dst: 5 });

/** packB(src, sP, sJ, kc, nc, dst): a kc×nc panel of B, element (p, j) at src + 4·(p·sP + j·sJ), in column panels of NR. */
const emitPackB = (g: GemmGeometry): Fn => emitPack('packB', g.NR, { src: 0, sL: 2, sP: 1, count: 4, kc: 3, dst: 5 });

/**
 * kernel(Ap, Bp, C, ldc, mc, nc, kc, alpha, beta, scratch): C[0:mc, 0:nc] = alpha·Ap·Bp + beta·C
 * (C row stride ldc elements); beta = 0 never reads C.
 */
function emitKernel(g: GemmGeometry): Fn {
  const f = new Fn('kernel', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.f32, T.f32, T.i32]);
  const [Ap, Bp, C, ldc, mc, nc, kc, alpha, beta, scratch] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const NV = g.NR / 4;
  const jr = f.local(T.i32), ir = f.local(T.i32), pa = f.local(T.i32), pb = f.local(T.i32), pend = f.local(T.i32);
  const pmain = f.local(T.i32), cp = f.local(T.i32), rp = f.local(T.i32), mr = f.local(T.i32), nr = f.local(T.i32), ldcb = f.local(T.i32);
  const r = f.local(T.i32), c = f.local(T.i32), addr = f.local(T.i32);
  const va = f.local(T.v128), vb = f.local(T.v128), av = f.local(T.v128);
  const bv = Array.from({ length: NV }, () => f.local(T.v128));
  const acc = Array.from({ length: g.MR * NV }, () => f.local(T.v128));
  f.get(alpha).op('f32x4.splat').set(va);
  f.get(beta).op('f32x4.splat').set(vb);
  f.get(ldc).i32(2).op('i32.shl').set(ldcb);
  f.for(jr, 0, () => f.get(nc), g.NR, () => {
    f.for(ir, 0, () => f.get(mc), g.MR, () => {
      for (const x of acc) f.f32(0).op('f32x4.splat').set(x);
      f.get(Ap).get(ir).get(kc).op('i32.mul').i32(2).op('i32.shl', 'i32.add').set(pa);
      f.get(Bp).get(jr).get(kc).op('i32.mul').i32(2).op('i32.shl', 'i32.add').tee(pb);
      f.get(kc).i32(4 * g.NR).op('i32.mul', 'i32.add').set(pend);
      // Main loop unrolled KU times, then the kc mod KU remainder one step at a time.
      const steps = (u: number): void => {
        for (let s = 0; s < u; s++) {
          for (let q = 0; q < NV; q++) f.get(pb).mem('v128.load', 4 * (s * g.NR + 4 * q)).set(at(bv, q, 'B vectors'));
          for (let i = 0; i < g.MR; i++) {
            f.get(pa).mem('v128.load32_splat', 4 * (s * g.MR + i)).set(av);
            for (let q = 0; q < NV; q++) {
              const x = at(acc, i * NV + q, 'accumulators'), bq = at(bv, q, 'B vectors');
              if (g.fma) f.get(av).get(bq).get(x).op('f32x4.relaxed_madd').set(x);
              else f.get(x).get(av).get(bq).op('f32x4.mul', 'f32x4.add').set(x);
            }
          }
        }
        f.inc(pa, 4 * g.MR * u).inc(pb, 4 * g.NR * u);
      };
      if (g.KU > 1) {
        f.get(pb).get(kc).get(kc).i32(g.KU).op('i32.rem_s', 'i32.sub').i32(4 * g.NR).op('i32.mul', 'i32.add').set(pmain);
        f.get(pb).get(pmain).op('i32.lt_u');
        f.if(() => f.doWhile(() => steps(g.KU), () => { f.get(pb).get(pmain).op('i32.lt_u'); }));
      }
      f.get(pb).get(pend).op('i32.lt_u');
      f.if(() => f.doWhile(() => steps(1), () => { f.get(pb).get(pend).op('i32.lt_u'); }));
      minI32(f, () => f.i32(g.MR), () => f.get(mc).get(ir).op('i32.sub'));
      f.set(mr);
      minI32(f, () => f.i32(g.NR), () => f.get(nc).get(jr).op('i32.sub'));
      f.set(nr);
      f.get(C).get(ir).get(ldc).op('i32.mul').get(jr).op('i32.add').i32(2).op('i32.shl', 'i32.add').set(cp);
      f.get(mr).i32(g.MR).op('i32.eq').get(nr).i32(g.NR).op('i32.eq', 'i32.and');
      f.if(() => {
        f.get(beta).f32(0).op('f32.eq');
        const store = (withBeta: boolean): void => {
          f.get(cp).set(rp);
          for (let i = 0; i < g.MR; i++) {
            for (let q = 0; q < NV; q++) {
              f.get(rp).get(at(acc, i * NV + q, 'accumulators')).get(va).op('f32x4.mul');
              if (withBeta) f.get(rp).mem('v128.load', 16 * q).get(vb).op('f32x4.mul', 'f32x4.add');
              f.mem('v128.store', 16 * q);
            }
            if (i + 1 < g.MR) f.inc(rp, () => f.get(ldcb));
          }
        };
        f.if(() => store(false), () => store(true));
      }, () => {
        // Edge tile: spill the accumulators, then add the valid mr×nr part into C.
        for (let i = 0; i < g.MR; i++) for (let q = 0; q < NV; q++) f.get(scratch).get(at(acc, i * NV + q, 'accumulators')).mem('v128.store', (i * g.NR + 4 * q) * 4);
        f.for(r, 0, () => f.get(mr), 1, () => {
          f.for(c, 0, () => f.get(nr), 1, () => {
            f.get(cp).get(r).get(ldcb).op('i32.mul', 'i32.add').get(c).i32(2).op('i32.shl', 'i32.add').set(addr);
            const scaled = (): void => {
              f.get(scratch).get(r).i32(g.NR).op('i32.mul').get(c).op('i32.add').i32(2).op('i32.shl', 'i32.add').mem('f32.load');
              f.get(alpha).op('f32.mul');
            };
            f.get(beta).f32(0).op('f32.eq');
            f.if(() => { f.get(addr); scaled(); f.mem('f32.store'); },
              () => { f.get(addr); scaled(); f.get(addr).mem('f32.load').get(beta).op('f32.mul', 'f32.add').mem('f32.store'); });
          });
        });
      });
    });
  });
  return f;
}

/** Epilogue flags: apply GELU to C in place (else C keeps the linear value). */
export const EPI_GELU_INPLACE = 1;

/**
 * epilogue(C, ldc, mc, nc, bias, gdst, ldg, act) on an mc×nc tile of C, just written and still in
 * cache: v = C + bias[j] (bias 0: none); C = act & EPI_GELU_INPLACE ? gelu(v) : v; and when
 * gdst ≠ 0 also G[i, j] = gelu(v) (row stride ldg), so a layer's output and its activation are
 * produced in one pass.
 */
function emitEpilogue(): Fn {
  const f = new Fn('epilogue', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [C, ldc, mc, nc, bias, gdst, ldg, act] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = f.local(T.i32), j = f.local(T.i32), cp = f.local(T.i32), gp = f.local(T.i32), bp = f.local(T.i32), nv = f.local(T.i32);
  const v = vecLocals(f, GELU_UNROLL), gv = vecLocals(f, GELU_UNROLL);
  f.get(nc).i32(2).op('i32.shr_u').set(nv);
  /** One loop over the tile for one combination of the flags, fixed when emitted: no branches per element. */
  const variant = (hasBias: boolean, inplace: boolean, toG: boolean): void => {
    if (!hasBias && !inplace && !toG) return; // C stays as it is
    // m groups of elements at cp (bp, gp): m vectors of 4 lanes, or (scalar) lane 0 of one.
    const groups = (m: number, vector: boolean): void => {
      const vs = v.slice(0, m), gs = gv.slice(0, m);
      const load = (addr: number, u: number): void => {
        if (vector) f.get(addr).mem('v128.load', 16 * u); else f.get(addr).mem('f32.load').op('f32x4.splat');
      };
      const store = (addr: number, vals: number[]): void => {
        vals.forEach((val, u) => {
          f.get(addr).get(val);
          if (vector) f.mem('v128.store', 16 * u); else f.op('f32x4.extract_lane0').mem('f32.store');
        });
      };
      vs.forEach((x, u) => { load(cp, u); f.set(x); });
      if (hasBias) vs.forEach((x, u) => { f.get(x); load(bp, u); f.op('f32x4.add').set(x); });
      if (inplace || toG) vs.forEach((x, u) => emitGeluVector(f, x, at(gs, u, 'GELU values')));
      if (hasBias || inplace) store(cp, inplace ? gs : vs); // else C already holds v
      if (toG) store(gp, gs);
      const step = vector ? 16 * m : 4;
      f.inc(cp, step);
      if (toG) f.inc(gp, step);
      if (hasBias) f.inc(bp, step);
    };
    f.for(i, 0, () => f.get(mc), 1, () => {
      f.get(C).get(i).get(ldc).op('i32.mul').i32(2).op('i32.shl', 'i32.add').set(cp);
      if (toG) f.get(gdst).get(i).get(ldg).op('i32.mul').i32(2).op('i32.shl', 'i32.add').set(gp);
      if (hasBias) f.get(bias).set(bp);
      unrolledVecLoop(f, nv, GELU_UNROLL, (m) => groups(m, true));
      f.for(j, () => f.get(nc).i32(-4).op('i32.and'), () => f.get(nc), 1, () => groups(1, false));
    });
  };
  const byGdst = (hasBias: boolean, inplace: boolean): void => {
    f.get(gdst);
    f.if(() => variant(hasBias, inplace, true), () => variant(hasBias, inplace, false));
  };
  const byAct = (hasBias: boolean): void => {
    f.get(act).i32(EPI_GELU_INPLACE).op('i32.and');
    f.if(() => byGdst(hasBias, true), () => byGdst(hasBias, false));
  };
  f.get(bias);
  f.if(() => byAct(true), () => byAct(false));
  return f;
}

/**
 * gemm(A, sIa, sPa, B, sPb, sJb, C, ldc, m, n, k, alpha, beta, bufA, bufB, scratch, bias, gdst,
 * ldg, act): C = epilogue(alpha·op(A)·op(B) + beta·C), with op(A)(i, p) at A + 4·(i·sIa + p·sPa)
 * and op(B)(p, j) at B + 4·(p·sPb + j·sJb); the epilogue (bias, GELU; see emitEpilogue) runs on
 * each tile after its last k block when bias, gdst or act is non-zero. Requires k ≥ 1 (k = 0 is
 * C = beta·C, done by the caller).
 */
function emitGemm(g: GemmGeometry): Fn {
  const f = new Fn('gemm', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.f32, T.f32, T.i32, T.i32, T.i32,
    T.i32, T.i32, T.i32, T.i32]);
  const [A, sIa, sPa, B, sPb, sJb, C, ldc, m, n, k, alpha, beta, bufA, bufB, scratch, bias, gdst, ldg, act] = Array.from({ length: 20 }, (_, i) => i);
  const jc = f.local(T.i32), pc = f.local(T.i32), ic = f.local(T.i32), nc = f.local(T.i32), kc = f.local(T.i32), mc = f.local(T.i32);
  const bet = f.local(T.f32), ep = f.local(T.i32);
  f.get(bias!).get(gdst!).get(act!).op('i32.or', 'i32.or').i32(0).op('i32.ne').set(ep);
  f.for(jc, 0, () => f.get(n!), g.NC, () => {
    minI32(f, () => f.i32(g.NC), () => f.get(n!).get(jc).op('i32.sub'));
    f.set(nc);
    f.for(pc, 0, () => f.get(k!), g.KC, () => {
      minI32(f, () => f.i32(g.KC), () => f.get(k!).get(pc).op('i32.sub'));
      f.set(kc);
      f.get(B!).get(pc).get(sPb!).op('i32.mul').get(jc).get(sJb!).op('i32.mul', 'i32.add').i32(2).op('i32.shl', 'i32.add');
      f.get(sPb!).get(sJb!).get(kc).get(nc).get(bufB!).call('packB');
      f.get(beta!).f32(1).get(pc).op('i32.eqz', 'select').set(bet);
      f.for(ic, 0, () => f.get(m!), g.MC, () => {
        minI32(f, () => f.i32(g.MC), () => f.get(m!).get(ic).op('i32.sub'));
        f.set(mc);
        f.get(A!).get(ic).get(sIa!).op('i32.mul').get(pc).get(sPa!).op('i32.mul', 'i32.add').i32(2).op('i32.shl', 'i32.add');
        f.get(sIa!).get(sPa!).get(mc).get(kc).get(bufA!).call('packA');
        f.get(bufA!).get(bufB!);
        f.get(C!).get(ic).get(ldc!).op('i32.mul').get(jc).op('i32.add').i32(2).op('i32.shl', 'i32.add');
        f.get(ldc!).get(mc).get(nc).get(kc).get(alpha!).get(bet).get(scratch!).call('kernel');
        // After the last k block, the epilogue on this tile (still in cache).
        f.get(ep).get(pc).get(kc).op('i32.add').get(k!).op('i32.ge_s', 'i32.and');
        f.if(() => {
          f.get(C!).get(ic).get(ldc!).op('i32.mul').get(jc).op('i32.add').i32(2).op('i32.shl', 'i32.add');
          f.get(ldc!).get(mc).get(nc);
          // select(x + offset, 0, x): a null pointer stays null.
          f.get(bias!).get(jc).i32(2).op('i32.shl', 'i32.add').i32(0).get(bias!).op('select');
          f.get(gdst!).get(ic).get(ldg!).op('i32.mul').get(jc).op('i32.add').i32(2).op('i32.shl', 'i32.add').i32(0).get(gdst!).op('select');
          f.get(ldg!).get(act!).call('epilogue');
        });
      });
    });
  });
  return f;
}

/** The GEMM functions: `gemm` and the helpers it calls by name. */
export function emitGemmFunctions(g: GemmGeometry = defaultGeometry): Fn[] {
  if (g.NR % 4 !== 0 || g.MC % g.MR !== 0 || g.NC % g.NR !== 0) throw new Error('gemm geometry: NR must be a multiple of 4, MC of MR, NC of NR');
  return [emitPackA(g), emitPackB(g), emitKernel(g), emitEpilogue(), emitGemm(g)];
}
