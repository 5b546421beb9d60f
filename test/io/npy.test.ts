import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';

const fx = (f: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url))));
const A = [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, -1];

describe('.npy (fixtures written by NumPy)', () => {
  for (const f of ['spins_i1.npy', 'spins_f8_fortran.npy', 'spins_be_i4.npy']) {
    it(`reads ${f}`, () => {
      const d = parseNpy(fx(f), f);
      expect([d.m, d.n, d.from01]).toEqual([3, 4, false]);
      expect(Array.from(d.s)).toEqual(A);
    });
  }
  it('reads bool arrays as 0/1', () => {
    const d = parseNpy(fx('spins_bool.npy'));
    expect(d.from01).toBe(true);
    expect(Array.from(d.s)).toEqual(A);
  });
  it('refuses a 1-D array (one sample, or samples of one spin?) with the reshape to use', () => {
    expect(() => parseNpy(fx('spins_1d_f4.npy'), 'v.npy')).toThrow(/v\.npy: a 1-D array of 4 values; expected 2-D .*reshape\(1, -1\)/);
  });
  it('names the bad entry or shape', () => {
    expect(() => parseNpy(fx('bad_value.npy'), 'bad_value.npy')).toThrow('bad_value.npy: sample 2, spin 1: expected -1, 1 (or 0/1), got 3');
    expect(() => parseNpy(fx('bad_3d.npy'), 'bad_3d.npy')).toThrow(/bad_3d\.npy: expected a 2-D array/);
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow('x.npy: not a .npy file (bad magic bytes)');
    expect(() => parseNpy(fx('spins_i1.npy').subarray(0, 130), 'cut.npy')).toThrow(/cut\.npy: file too short/);
    // Versions 2 and 3 have a 4-byte header length: 10 or 11 bytes cut it (found by the reader fuzzing).
    for (const major of [2, 3]) for (const len of [10, 11]) {
      expect(() => parseNpy(Uint8Array.from([147, 78, 85, 77, 80, 89, major, 0, 118, 0, 123]).subarray(0, len), 'v2.npy')).toThrow('v2.npy: truncated header');
    }
  });
  it('our int8 writer matches NumPy byte for byte and round-trips', () => {
    expect(Array.from(encodeNpy({ n: 4, m: 3, s: Int8Array.from(A) }))).toEqual(Array.from(fx('spins_i1.npy')));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 30 }), (n, m) => {
        const s = Int8Array.from({ length: n * m }, (_, k) => ((k * 7919) % 3 === 0 ? 1 : -1));
        const d = parseNpy(encodeNpy({ n, m, s }));
        expect(Array.from(d.s)).toEqual(Array.from(s));
      }),
    );
  });
});
