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
  const x = 0;
  const bits = f.local(T.i64);
  const hx = f.local(T.i32), xsb = f.local(T.i32), k = f.local(T.i32);
  const hi = f.local(T.f64), lo = f.local(T.f64), t = f.local(T.f64), c = f.local(T.f64), y = f.local(T.f64), twopk = f.local(T.f64);
  const ret = (): void => { f.op('return'); };
  // GET_HIGH_WORD(hx, x); xsb = sign bit; hx = high word of |x|
  f.get(x).op('i64.reinterpret_f64').tee(bits).i32(32).op('i64.extend_i32_u', 'i64.shr_u', 'i32.wrap_i64').tee(hx);
  f.i32(31).op('i32.shr_u').set(xsb);
  f.get(hx).i32(0x7fffffff).op('i32.and').set(hx);
  // filter out non-finite argument
  f.get(hx).i32(0x40862e42).op('i32.ge_u').if(() => {
    f.get(hx).i32(0x7ff00000).op('i32.ge_u').if(() => {
      f.get(hx).i32(0xfffff).op('i32.and').get(bits).op('i32.wrap_i64', 'i32.or').if(() => {
        f.get(x).get(x).op('f64.add'); ret(); // NaN
      });
      f.get(xsb).op('i32.eqz').if(() => { f.get(x); ret(); }, () => { f.f64(0); ret(); }); // exp(±inf) = {inf, 0}
    });
    f.get(x).f64(O_THRESHOLD).op('f64.gt').if(() => { f.f64(Infinity); ret(); }); // huge·huge
    f.get(x).f64(U_THRESHOLD).op('f64.lt').if(() => { f.f64(0); ret(); }); // twom1000·twom1000
  });
  // argument reduction
  f.get(hx).i32(0x3fd62e42).op('i32.gt_u').if(() => { // |x| > 0.5 ln2
    f.get(hx).i32(0x3ff0a2b2).op('i32.lt_u').if(() => { // and |x| < 1.5 ln2
      f.get(x).f64(1).op('f64.eq').if(() => { f.f64(E); ret(); });
      f.get(xsb).op('i32.eqz').if(() => {
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
    f.get(hx).i32(0x3e300000).op('i32.lt_u').if(() => { // |x| < 2^−28: huge + x > one always holds
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
  f.get(k).op('i32.eqz').if(() => {
    // one − ((x·c)/(c − 2.0) − x)
    f.f64(1).get(x).get(c).op('f64.mul').get(c).f64(2).op('f64.sub', 'f64.div').get(x).op('f64.sub', 'f64.sub');
    ret();
  });
  // y = one − ((lo − (x·c)/(2.0 − c)) − hi)
  f.f64(1).get(lo).get(x).get(c).op('f64.mul').f64(2).get(c).op('f64.sub', 'f64.div', 'f64.sub').get(hi).op('f64.sub', 'f64.sub').set(y);
  f.get(k).i32(-1021).op('i32.ge_s').if(() => {
    f.get(k).i32(1024).op('i32.eq').if(() => { f.get(y).f64(2).op('f64.mul').f64(TWO1023).op('f64.mul'); ret(); });
    f.get(y).get(twopk).op('f64.mul'); ret();
  });
  f.get(y).get(twopk).op('f64.mul').f64(TWOM1000).op('f64.mul');
  return f;
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
