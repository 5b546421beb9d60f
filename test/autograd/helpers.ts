import fc from 'fast-check';
import { Rng, Tensor, tensor } from '../../src/internals.js';

/** A float64 tensor with entries uniform in [lo, hi), from a seed. */
export function rt(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = new Rng(seed);
  let n = 1;
  for (const d of shape) n *= d;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng.uniform();
  return tensor(v, { dtype: 'float64', shape });
}

/** Entries with |x| in [lo, hi) and random sign (keeps away from kinks and poles at 0). */
export function rtAway(shape: readonly number[], seed: number, lo: number, hi: number): Tensor {
  const t = rt(shape, seed, lo, hi);
  const rng = new Rng(seed + 1);
  for (let i = 0; i < t.size; i++) if (rng.uniform() < 0.5) t.data[i] = -t.data[i]!;
  return t;
}

export const seedArb = fc.integer({ min: 1, max: 2 ** 30 });
export const shapeArb = (maxDims = 3, maxSize = 4) => fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: 0, maxLength: maxDims });

/** A pair of shapes that broadcast together (numpy rules): each operand keeps or squeezes each axis, and may drop leading axes. */
export const broadcastPairArb = fc
  .tuple(shapeArb(3, 4), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
  .map(([out, ma, mb, da, db]) => {
    const a = out.map((d, i) => (ma[i] ? 1 : d)).slice(Math.min(da, out.length));
    const b = out.map((d, i) => (mb[i] ? 1 : d)).slice(Math.min(db, out.length));
    return { a, b };
  });

export const RUNS = { numRuns: 25, seed: 20250301 };
