// Adam's plain update (no L2 term, no amsgrad; nn/optim/adam.ts) in wasm: float64 moments
// resident in the backend's memory, two lanes at a time (f64x2), with the JS loop's operations in
// the JS loop's order — so parameters and moments come out bit-identical to it. The JS loop is
// bound by its scalar square root and divisions; this runs ~3× faster on one thread, and the
// threads backend splits it further.
import { Fn, T } from './encoder.js';
import type { OperandArena } from './arena.js';
import type { PlanResidence } from './plan.js';
import type { AdamHyper, AdamKernel } from '../types.js';
import { at } from '../../../util/checked.js';

/** Hyper-parameters as f64 at the `h` pointer, in this order. */
const HYPER = ['decay', 'w1', 'b2', 'c2', 'stepSize', 'bc2Sqrt', 'eps'] as const;
export const ADAM_HYPER_BYTES = 8 * HYPER.length;

/** adamEma's constants: Adam's, then the EMA's d and 1 − d. */
export const ADAM_EMA_HYPER_BYTES = ADAM_HYPER_BYTES + 16;

/**
 * Store the hyper-parameters where the kernel reads them (byte offset hAt, 8-aligned, of mem's
 * memory); with `emaDecay`, adamEma's two more.
 */
export function writeAdamHyper(mem: Float32Array, hAt: number, h: AdamHyper, emaDecay?: number): void {
  const hv = new Float64Array(mem.buffer, mem.byteOffset + hAt, HYPER.length + (emaDecay === undefined ? 0 : 2));
  HYPER.forEach((k, j) => { hv[j] = k === 'c2' ? 1 - h.b2 : h[k]; });
  if (emaDecay !== undefined) { hv[HYPER.length] = emaDecay; hv[HYPER.length + 1] = 1 - emaDecay; }
}

/**
 * adam(p, g, m, v, npairs, h): for 2·npairs elements, p float32, g float32, m and v float64:
 *   m ← m + w1·(g − m);  v ← b2·v + (c2·g)·g;  p ← p·decay − stepSize·(m / (√v / bc2Sqrt + eps)).
 * adamEma(p, g, m, v, s, npairs, h) then also s ← d·s + (1 − d)·p (s float64, p the new float32
 * value; EMA.update's `d * sd[i] + (1 - d) * pd[i]`), in the same pass over the parameters.
 */
export function emitAdam(ema = false): Fn {
  const f = new Fn(ema ? 'adamEma' : 'adam', ema ? [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32] : [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [p, g, m, v] = [0, 1, 2, 3];
  const s = ema ? 4 : -1, np = ema ? 5 : 4, h = ema ? 6 : 5;
  const i = f.local(T.i32);
  const [decay, w1, b2, c2, step, bc2, eps] = HYPER.map(() => f.local(T.v128));
  [decay, w1, b2, c2, step, bc2, eps].forEach((l, k) => { f.get(h).mem('f64.load', 8 * k).op('f64x2.splat').set(l!); });
  const gv = f.local(T.v128), mi = f.local(T.v128), vi = f.local(T.v128), pf = f.local(T.v128);
  const d = f.local(T.v128), c = f.local(T.v128);
  if (ema) {
    f.get(h).mem('f64.load', 8 * HYPER.length).op('f64x2.splat').set(d);
    f.get(h).mem('f64.load', 8 * HYPER.length + 8).op('f64x2.splat').set(c);
  }
  f.for(i, 0, () => f.get(np), 1, () => {
    f.get(g).mem('v128.load64_zero').op('f64x2.promote_low_f32x4').set(gv);
    f.get(m).mem('v128.load').get(w1!).get(gv).get(m).mem('v128.load').op('f64x2.sub', 'f64x2.mul', 'f64x2.add').set(mi);
    f.get(b2!).get(v).mem('v128.load').op('f64x2.mul').get(c2!).get(gv).op('f64x2.mul').get(gv).op('f64x2.mul', 'f64x2.add').set(vi);
    f.get(m).get(mi).mem('v128.store');
    f.get(v).get(vi).mem('v128.store');
    f.get(p);
    f.get(p).mem('v128.load64_zero').op('f64x2.promote_low_f32x4').get(decay!).op('f64x2.mul');
    f.get(step!).get(mi).get(vi).op('f64x2.sqrt').get(bc2!).op('f64x2.div').get(eps!).op('f64x2.add', 'f64x2.div', 'f64x2.mul', 'f64x2.sub');
    f.op('f32x4.demote_f64x2_zero').tee(pf).mem('v128.store64_lane0');
    if (ema) {
      // EMA.update's d·s + c·p (c = 1 − d), p the float32 just stored.
      f.get(s);
      f.get(d).get(s).mem('v128.load').op('f64x2.mul');
      f.get(c).get(pf).op('f64x2.promote_low_f32x4', 'f64x2.mul');
      f.op('f64x2.add').mem('v128.store');
      f.inc(s, 16);
    }
    f.inc(p, 8).inc(g, 8).inc(m, 16).inc(v, 16);
  });
  return f;
}

/** Frees a kernel's moments when the optimizer holding it is collected. */
const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<() => void>((free) => free())
  : null;

/**
 * A resident Adam for parameters of these sizes, or null where the memory has no room.
 * `run(p, g, m, v, npairs, h)` applies the kernel to all pairs (the threads backend splits them).
 * Parameters are concatenated (padded to an even count) into the operand arena for each step.
 */
export function residentAdam(home: PlanResidence, arena: OperandArena, sizes: readonly number[],
  run: (p: number, g: number, m: number, v: number, npairs: number, h: number) => void): AdamKernel | null {
  const offsets: number[] = [];
  let total = 0;
  for (const s of sizes) { offsets.push(total); total += s; }
  const pairs = Math.ceil(total / 2), n2 = 2 * pairs;
  const block = home.allocBlock(16 * n2); // m then v, float64
  if (block < 0) return null;
  const mAt = block, vAt = block + 8 * n2;
  const f64 = (): Float64Array => { const f = arena.reserve(0); return new Float64Array(f.buffer, f.byteOffset, f.length >> 1); };
  f64().fill(0, mAt >> 3, (mAt >> 3) + 2 * n2);
  let freed = false;
  const check = (i: number): void => {
    if (freed) throw new Error('adam kernel: freed');
    if (!(i >= 0 && i < sizes.length)) throw new Error(`adam kernel: no parameter ${i}`);
  };
  const kernel: AdamKernel = {
    read(i) {
      check(i);
      const a = f64(), o = at(offsets, i, 'offsets'), s = at(sizes, i, 'sizes');
      return { m: a.slice((mAt >> 3) + o, (mAt >> 3) + o + s), v: a.slice((vAt >> 3) + o, (vAt >> 3) + o + s) };
    },
    write(i, m, v) {
      check(i);
      if (m.length !== sizes[i] || v.length !== sizes[i]) throw new Error(`adam kernel: parameter ${i} has ${sizes[i]} moments`);
      const a = f64();
      const o = at(offsets, i, 'offsets');
      a.set(m, (mAt >> 3) + o);
      a.set(v, (vAt >> 3) + o);
    },
    step(params, grads, h: AdamHyper) {
      if (freed) throw new Error('adam kernel: freed');
      if (params.length !== sizes.length || grads.length !== sizes.length) throw new Error('adam kernel: one parameter and one gradient per size');
      // Staging in the arena: p (float32, n2), g (float32, n2), hyper-parameters.
      const pAt = arena.base, gAt = pAt + 4 * n2, hAt = gAt + 4 * n2;
      const mem = arena.reserve(8 * n2 + ADAM_HYPER_BYTES);
      for (let i = 0; i < sizes.length; i++) {
        const p = at(params, i, 'parameters'), g = at(grads, i, 'gradients'), o = at(offsets, i, 'offsets');
        if (p.length !== sizes[i] || g.length !== sizes[i]) throw new Error(`adam kernel: parameter ${i} must have ${sizes[i]} values`);
        mem.set(p, (pAt >> 2) + o);
        mem.set(g, (gAt >> 2) + o);
      }
      if (n2 > total) { mem[(pAt >> 2) + total] = 0; mem[(gAt >> 2) + total] = 0; }
      writeAdamHyper(mem, hAt, h);
      run(pAt, gAt, mAt, vAt, pairs, hAt);
      const out = arena.reserve(0);
      for (let i = 0; i < sizes.length; i++) {
        const o = (pAt >> 2) + at(offsets, i, 'offsets');
        at(params, i, 'parameters').set(out.subarray(o, o + at(sizes, i, 'sizes')));
      }
    },
    free() {
      if (freed) return;
      freed = true;
      registry?.unregister(kernel);
      home.freeBlock(block);
    },
  };
  registry?.register(kernel, () => home.freeBlock(block), kernel);
  return kernel;
}
