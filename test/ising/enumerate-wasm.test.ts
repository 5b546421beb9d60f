import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { enumerate, setEnumerateWalk, skParams } from '../../src/ising/index.js';
import type { Enumeration, IsingParams } from '../../src/ising/index.js';
import { createWasmWalk, enableEnumerateWasm } from '../../src/ising/enumerate-wasm.js';
import { enumerateReference } from './enumerate-reference.js';
import { grayEnergies } from '../../src/ising/gray.js';

/** Every number of an enumeration, in a fixed order. */
const numbers = (e: Enumeration): number[] => [e.n, e.logZ, e.entropy, e.energyMean, e.energyVar, e.energyMin, ...e.mean, ...e.corr];

/** The first field where two enumerations differ (Object.is), or null. */
function firstDifference(got: Enumeration, want: Enumeration): [number, number, number] | null {
  const a = numbers(got), b = numbers(want);
  if (a.length !== b.length) return [-1, a.length, b.length];
  for (let k = 0; k < b.length; k++) if (!Object.is(a[k], b[k])) return [k, a[k] ?? NaN, b[k] ?? NaN];
  return null;
}

/** enumerate with its JavaScript loops, then with the WebAssembly walk: the first difference, or null. */
function jsVsWasm(p: IsingParams): [number, number, number] | null {
  setEnumerateWalk(null);
  const js = enumerate(p);
  expect(enableEnumerateWasm()).toBe(true);
  const wasm = enumerate(p);
  setEnumerateWalk(null);
  return firstDifference(wasm, js);
}

afterEach(() => setEnumerateWalk(null));

describe('enumerate\'s inner walk in WebAssembly', () => {
  it('gives the JavaScript walk\'s numbers bit for bit (every field; n = 1..20; g = 0.1, 1, 3)', () => {
    for (let n = 1; n <= 20; n++) {
      for (const g of [0.1, 1, 3]) {
        const p = skParams(n, g, new Rng(7000 + 100 * n + 10 * g));
        expect([n, g, jsVsWasm(p)]).toEqual([n, g, null]);
      }
    }
  });

  it('and with fields only, with no parameters at all, and where most weights underflow to subnormals and zero', () => {
    const rng = new Rng(99);
    const hugeCases: IsingParams[] = [];
    for (const n of [1, 2, 5, 9, 14, 17]) {
      const fields = { n, b: Float64Array.from({ length: n }, () => 2 * rng.normal()), w: new Float64Array(n * n) };
      expect([n, 'fields', jsVsWasm(fields)]).toEqual([n, 'fields', null]);
      expect([n, 'zero', jsVsWasm({ n, b: new Float64Array(n), w: new Float64Array(n * n) })]).toEqual([n, 'zero', null]);
      // g = 300: energy gaps of hundreds, so exp(−de) is subnormal (de in 708–745) or 0 for most states.
      const huge = skParams(n, 300, rng.fold('huge', n));
      hugeCases.push(huge);
      expect([n, 'huge', jsVsWasm(huge)]).toEqual([n, 'huge', null]);
    }
    // Some states of the n = 17 case have subnormal weights, some zero (so the test covers both).
    const p = hugeCases.at(-1);
    expect(p?.n).toBe(17);
    if (!p) return;
    const E = grayEnergies(p.n, p.b, p.w);
    const emin = E.reduce((m, v) => Math.min(m, v), Infinity);
    const de = Array.from(E, (e) => e - emin);
    expect(de.some((d) => d > 708.4 && d < 745.1)).toBe(true);
    expect(de.some((d) => d > 745.2)).toBe(true);
  });

  it('gives the JavaScript walk\'s numbers at n = 22 and 23 (outer blocks of 2^11 states, progress reports)', () => {
    for (const n of [22, 23]) {
      const p = skParams(n, 1, new Rng(n));
      expect([n, jsVsWasm(p)]).toEqual([n, null]);
    }
  });

  it('an enumeration started from another\'s onProgress gets its own memory (both results unchanged)', () => {
    const outer = skParams(22, 1, new Rng(1)), inner = skParams(21, 1, new Rng(2)); // both na = 11
    setEnumerateWalk(null);
    const wantOuter = enumerate(outer), wantInner = enumerate(inner);
    enableEnumerateWasm();
    let innerGot: Enumeration | null = null;
    const got = enumerate(outer, { onProgress: () => { innerGot ??= enumerate(inner); } });
    expect(innerGot).not.toBeNull();
    if (!innerGot) return;
    expect(firstDifference(got, wantOuter)).toBeNull();
    expect(firstDifference(innerGot, wantInner)).toBeNull();
  });

  it('the JavaScript walk (nothing installed) still equals the plain walk, the oracle', () => {
    setEnumerateWalk(null);
    for (const n of [1, 3, 8, 13]) {
      const p = skParams(n, 1, new Rng(n));
      expect(firstDifference(enumerate(p), enumerateReference(p))).toBeNull();
    }
  });

  it('refuses a walk made for another block size', () => {
    setEnumerateWalk(() => createWasmWalk(4));
    expect(() => enumerate(skParams(10, 1, new Rng(1)))).toThrow(/not made for 5 spins/);
    expect(createWasmWalk(0)).toBeNull();
    expect(createWasmWalk(16)).toBeNull();
  });
});
