/**
 * exp(x) in WebAssembly, bit for bit the Math.exp of V8 (Node 20's V8 11.3): a port of
 * v8/src/base/ieee754.cc `exp`, which is fdlibm's e_exp.c (Sun Microsystems, 1993; freely
 * distributable). Argument reduction x = k·ln2 + r with ln2 split in a hi part (k·ln2HI exact)
 * and a lo part, the rational approximation c = r − r²(P1 + r²(P2 + … + r²P5)),
 * exp(r) = 1 − ((lo − r·c/(2 − c)) − hi), then scaling by 2^k (via 2^(k+1000) · 2^−1000 for
 * subnormal results, via 2 · 2^1023 for k = 1024). Every operation is the C code's, in its order,
 * scalar and never fused, so the results are the same IEEE doubles (test/tensor/exp.test.ts
 * compares with Math.exp on millions of inputs). Where an engine's Math.exp is not this fdlibm
 * code (or was compiled with fused multiply-adds), callers must not use it as Math.exp: they
 * probe first (expMatchesMathExp).
 */
import { Fn, T } from './encoder.js';

// fdlibm's constants, by their bits (the C source's hexadecimal comments).
const bitsF64 = (hi: number, lo: number): number => {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, hi);
  v.setUint32(4, lo);
  return v.getFloat64(0);
};
const O_THRESHOLD = bitsF64(0x40862e42, 0xfefa39ef); // 7.09782712893383973096e+02
const U_THRESHOLD = bitsF64(0xc0874910, 0xd52d3051); // -7.45133219101941108420e+02
const LN2_HI = bitsF64(0x3fe62e42, 0xfee00000); // 6.93147180369123816490e-01
const LN2_LO = bitsF64(0x3dea39ef, 0x35793c76); // 1.90821492927058770002e-10
const INV_LN2 = bitsF64(0x3ff71547, 0x652b82fe); // 1.44269504088896338700e+00
const P1 = bitsF64(0x3fc55555, 0x5555553e);
const P2 = bitsF64(0xbf66c16c, 0x16bebd93);
const P3 = bitsF64(0x3f11566a, 0xaf25de2c);
const P4 = bitsF64(0xbebbbd41, 0xc5d26bf1);
const P5 = bitsF64(0x3e663769, 0x72bea4d0);
const E = bitsF64(0x4005bf0a, 0x8b145769); // V8 returns this for exp(1) exactly
const TWOM1000 = bitsF64(0x01700000, 0); // 2^−1000
const TWO1023 = bitsF64(0x7fe00000, 0); // 2^1023

/** The constants above, for the test's own checks of the decimal values in the C source. */
export const EXP_CONSTANTS = { O_THRESHOLD, U_THRESHOLD, LN2_HI, LN2_LO, INV_LN2, P1, P2, P3, P4, P5, E, TWOM1000, TWO1023 };

/** The function `name`(x: f64) → f64, to include in a module (callers reach it with Fn.call). */
export function expFn(name = 'exp'): Fn {
  const f = new Fn(name, [T.f64], [T.f64]);
  const y = f.local(T.f64);
  emitExp(f, 0, y);
  f.get(y);
  return f;
}

/**
 * Inline code that sets local `out` to exp(local x) (x: an f64 local the code may overwrite), as
 * one block: each of the C code's returns stores its value and leaves the block.
 */
export function emitExp(f: Fn, x: number, out: number): void {
  f.block(() => expBody(f, x, out));
}

function expBody(f: Fn, x: number, out: number): void {
  let depth = 0; // ifs open inside the block
  const iff = (cond: () => void, then: () => void, otherwise?: () => void): void => {
    cond();
    depth++;
    f.if(then, otherwise);
    depth--;
  };
  // return v: the value on the stack to out, then past the block's end
  const ret = (): void => { f.set(out).br(depth); };
  const bits = f.local(T.i64);
  const hx = f.local(T.i32), xsb = f.local(T.i32), k = f.local(T.i32);
  const hi = f.local(T.f64), lo = f.local(T.f64), t = f.local(T.f64), c = f.local(T.f64), y = f.local(T.f64), twopk = f.local(T.f64);
  // GET_HIGH_WORD(hx, x); xsb = sign bit; hx = high word of |x|
  f.get(x).op('i64.reinterpret_f64').tee(bits).i32(32).op('i64.extend_i32_u', 'i64.shr_u', 'i32.wrap_i64').tee(hx);
  f.i32(31).op('i32.shr_u').set(xsb);
  f.get(hx).i32(0x7fffffff).op('i32.and').set(hx);
  // filter out non-finite argument
  iff(() => f.get(hx).i32(0x40862e42).op('i32.ge_u'), () => {
    iff(() => f.get(hx).i32(0x7ff00000).op('i32.ge_u'), () => {
      iff(() => f.get(hx).i32(0xfffff).op('i32.and').get(bits).op('i32.wrap_i64', 'i32.or'), () => {
        f.get(x).get(x).op('f64.add'); ret(); // NaN
      });
      iff(() => f.get(xsb).op('i32.eqz'), () => { f.get(x); ret(); }, () => { f.f64(0); ret(); }); // exp(±inf) = {inf, 0}
    });
    iff(() => f.get(x).f64(O_THRESHOLD).op('f64.gt'), () => { f.f64(Infinity); ret(); }); // huge·huge
    iff(() => f.get(x).f64(U_THRESHOLD).op('f64.lt'), () => { f.f64(0); ret(); }); // twom1000·twom1000
  });
  // argument reduction
  iff(() => f.get(hx).i32(0x3fd62e42).op('i32.gt_u'), () => { // |x| > 0.5 ln2
    iff(() => f.get(hx).i32(0x3ff0a2b2).op('i32.lt_u'), () => { // and |x| < 1.5 ln2
      iff(() => f.get(x).f64(1).op('f64.eq'), () => { f.f64(E); ret(); });
      iff(() => f.get(xsb).op('i32.eqz'), () => {
        f.get(x).f64(LN2_HI).op('f64.sub').set(hi);
        f.f64(LN2_LO).set(lo);
        f.i32(1).set(k);
      }, () => {
        f.get(x).f64(-LN2_HI).op('f64.sub').set(hi);
        f.f64(-LN2_LO).set(lo);
        f.i32(-1).set(k);
      });
    }, () => {
      // k = (int)(invln2·x + halF[xsb]); t = k; hi = x − t·ln2HI (exact); lo = t·ln2LO
      f.f64(INV_LN2).get(x).op('f64.mul');
      f.f64(0.5).f64(-0.5).get(xsb).op('i32.eqz', 'select');
      f.op('f64.add', 'i32.trunc_f64_s').tee(k).op('f64.convert_i32_s').set(t);
      f.get(x).get(t).f64(LN2_HI).op('f64.mul', 'f64.sub').set(hi);
      f.get(t).f64(LN2_LO).op('f64.mul').set(lo);
    });
    f.get(hi).get(lo).op('f64.sub').set(x);
  }, () => {
    iff(() => f.get(hx).i32(0x3e300000).op('i32.lt_u'), () => { // |x| < 2^−28: huge + x > one always holds
      f.f64(1).get(x).op('f64.add'); ret();
    });
    f.i32(0).set(k);
  });
  // x is now in primary range
  f.get(x).get(x).op('f64.mul').set(t);
  // twopk: high word 0x3FF00000 + (k << 20), or + ((k + 1000) << 20) where k < −1021; low word 0
  f.i32(0x3ff00000);
  f.get(k).get(k).i32(1000).op('i32.add').get(k).i32(-1021).op('i32.ge_s', 'select');
  f.i32(20).op('i32.shl', 'i32.add', 'i64.extend_i32_u').i32(32).op('i64.extend_i32_u', 'i64.shl', 'f64.reinterpret_i64').set(twopk);
  // c = x − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5))))
  f.get(x).get(t);
  f.get(t).get(t).get(t).get(t).f64(P5).op('f64.mul').f64(P4).op('f64.add');
  f.op('f64.mul').f64(P3).op('f64.add');
  f.op('f64.mul').f64(P2).op('f64.add');
  f.op('f64.mul').f64(P1).op('f64.add');
  f.op('f64.mul', 'f64.sub').set(c);
  iff(() => f.get(k).op('i32.eqz'), () => {
    // one − ((x·c)/(c − 2.0) − x)
    f.f64(1).get(x).get(c).op('f64.mul').get(c).f64(2).op('f64.sub', 'f64.div').get(x).op('f64.sub', 'f64.sub');
    ret();
  });
  // y = one − ((lo − (x·c)/(2.0 − c)) − hi)
  f.f64(1).get(lo).get(x).get(c).op('f64.mul').f64(2).get(c).op('f64.sub', 'f64.div', 'f64.sub').get(hi).op('f64.sub', 'f64.sub').set(y);
  iff(() => f.get(k).i32(-1021).op('i32.ge_s'), () => {
    iff(() => f.get(k).i32(1024).op('i32.eq'), () => { f.get(y).f64(2).op('f64.mul').f64(TWO1023).op('f64.mul'); ret(); });
    f.get(y).get(twopk).op('f64.mul'); ret();
  });
  f.get(y).get(twopk).op('f64.mul').f64(TWOM1000).op('f64.mul').set(out);
}

/**
 * The two lanes of an f64x2 whose |x| lie in [EXP_PAIR_MIN, EXP_PAIR_MAX] take one path of the C
 * code: the general reduction (|x| ≥ 1.5 ln2 by the high word's test, so k ≠ 0) with 2^k a normal
 * number (−1021 ≤ k ≤ 1023). Callers test that and give other values to the scalar exp.
 */
export const EXP_PAIR_MIN = bitsF64(0x3ff0a2b2, 0); // |x| ≥ this ⇔ hx ≥ 0x3FF0A2B2
export const EXP_PAIR_MAX = 707; // |k| ≤ trunc(707·invln2 + 0.5) = 1020

const PAIR_VALUES = { invln2: INV_LN2, half: 0.5, ln2hi: LN2_HI, ln2lo: LN2_LO, p1: P1, p2: P2, p3: P3, p4: P4, p5: P5, one: 1, two: 2 };

/** The v128 locals emitExpPair reads: its constants splatted, the sign mask, the exponent bias. */
export type ExpPairConstants = Record<keyof typeof PAIR_VALUES | 'sign' | 'bias', number>;

/** Locals holding emitExpPair's constants, set where this is emitted (at a function's start, outside its loops). */
export function expPairConstants(f: Fn): ExpPairConstants {
  const l = (v: number): number => {
    const i = f.local(T.v128);
    f.f64(v).op('f64x2.splat').set(i);
    return i;
  };
  const P = PAIR_VALUES;
  const c = { invln2: l(P.invln2), half: l(P.half), ln2hi: l(P.ln2hi), ln2lo: l(P.ln2lo), p1: l(P.p1), p2: l(P.p2), p3: l(P.p3), p4: l(P.p4),
    p5: l(P.p5), one: l(P.one), two: l(P.two), sign: f.local(T.v128), bias: f.local(T.v128) };
  f.v128([0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x80]).set(c.sign);
  f.v128([0xff, 0x03, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0, 0, 0, 0, 0, 0]).set(c.bias); // i64x2 0x3FF
  return c;
}

/**
 * Qs[v] = exp(Xs[v]) lane by lane, for lanes in the range above: the C code's operations of that
 * path in its order as f64x2 operations (IEEE per lane, never fused), so each lane is the scalar
 * exp's bits. k = (int)(invln2·x + ±0.5) by truncation, 2^k by its bits ((k + 0x3FF) << 52).
 * Several vectors are emitted step by step side by side: their long dependency chains (a
 * division among them) then overlap in the CPU.
 */
export function emitExpPairs(f: Fn, c: ExpPairConstants, Xs: readonly number[], Qs: readonly number[]): void {
  const { invln2, half, ln2hi, ln2lo, p1, p2, p3, p4, p5, one, two, sign, bias } = c;
  if (Xs.length !== Qs.length) throw new Error('emitExpPairs: one output per input');
  const vs = Xs.map((X, v) => ({ X, Q: Qs[v] ?? -1, K: f.local(T.v128), Tk: f.local(T.v128), HI: f.local(T.v128), LO: f.local(T.v128),
    R: f.local(T.v128), TT: f.local(T.v128), P: f.local(T.v128), C: f.local(T.v128) }));
  const each = (step: (v: (typeof vs)[number]) => void): void => { for (const v of vs) step(v); };
  // k = (int)(invln2·x + halF[xsb]) (halF: 0.5 with x's sign); t = k
  each(({ X, K, Tk }) => {
    f.get(invln2).get(X).op('f64x2.mul').get(half).get(X).get(sign).op('v128.and', 'v128.or', 'f64x2.add');
    f.op('i32x4.trunc_sat_f64x2_s_zero').tee(K).op('f64x2.convert_low_i32x4_s').set(Tk);
  });
  // hi = x − t·ln2HI; lo = t·ln2LO; x = hi − lo; t = x·x
  each(({ X, Tk, HI }) => f.get(X).get(Tk).get(ln2hi).op('f64x2.mul', 'f64x2.sub').set(HI));
  each(({ Tk, LO }) => f.get(Tk).get(ln2lo).op('f64x2.mul').set(LO));
  each(({ HI, LO, R, TT }) => f.get(HI).get(LO).op('f64x2.sub').tee(R).get(R).op('f64x2.mul').set(TT));
  // c = x − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5))))
  each(({ TT, P }) => f.get(TT).get(p5).op('f64x2.mul').get(p4).op('f64x2.add').set(P));
  for (const pk of [p3, p2, p1]) each(({ TT, P }) => f.get(TT).get(P).op('f64x2.mul').get(pk).op('f64x2.add').set(P));
  each(({ R, TT, P, C }) => f.get(R).get(TT).get(P).op('f64x2.mul', 'f64x2.sub').set(C));
  // y = one − ((lo − (x·c)/(2.0 − c)) − hi); y·2^k
  each(({ LO, R, C, HI, P }) => {
    f.get(one).get(LO).get(R).get(C).op('f64x2.mul').get(two).get(C).op('f64x2.sub', 'f64x2.div', 'f64x2.sub').get(HI).op('f64x2.sub', 'f64x2.sub').set(P);
  });
  each(({ K, P, Q }) => {
    f.get(P).get(K).op('i64x2.extend_low_i32x4_s').get(bias).op('i64x2.add').i32(52).op('i64x2.shl');
    f.op('f64x2.mul').set(Q);
  });
}

/**
 * Whether `exp` (the compiled expFn) gives Math.exp's bits on a fixed probe of this engine: edges
 * and 4096 spread inputs (an engine whose Math.exp is another algorithm, or fdlibm with fused
 * multiply-adds, differs on many of them). Callers that promise Math.exp's numbers check it first.
 */
export function expMatchesMathExp(exp: (x: number) => number): boolean {
  const xs = [0, -0, 1, -1, 2 ** -30, -(2 ** -30), 0.3, -0.3, 0.5, -0.5, 1.2, -1.2, 700, -700, -708.5, -720, -744, -746, 710, Infinity, -Infinity, NaN];
  for (let i = 0; i < 4096; i++) {
    const u = ((i * 2654435761) >>> 0) / 2 ** 32; // a fixed spread over [0, 1)
    xs.push(-745 * u, 1400 * u - 700, (u - 0.5) * 8);
  }
  return xs.every((x) => Object.is(exp(x), Math.exp(x)));
}
