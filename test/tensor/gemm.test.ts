// The tiled GEMM against the plain triple-loop oracle (gemmReference), in float64, for all
// transpose flags, odd sizes, ragged edges and the cache-block boundaries of the kernel.
import { describe, expect, test } from 'vitest';
import { jsBackend, gemmReference, Rng, tensor } from '../../src/internals.js';
import { matmul } from '../../src/internals.js';

function randArray(n: number, rng: Rng): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform() * 2 - 1;
  return x;
}

function maxRelDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let scale = 1e-300, d = 0;
  for (let i = 0; i < x.length; i++) { scale = Math.max(scale, Math.abs(y[i]!)); d = Math.max(d, Math.abs(x[i]! - y[i]!)); }
  return d / scale;
}

const FLAGS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('jsBackend.gemm (register-tiled) vs gemmReference', () => {
  const sizes = [1, 3, 17, 65];
  for (const [ta, tb] of FLAGS) {
    test(`all m, n, k in {1, 3, 17, 65}, transA=${ta}, transB=${tb}`, () => {
      const rng = new Rng(7);
      for (const m of sizes) for (const n of sizes) for (const k of sizes) {
        const a = randArray(m * k, rng), b = randArray(k * n, rng);
        const c0 = randArray(m * n, rng);
        const want = c0.slice(), got = c0.slice();
        gemmReference(ta, tb, m, n, k, a, b, want, 0.75, -0.5);
        jsBackend.gemm(ta, tb, m, n, k, a, b, got, 0.75, -0.5);
        expect(maxRelDiff(got, want), `m=${m} n=${n} k=${k}`).toBeLessThan(1e-13);
      }
    });
  }

  test('block boundaries: k > 256 (k-blocks accumulate), m > 128, n > 2048, ragged edges', () => {
    const rng = new Rng(11);
    for (const [m, n, k] of [[130, 9, 300], [7, 2051, 5], [129, 131, 257], [4, 8, 513]] as const) {
      for (const [ta, tb] of FLAGS) {
        const a = randArray(m * k, rng), b = randArray(k * n, rng);
        const want = randArray(m * n, rng), got = want.slice();
        gemmReference(ta, tb, m, n, k, a, b, want, 1, 1);
        jsBackend.gemm(ta, tb, m, n, k, a, b, got, 1, 1);
        expect(maxRelDiff(got, want), `m=${m} n=${n} k=${k} ta=${ta} tb=${tb}`).toBeLessThan(1e-12);
      }
    }
  });

  test('beta = 0 does not read C (NaN in C does not propagate); k = 0 gives beta·C', () => {
    const rng = new Rng(3);
    const a = randArray(20 * 30, rng), b = randArray(30 * 40, rng);
    const c = new Float64Array(20 * 40).fill(NaN);
    jsBackend.gemm(false, false, 20, 40, 30, a, b, c, 1, 0);
    expect(c.every(Number.isFinite)).toBe(true);
    const c2 = new Float64Array([1, 2, 3, 4]);
    jsBackend.gemm(false, false, 2, 2, 0, new Float64Array(0), new Float64Array(0), c2, 1, 2);
    expect(Array.from(c2)).toEqual([2, 4, 6, 8]);
  });

  test('float32 storage: result within float32 rounding of the float64 oracle', () => {
    const rng = new Rng(5);
    const m = 67, n = 45, k = 130;
    const a64 = randArray(m * k, rng), b64 = randArray(k * n, rng);
    const a = Float32Array.from(a64), b = Float32Array.from(b64);
    const want = new Float64Array(m * n), got = new Float32Array(m * n);
    gemmReference(false, true, m, n, k, a, b, want, 1, 0);
    jsBackend.gemm(false, true, m, n, k, a, b, got, 1, 0);
    expect(maxRelDiff(got, want)).toBeLessThan(1e-6);
  });

  test('rejects arrays too short for the stated sizes', () => {
    expect(() => jsBackend.gemm(false, false, 3, 3, 3, new Float64Array(8), new Float64Array(9), new Float64Array(9), 1, 0)).toThrow(/too short/);
    // the oracle too: a short operand is an error, not NaN in the expected values
    expect(() => gemmReference(false, false, 3, 3, 3, new Float64Array(9), new Float64Array(8), new Float64Array(9), 1, 0)).toThrow(/needs 9, 9 and 9 values/);
  });
});

describe('matmul through autograd vs gemmReference', () => {
  test('all transpose flags, odd sizes', () => {
    const rng = new Rng(9);
    for (const [m, n, k] of [[1, 1, 1], [3, 17, 65], [65, 3, 17], [17, 65, 3], [33, 9, 70]] as const) {
      for (const [ta, tb] of FLAGS) {
        const a = tensor(randArray(m * k, rng), { dtype: 'float64', shape: ta ? [k, m] : [m, k] });
        const b = tensor(randArray(k * n, rng), { dtype: 'float64', shape: tb ? [n, k] : [k, n] });
        const want = new Float64Array(m * n);
        gemmReference(ta, tb, m, n, k, a.data, b.data, want, 1, 0);
        const got = matmul(a, b, ta, tb);
        expect(got.shape).toEqual([m, n]);
        expect(maxRelDiff(got.data, want)).toBeLessThan(1e-13);
      }
    }
  });
});
