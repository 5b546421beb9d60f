// Backend kernels (the JS spec) against direct index arithmetic, and erf against series oracles.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  jsBackend, erf, erfc, geluScalar, normalCdf, broadcastShapes, elementwise, reduceSum, sumTo, expandTo, tensor, Tensor, Rng,
} from '../../src/internals.js';
import { shapeArb, broadcastPairArb, seedArb, rt, RUNS } from '../autograd/helpers.js';

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]!; i = Math.floor(i / shape[d]!); }
  return idx;
}
/** Flat index into `shape` of the broadcast multi-index `idx` of a larger shape. */
function ravelBroadcast(idx: number[], shape: readonly number[]): number {
  const off = idx.length - shape.length;
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + (shape[d] === 1 ? 0 : idx[d + off]!);
  return f;
}

describe('binary kernel (numpy broadcasting)', () => {
  test('every op against explicit multi-index arithmetic', () => {
    fc.assert(fc.property(broadcastPairArb, seedArb, fc.constantFrom('add', 'sub', 'mul', 'div') , ({ a, b }, s, op) => {
      const A = rt(a, s), B = rt(b, s + 1, 0.5, 2);
      const out = elementwise(op, A, B);
      const shape = broadcastShapes(a, b);
      expect(out.shape).toEqual(shape);
      for (let i = 0; i < out.size; i++) {
        const idx = unravel(i, shape);
        const x = A.data[ravelBroadcast(idx, a)]!, y = B.data[ravelBroadcast(idx, b)]!;
        const want = op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : x / y;
        expect(out.data[i]).toBe(want);
      }
    }), { ...RUNS, numRuns: 60 });
  });

  test('strides shorter than the shape are refused (they used to read undefined as NaN)', () => {
    const x = new Float64Array(6), out = new Float64Array(6);
    expect(() => jsBackend.binary('add', [2, 3], x, [3], x, [3, 1], out)).toThrow(RangeError);
    expect(() => jsBackend.sumTo([2, 3], x, [1], out)).toThrow(RangeError);
  });
});

describe('sumTo / reduceSum', () => {
  test('sumTo is the adjoint of expandTo: <expand(y), x> = <y, sumTo(x)>', () => {
    fc.assert(fc.property(broadcastPairArb, seedArb, ({ a, b }, s) => {
      const big = broadcastShapes(a, b);
      const x = rt(big, s), y = rt(a, s + 1);
      const dot = (u: Tensor, v: Tensor): number => { let t = 0; for (let i = 0; i < u.size; i++) t += u.data[i]! * v.data[i]!; return t; };
      const lhs = dot(expandTo(y, big), x);
      const rhs = dot(sumTo(x, a), y);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
    }), { ...RUNS, numRuns: 60 });
  });
  test('reduceSum over explicit axes against a direct loop', () => {
    fc.assert(fc.property(shapeArb(4, 3), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), seedArb, (sh, mask, s) => {
      const axes = sh.map((_, i) => i).filter((i) => mask[i]);
      const x = rt(sh, s);
      const out = reduceSum(x, axes, true);
      const want = new Float64Array(out.size);
      for (let i = 0; i < x.size; i++) want[ravelBroadcast(unravel(i, sh), out.shape)]! += x.data[i]!;
      for (let i = 0; i < out.size; i++) expect(out.data[i]).toBeCloseTo(want[i]!, 13);
    }), { ...RUNS, numRuns: 60 });
  });
  test('column sums of a float32 matrix accumulate in float64', () => {
    const n = 100_000;
    const x = new Float32Array(n).fill(0.1);
    const out = new Float32Array(1);
    jsBackend.sumTo([n, 1], x, [0, 1], out);
    expect(Math.abs(out[0]! - n * Math.fround(0.1))).toBeLessThan(1e-2);
  });
});

describe('unary kernels and axpy', () => {
  test('gelu backward from the stored float32 output matches Φ(x) + x·φ(x) in float64', () => {
    const n = 4001;
    const x = Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 1));
    const y = new Float32Array(n), g = new Float32Array(n).fill(1), out = new Float32Array(n);
    jsBackend.unary('gelu', x, y);
    jsBackend.unaryGrad('gelu', x, y, g, out);
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const cdf = normalCdf(v), xpdf = (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);
      // float32 rounding of each term (they cancel near x ≈ −0.75, where GELU' = 0)
      expect(Math.abs(out[i]! - (cdf + xpdf))).toBeLessThanOrEqual(3e-7 * (cdf + Math.abs(xpdf)) + 1e-30);
      expect(Math.abs(y[i]! - v * normalCdf(v))).toBeLessThanOrEqual(6e-8 * Math.abs(v * normalCdf(v)) + 1e-44);
    }
  });
  test('unaryGrad writes in place into g when out aliases g', () => {
    const x = Float64Array.from([0.5, -0.25]), y = new Float64Array(2), g = Float64Array.from([1, 2]);
    jsBackend.unary('sin', x, y);
    jsBackend.unaryGrad('sin', x, y, g, g);
    expect(g[0]).toBe(Math.cos(0.5));
    expect(g[1]).toBe(2 * Math.cos(-0.25));
  });
  test('axpy', () => {
    const y = Float64Array.from([1, 2, 3]);
    jsBackend.axpy(2, Float64Array.from([1, 1, 1]), y);
    expect(Array.from(y)).toEqual([3, 4, 5]);
    expect(() => jsBackend.axpy(1, new Float64Array(2), y)).toThrow(/lengths differ/);
  });
});

/** erf by its everywhere-positive series erf(x) = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1)) (no cancellation). */
function erfSeries(x: number): number {
  let term = x, s = x;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    s += term;
    if (term < 1e-18 * s) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * s;
}
/** erfc by its continued fraction (x ≥ 2), evaluated backwards from a deep tail. */
function erfcContinuedFraction(x: number): number {
  let f = 0;
  for (let k = 300; k >= 1; k--) f = (k / 2) / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}

describe('erf, erfc, GELU in float64', () => {
  test('erf matches the positive series to ~1e-15 on [0, 5]', () => {
    let worst = 0;
    for (let x = 0.001; x <= 5; x += 0.00731) {
      const want = erfSeries(x);
      worst = Math.max(worst, Math.abs(erf(x) - want) / want);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(worst).toBeLessThan(2e-15);
  });
  test('erfc keeps relative precision in the tail (x up to 26)', () => {
    let worst = 0;
    // x on a 1/64 grid so that x² is exact and the oracle's e^{−x²} is correctly rounded
    for (let x = 2; x <= 26; x += 5 / 64) worst = Math.max(worst, Math.abs(erfc(x) - erfcContinuedFraction(x)) / erfcContinuedFraction(x));
    expect(worst).toBeLessThan(5e-15);
    for (let x = -3; x <= 3; x += 0.01) expect(Math.abs(erfc(x) - (1 - erf(x)))).toBeLessThan(3e-16 * 2);
  });
  test('Φ and GELU reference values; GELU(−x) = GELU(x) − x', () => {
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(-10) - 7.619853024160527e-24) / 7.619853024160527e-24).toBeLessThan(1e-13);
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const x = rng.normal() * 3;
      expect(Math.abs(geluScalar(-x) - (geluScalar(x) - x))).toBeLessThan(1e-14 * Math.max(1, Math.abs(x)));
    }
  });
});

test('tensor helpers keep dtype and shape', () => {
  const t: Tensor = tensor([[1, 2], [3, 4]]);
  expect(reduceSum(t, 0).dtype).toBe('float32');
  expect(Array.from(reduceSum(t, 0).data)).toEqual([4, 6]);
});
