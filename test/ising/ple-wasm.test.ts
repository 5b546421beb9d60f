import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { inferPLE, pleGradHess, setPLELanes, skParams, sampleExact } from '../../src/ising/index.js';
import type { Patterns, SpinData } from '../../src/ising/index.js';
import { createWasmPLELanes, enablePLELanes } from '../../src/ising/infer/ple-wasm.js';
import { inferPLEParallel } from '../../src/ising/infer/parallel.js';
import { at } from '../../src/util/checked.js';

/** The bytes of a Float64Array: equal bytes are equal bits (−0, NaN payloads included). */
const bits = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** k random patterns of n spins with positive non-integer weights (so rounding shows any change of order). */
function patterns(n: number, k: number, rng: Rng): Patterns {
  const s = Int8Array.from({ length: n * k }, () => rng.spin());
  const counts = Float64Array.from({ length: k }, () => 0.1 + 3 * rng.uniform());
  return { n, k, s, counts, total: counts.reduce((a, v) => a + v, 0) };
}

afterEach(() => setPLELanes(null));

describe('PLE four-row blocks in WebAssembly SIMD', () => {
  it('add bit for bit what the JavaScript loops add (gradient and Hessian; d = 1, odd and even, K not a multiple of 4, first, last and inner spin)', () => {
    const rng = new Rng(2026);
    for (const d of [1, 2, 3, 5, 8, 21, 60]) {
      for (const K of [1, 3, 4, 9, 30, 103]) {
        const pt = patterns(d, K, rng.fold('patterns', d * 1000 + K));
        for (const i of new Set([0, (K * 7) % d, d - 1])) {
          const h = Float64Array.from({ length: K }, () => 2 * rng.normal());
          // Start from nonzero sums: the kernel adds to what is there.
          const grad0 = Float64Array.from({ length: d }, () => rng.normal());
          const hess0 = Float64Array.from({ length: d * d }, () => rng.normal());
          const gJ = grad0.slice(), hJ = hess0.slice();
          pleGradHess(pt, i, h, gJ, hJ, new Float64Array(4 * d));
          const lanes = createWasmPLELanes(pt);
          expect(lanes).not.toBeNull();
          if (!lanes) return;
          lanes.grad.set(grad0);
          lanes.hess.set(hess0);
          pleGradHess(pt, i, h, lanes.grad, lanes.hess, new Float64Array(4 * d), lanes);
          expect(bits(lanes.grad)).toEqual(bits(gJ));
          expect(bits(lanes.hess)).toEqual(bits(hJ));
          // The lower triangle is not written (fitPLESpins mirrors the upper one).
          const lower = (x: Float64Array) => Float64Array.from({ length: d * d }, (_, e) => (e % d < Math.floor(e / d) ? x[e]! : 0));
          expect(bits(lower(lanes.hess))).toEqual(bits(lower(hess0)));
        }
      }
    }
  });

  it('refuse lanes that are not the grad and hess given, or were made for other patterns', () => {
    const pt = patterns(5, 9, new Rng(3));
    const lanes = createWasmPLELanes(pt);
    expect(lanes).not.toBeNull();
    expect(() => pleGradHess(pt, 0, new Float64Array(9), new Float64Array(5), new Float64Array(25), new Float64Array(20), lanes)).toThrow(/lanes/);
    if (!lanes) return;
    const other = { ...pt }; // made for other patterns
    expect(() => pleGradHess(other, 0, new Float64Array(9), lanes.grad, lanes.hess, new Float64Array(20), lanes)).toThrow(/lanes/);
  });

  it('whole PLE fits are identical with and without them (every float64 of b, w and the largest gradient)', async () => {
    const cases: [SpinData, Parameters<typeof inferPLE>[1]][] = [];
    for (const [n, m, seed] of [[8, 401, 1], [13, 1203, 2]] as const) {
      const rng = new Rng(seed);
      const data = sampleExact(skParams(n, 0.8, rng.fold('params', 0)), m, rng.fold('samples', 0));
      cases.push([data, {}]);
      const weights = Float64Array.from({ length: m }, () => 0.5 + rng.uniform());
      cases.push([data, { lambda: 0.01, weights }]);
    }
    for (const [data, opts] of cases) {
      setPLELanes(null);
      const js = inferPLE(data, opts);
      expect(enablePLELanes()).toBe(true); // Node ≥ 20 has WebAssembly SIMD
      const wasm = inferPLE(data, opts);
      expect(bits(wasm.params.b)).toEqual(bits(js.params.b));
      expect(bits(wasm.params.w)).toEqual(bits(js.params.w));
      expect(Object.is(wasm.diagnostics['gradMax'], js.diagnostics['gradMax'])).toBe(true);
      expect(wasm.diagnostics).toEqual(js.diagnostics);
    }
    // Two workers (which install the kernels themselves) against the JavaScript loops here.
    const [data, opts] = at(cases, 3, 'cases');
    setPLELanes(null);
    const js = inferPLE(data, opts);
    const par = await inferPLEParallel(data, { ...opts, threads: 2 });
    expect(bits(par.params.b)).toEqual(bits(js.params.b));
    expect(bits(par.params.w)).toEqual(bits(js.params.w));
  });
});
