// The optimisation step's own loops on buffers resident in the backend's memory (the compiled
// training step, diffusion/trainplan.ts): clipGradNorm's sum of squares and scaling
// (nn/clip.ts), each with the JS loop's operations in its order, so the results are bit-identical
// to it. Adam's update, and the EMA's with it, is wasm/adam.ts.
import { Fn, T } from './encoder.js';

/**
 * sumSqF32(x, n, acc) → acc + Σ x[i]² over n float32 elements, each square and sum in float64,
 * one running double in element order (clipGradNorm's `sq += g[i] * g[i]`; serial on purpose:
 * splitting or reassociating it would change the last bits).
 */
function emitSumSq(): Fn {
  const f = new Fn('sumSqF32', [T.i32, T.i32, T.f64], [T.f64]);
  const [x, n, acc] = [0, 1, 2];
  const i = f.local(T.i32), g = f.local(T.f64);
  f.for(i, 0, () => f.get(n), 1, () => {
    f.get(x).mem('f32.load').op('f64.promote_f32').set(g);
    f.get(acc).get(g).get(g).op('f64.mul', 'f64.add').set(acc);
    f.inc(x, 4);
  });
  f.get(acc);
  return f;
}

/**
 * sumSqAnyF32(x, npairs) → Σ x[i]² over 2·npairs float32 elements, squares and sums in float64
 * but in no particular order (eight running sums: four f64x2): several times faster than
 * sumSqF32's one serial chain; it and sumSqF32's sum each lie within ≈ (2·npairs)·2⁻⁵³ relative
 * of the exact sum (all terms are ≥ 0), so within about twice that of each other.
 * Only for decisions that hold on that whole interval (nn/clip.ts clipSurelyIdle).
 */
function emitSumSqAny(): Fn {
  const f = new Fn('sumSqAnyF32', [T.i32, T.i32], [T.f64]);
  const [x, np] = [0, 1];
  const i = f.local(T.i32), main = f.local(T.i32), g = f.local(T.v128);
  const acc = [f.local(T.v128), f.local(T.v128), f.local(T.v128), f.local(T.v128)] as const;
  const pair = (a: number, off: number): void => {
    f.get(x).mem('v128.load64_zero', off).op('f64x2.promote_low_f32x4').set(g);
    f.get(a).get(g).get(g).op('f64x2.mul', 'f64x2.add').set(a);
  };
  f.get(np).i32(-4).op('i32.and').set(main);
  f.for(i, 0, () => f.get(main), 4, () => {
    acc.forEach((a, u) => pair(a, 8 * u));
    f.inc(x, 32);
  });
  f.for(i, () => f.get(main), () => f.get(np), 1, () => {
    pair(acc[0], 0);
    f.inc(x, 8);
  });
  f.get(acc[0]).get(acc[1]).op('f64x2.add').get(acc[2]).get(acc[3]).op('f64x2.add', 'f64x2.add').set(g);
  f.get(g).op('f64x2.extract_lane0').get(g).op('f64x2.extract_lane1', 'f64.add');
  return f;
}

/**
 * scaleF32(x, npairs, h): x[i] ← f32(x[i]·coef) on 2·npairs float32 elements, coef the float64 at
 * h — the product in float64 rounded once on the store, as `g[i] = g[i] * coef` on a Float32Array.
 */
function emitScale(): Fn {
  const f = new Fn('scaleF32', [T.i32, T.i32, T.i32]);
  const [x, np, h] = [0, 1, 2];
  const i = f.local(T.i32), c = f.local(T.v128);
  f.get(h).mem('f64.load').op('f64x2.splat').set(c);
  f.for(i, 0, () => f.get(np), 1, () => {
    f.get(x);
    f.get(x).mem('v128.load64_zero').op('f64x2.promote_low_f32x4').get(c).op('f64x2.mul', 'f32x4.demote_f64x2_zero');
    f.mem('v128.store64_lane0');
    f.inc(x, 8);
  });
  return f;
}

/** The update kernels of the resident training step. */
export function emitUpdateFunctions(): Fn[] {
  return [emitSumSq(), emitSumSqAny(), emitScale()];
}
