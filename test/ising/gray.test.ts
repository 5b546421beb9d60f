import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ctz, grayEnergies } from '../../src/ising/gray.js';

describe('grayEnergies (the shared Gray-code walk)', () => {
  it('equals the directly summed energy of every state', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2 ** 31 }), (k, seed) => {
      let r = seed;
      const u = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
      const f = Array.from({ length: k }, u);
      const W = new Float64Array(k * k);
      for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) W[i * k + j] = W[j * k + i] = u();
      const e = grayEnergies(k, f, W);
      for (let x = 0; x < 2 ** k; x++) {
        const s = Array.from({ length: k }, (_, i) => ((x >> i) & 1 ? 1 : -1));
        let direct = 0;
        for (let i = 0; i < k; i++) {
          direct -= f[i]! * s[i]!;
          for (let j = i + 1; j < k; j++) direct -= W[i * k + j]! * s[i]! * s[j]!;
        }
        expect(Math.abs(e[x]! - direct)).toBeLessThan(1e-12);
      }
    }), { seed: 7, numRuns: 40 });
  });

  it('ctz is the flipped bit, and the walk visits the Gray code t ^ (t >> 1)', () => {
    let x = 0;
    for (let t = 1; t < 1024; t++) {
      x ^= 1 << ctz(t);
      expect(x).toBe(t ^ (t >>> 1));
    }
  });
});
