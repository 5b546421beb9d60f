import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { compileSmallModule, Fn, T } from '../../src/tensor/backend/wasm/encoder.js';
import { EXP_CONSTANTS, EXP_PAIR_MAX, EXP_PAIR_MIN, emitExpPairs, expFn, expMatchesMathExp, expPairConstants } from '../../src/tensor/backend/wasm/exp.js';
import { at } from '../../src/util/checked.js';

function wasmExp(): (x: number) => number {
  const mod = compileSmallModule([expFn()]);
  if (!mod) throw new Error('exp module did not compile');
  const inst = new WebAssembly.Instance(mod, { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 1 }) } });
  return inst.exports['exp'] as (x: number) => number;
}

const view = new DataView(new ArrayBuffer(8));
/** The neighbouring double d ulps away (d = ±1), through the bits (finite x ≠ 0 of either sign). */
function ulp(x: number, d: number): number {
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + BigInt(x < 0 ? -d : d));
  return view.getFloat64(0);
}

/** Inputs where exp(x) differs from Math.exp(x) (Object.is), up to 20 of them, as [x, ours, Math.exp]. */
function differences(exp: (x: number) => number, xs: Iterable<number>): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const x of xs) {
    const a = exp(x), b = Math.exp(x);
    if (!Object.is(a, b) && out.length < 20) out.push([x, a, b]);
  }
  return out;
}

describe('exp in WebAssembly (fdlibm e_exp.c, as V8 ieee754.cc)', () => {
  const exp = wasmExp();

  it('has the C source\'s constants (decimal values there, bits here)', () => {
    const c = EXP_CONSTANTS;
    expect([c.O_THRESHOLD, c.U_THRESHOLD, c.LN2_HI, c.LN2_LO, c.INV_LN2]).toEqual([7.09782712893383973096e+02, -7.45133219101941108420e+02,
      6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.44269504088896338700e+00]);
    expect([c.P1, c.P2, c.P3, c.P4, c.P5]).toEqual([1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
      -1.65339022054652515390e-06, 4.13813679705723846039e-08]);
    expect([c.E, c.TWOM1000, c.TWO1023]).toEqual([Math.E, 2 ** -1000, 2 ** 1023]);
  });

  it('equals Math.exp (Object.is) at the edges: zeros, tiny, ±∞, NaN, thresholds, multiples of ln 2 ± 1 ulp, subnormal results', () => {
    const xs: number[] = [0, -0, 1, -1, Infinity, -Infinity, NaN, 5e-324, -5e-324, 2.2250738585072014e-308, -2.2250738585072014e-308,
      2 ** -28, -(2 ** -28), 2 ** -29, -(2 ** -29), 1e-300, -1e-300, 1.7976931348623157e308, -1.7976931348623157e308,
      EXP_CONSTANTS.O_THRESHOLD, EXP_CONSTANTS.U_THRESHOLD, 0.5 * Math.LN2, 1.5 * Math.LN2, -0.5 * Math.LN2, -1.5 * Math.LN2,
      -708.3964185322641, -708.4, -709.08956571282405, -744.4400719213812, -745, 709.782712893384, 710, -746, 1000, -1000];
    for (const x0 of xs.slice()) if (Number.isFinite(x0) && x0 !== 0) for (let d = 1; d <= 3; d++) xs.push(ulp(x0, d), ulp(x0, -d));
    // k·ln2 (and its neighbours) for every k that reaches 2^k from the subnormals to overflow.
    for (let k = -1080; k <= 1030; k++) {
      const x = k * Math.LN2;
      xs.push(x, (k + 0.5) * Math.LN2);
      if (x !== 0) for (let d = 1; d <= 2; d++) xs.push(ulp(x, d), ulp(x, -d));
    }
    expect(xs.length).toBeGreaterThan(10000);
    expect(differences(exp, xs)).toEqual([]);
  });

  it('equals Math.exp (Object.is) on 1.6·10⁶ seeded random inputs: [−745.2, 0] (enumerate\'s range), the whole domain, tiny magnitudes, any bits', () => {
    const rng = new Rng(20261129);
    function* inputs(): Generator<number> {
      for (let i = 0; i < 1_000_000; i++) yield -745.2 * rng.uniform();
      for (let i = 0; i < 300_000; i++) yield 1500 * rng.uniform() - 750;
      for (let i = 0; i < 150_000; i++) yield (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (-60 + 62 * rng.uniform());
      for (let i = 0; i < 150_000; i++) {
        view.setUint32(0, Math.floor(rng.uniform() * 2 ** 32));
        view.setUint32(4, Math.floor(rng.uniform() * 2 ** 32));
        yield view.getFloat64(0);
      }
    }
    expect(differences(exp, inputs())).toEqual([]);
  });
});

describe('expMatchesMathExp (the probe callers run before trusting the port)', () => {
  it('accepts the port on this engine and refuses a function that differs on some inputs', () => {
    const exp = wasmExp();
    expect(expMatchesMathExp(exp)).toBe(true);
    expect(expMatchesMathExp((x) => (x < -700 ? Math.exp(x) * (1 + 2 ** -52) : Math.exp(x)))).toBe(false);
  });
});

describe('exp of f64x2 pairs (emitExpPairs: the general path, lane by lane)', () => {
  it('equals Math.exp (Object.is) for |x| in [EXP_PAIR_MIN, EXP_PAIR_MAX]: the ends ± ulps, multiples of ln 2, 4·10⁵ random, both signs, in every lane', () => {
    const f = new Fn('pairs', [T.i32, T.i32]); // (xs, n): exp of n pairs of pairs in place
    const [xs, n] = [0, 1];
    const X = [f.local(T.v128), f.local(T.v128)], Q = [f.local(T.v128), f.local(T.v128)], i = f.local(T.i32);
    const c = expPairConstants(f);
    f.for(i, 0, () => f.get(n), 1, () => {
      f.get(xs).mem('v128.load').set(at(X, 0, 'X'));
      f.get(xs).mem('v128.load', 16).set(at(X, 1, 'X'));
      emitExpPairs(f, c, X, Q);
      f.get(xs).get(at(Q, 0, 'Q')).mem('v128.store');
      f.get(xs).get(at(Q, 1, 'Q')).mem('v128.store', 16);
      f.inc(xs, 32);
    });
    const mod = compileSmallModule([f]);
    expect(mod).not.toBeNull();
    if (!mod) return;
    const xsIn: number[] = [];
    for (const e of [EXP_PAIR_MIN, EXP_PAIR_MAX]) for (let d = -3; d <= 3; d++) {
      const x = d === 0 ? e : ulp(e, d);
      if (x >= EXP_PAIR_MIN && x <= EXP_PAIR_MAX) xsIn.push(x, -x);
    }
    for (let k = 2; k <= 1020; k++) for (const x of [k * Math.LN2, (k + 0.5) * Math.LN2, ulp((k + 0.5) * Math.LN2, 1), ulp((k + 0.5) * Math.LN2, -1)]) {
      if (x >= EXP_PAIR_MIN && x <= EXP_PAIR_MAX) xsIn.push(x, -x);
    }
    const rng = new Rng(77);
    for (let r = 0; r < 400_000; r++) xsIn.push((rng.uniform() < 0.5 ? -1 : 1) * (EXP_PAIR_MIN + (EXP_PAIR_MAX - EXP_PAIR_MIN) * rng.uniform()));
    while (xsIn.length % 4 !== 0) xsIn.push(-EXP_PAIR_MIN);
    const memory = new WebAssembly.Memory({ initial: Math.ceil((xsIn.length * 8) / 65536), maximum: Math.ceil((xsIn.length * 8) / 65536) });
    const run = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports['pairs'] as (xs: number, n: number) => void;
    const buf = new Float64Array(memory.buffer, 0, xsIn.length);
    buf.set(xsIn);
    run(0, xsIn.length / 4);
    const bad: [number, number, number][] = [];
    xsIn.forEach((x, j) => { if (!Object.is(buf[j], Math.exp(x)) && bad.length < 20) bad.push([x, buf[j] ?? NaN, Math.exp(x)]); });
    expect(bad).toEqual([]);
  });
});
