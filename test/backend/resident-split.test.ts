// The threads backend's resident elementwise kernels split between threads (vec records: add and
// GELU over 4-float ranges, colSum over even column ranges) give exactly the single-thread bits:
// against plain oracles (the float32 sum; the float64 column sum in row order, rounded once) and
// against the wasm backend's unsplit kernels (GELU), with every kernel forced to split
// (minVecWorkPerThread 1) into more chunks than threads, and at the default thresholds on the
// paper network's sizes; and a compiled training step with every kernel split equals autograd.
// The training step's update kernels (sum of squares, gradient scaling, EMA, Adam) equal their JS
// loops (clipGradNorm, EMA.update's formula, Adam without a backend kernel), unsplit on wasm and
// split over element pairs (minUpdatePairsPerChunk 1) on the threads backend.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { withBackend } from '../../src/tensor/index.js';
import type { Backend, ResidentKernels } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import { Tensor } from '../../src/tensor/index.js';
import { Adam, clipGradNorm } from '../../src/nn/index.js';

const ok = wasmSimdSupported();
const wasm: Backend | null = ok ? await loadWasmBackend() : null;
const split: ThreadsBackend[] = ok ? [
  await loadThreadsBackend({ threads: 2, minVecWorkPerThread: 1, minUpdatePairsPerChunk: 1 }),
  await loadThreadsBackend({ threads: 3, minVecWorkPerThread: 1, minUpdatePairsPerChunk: 1 }),
  await loadThreadsBackend({ threads: 2 }),
] : [];
afterAll(async () => { for (const t of split) await t.terminate(); });

const random = (len: number, rng: Rng): Float32Array => { const a = rng.fillNormal(new Float32Array(len)); for (let i = 0; i < len; i++) a[i] = 2 * a[i]!; return a; };

/** put(values) → offset in a block; out(len) → a NaN-filled buffer; get → a copy. */
function buffers(rk: ResidentKernels, floats: number) {
  const block = rk.allocBlock(4 * floats);
  if (block < 0) throw new Error('no room');
  let next = block;
  const take = (len: number): number => {
    const at = next;
    next += 4 * (Math.ceil(len / 16) * 16 + 16);
    if (next > block + 4 * floats) throw new Error(`test buffers: ${floats} floats are not enough`);
    return at;
  };
  return {
    put(a: Float32Array) { const at = take(a.length); rk.view().set(a, at >> 2); return at; },
    out(len: number) { const at = take(len); rk.view().fill(NaN, at >> 2, (at >> 2) + len); return at; },
    get(at: number, len: number) { return rk.view().slice(at >> 2, (at >> 2) + len); },
    reset() { next = block; },
    free() { rk.freeBlock(block); },
  };
}

/** Bit for bit (faster than toEqual on long arrays). */
const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: Float32Array, b: Float32Array): void => { expect(a.length).toBe(b.length); expect(bits(a).equals(bits(b))).toBe(true); };

describe.skipIf(!ok)('threads: resident elementwise kernels split by ranges = unsplit', () => {
  it('colSum (float64 per column, row order), add, GELU value and derivative', () => {
    const one = wasm!.resident!()!;
    const ref = buffers(one, 1 << 21);
    for (const be of split) {
      const rk = be.resident!()!;
      const mem = buffers(rk, 1 << 21);
      const rng = new Rng(5);
      for (const [rows, n] of [[128, 1024], [128, 1031], [7, 5], [1, 1], [300, 33], [64, 2]] as const) {
        const x = random(rows * n, rng), want = new Float32Array(n);
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let r = 0; r < rows; r++) s += x[r * n + j]!;
          want[j] = s;
        }
        const out = mem.out(n + 1);
        rk.colSum(mem.put(x), rows, n, out);
        same(mem.get(out, n), want);
      }
      for (const len of [256, 1001, 4099, 131075]) {
        mem.reset();
        ref.reset();
        const a = random(len, rng), b = random(len, rng), g = random(len, rng);
        const sum = mem.out(len), pa = mem.put(a), pb = mem.put(b);
        rk.add(pa, pb, sum, len);
        same(mem.get(sum, len), Float32Array.from(a, (v, i) => v + b[i]!));
        rk.add(pa, pb, pa, len); // in place
        same(mem.get(pa, len), Float32Array.from(a, (v, i) => v + b[i]!));
        const ra = ref.put(a), ry = ref.out(len), rd = ref.out(len);
        one.unary('gelu', ra, ry, len);
        one.unaryGrad('gelu', ra, ry, ref.put(g), rd, len);
        const qa = mem.put(a), py = mem.out(len), pd = mem.out(len);
        rk.unary('gelu', qa, py, len);
        rk.unaryGrad('gelu', qa, py, mem.put(g), pd, len);
        same(mem.get(py, len), ref.get(ry, len));
        same(mem.get(pd, len), ref.get(rd, len));
      }
      mem.free();
    }
    ref.free();
  });

  it('update kernels: sum of squares, scaling, Adam (with the EMA) = clipGradNorm, Adam in JS, EMA.update\'s formula', () => {
    const f64bits = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const be of [wasm!, ...split]) {
      const rk = be.resident!()!;
      const mem = buffers(rk, 1 << 20);
      const rng = new Rng(9);
      /** A float64 buffer in the block (2 floats per element). */
      const put64 = (a: Float64Array): number => { const o = mem.out(2 * a.length); new Float64Array(rk.view().buffer, o, a.length).set(a); return o; };
      const get64 = (o: number, len: number): Float64Array => new Float64Array(rk.view().buffer, o, len).slice();
      for (const len of [2, 1002, 40962]) {
        mem.reset();
        // clipGradNorm over two gradients: the running double continued from the first to the second.
        const g1 = random(len, rng), g2 = random(len + 2, rng);
        const pg1 = mem.put(g1), pg2 = mem.put(g2);
        const sq = rk.sumSq(pg2, len + 2, rk.sumSq(pg1, len, 0));
        let serial = 0; // clipGradNorm's loop: one running double over both, in order
        for (const g of [g1, g2]) for (const v of g) serial += v * v;
        expect(sq).toBe(serial);
        // The any-order sum (clipSurelyIdle's input) is within its stated bound of the in-order one.
        const pg = mem.put(Float32Array.of(...g1, ...g2));
        const any = rk.sumSqAny(pg, 2 * len + 2);
        expect(Math.abs(any - serial)).toBeLessThanOrEqual(2 * (2 * len + 2) * 2 ** -53 * serial);
        const params = [g1, g2].map((g) => { const t = new Tensor(new Float32Array(g.length), [g.length]); t.grad = new Tensor(g.slice(), [g.length]); return t; });
        const maxNorm = 0.01;
        const total = clipGradNorm(params, maxNorm);
        expect(Math.sqrt(sq)).toBe(total);
        const coef = maxNorm / (total + 1e-6);
        rk.scale(pg1, len, coef);
        rk.scale(pg2, len + 2, coef);
        same(mem.get(pg1, len), params[0]!.grad!.data as Float32Array);
        same(mem.get(pg2, len + 2), params[1]!.grad!.data as Float32Array);
        // Adam (two steps, the second from moments it wrote): the JS optimizer is the reference.
        const w = new Tensor(random(len, rng), [len]).requireGrad();
        const opt = new Adam([w], { lr: 0.01, backendKernel: false });
        const pw = mem.put(w.data as Float32Array), pm = put64(new Float64Array(len)), pv = put64(new Float64Array(len));
        for (let step = 0; step < 2; step++) {
          const g = random(len, rng);
          const h = opt.plainHyper()!;
          rk.adam(pw, mem.put(g), pm, pv, len, h);
          w.grad = new Tensor(g, [len]);
          opt.step();
          same(mem.get(pw, len), w.data as Float32Array);
          const { m, v } = opt.readMoments(0);
          expect(f64bits(get64(pm, len)).equals(f64bits(m))).toBe(true);
          expect(f64bits(get64(pv, len)).equals(f64bits(v))).toBe(true);
        }
        // Adam with the EMA in the same pass = Adam, then EMA.update's s ← d·s + (1 − d)·p in
        // float64 on the new float32 parameters.
        mem.reset();
        const g = random(len, rng), sh = Float64Array.from(random(len, rng)), dEma = 0.99731;
        const h = opt.plainHyper()!;
        const [p1, m1, v1, s1] = [mem.put(w.data as Float32Array), put64(opt.readMoments(0).m), put64(opt.readMoments(0).v), put64(sh)];
        const [p2, m2, v2] = [mem.put(w.data as Float32Array), put64(opt.readMoments(0).m), put64(opt.readMoments(0).v)];
        const pgE = mem.put(g);
        rk.adam(p1, pgE, m1, v1, len, h, { s: s1, decay: dEma });
        rk.adam(p2, pgE, m2, v2, len, h);
        const pNew = mem.get(p2, len);
        same(mem.get(p1, len), pNew);
        for (const [a, b] of [[m1, m2], [v1, v2]] as const) expect(f64bits(get64(a, len)).equals(f64bits(get64(b, len)))).toBe(true);
        expect(f64bits(get64(s1, len)).equals(f64bits(sh.map((v, i) => dEma * v + (1 - dEma) * pNew[i]!)))).toBe(true);
        expect(f64bits(get64(s1, len)).equals(f64bits(sh))).toBe(false); // the average moved
      }
      mem.free();
    }
  });

  it('a compiled training step (its update resident or in JS) with every kernel split equals the autograd step, bit for bit', () => {
    const be = split[0]!;
    const rng = new Rng(7), n = 10;
    const s = new Int8Array(n * 200);
    for (let i = 0; i < s.length; i++) s[i] = rng.spin();
    type Mode = 'autograd' | 'compiled' | 'resident';
    const run = (mode: Mode): { losses: number[]; params: number[][]; ema: number[][] } => withBackend(be, () => {
      const tr = new DiffusionTrainer({ n, m: 200, s }, { n, T: 1000, widths: [32, 64], timeDim: 16, residual: true }, { ...DEFAULT_TRAIN, iterations: 20, batchSize: 48, seed: 3, gradClip: 0.05 });
      tr.compiledStep = mode !== 'autograd';
      tr.residentUpdate = mode === 'resident';
      for (let i = 0; i < 3; i++) {
        tr.step();
        expect(tr.lastStepCompiled).toBe(mode !== 'autograd');
        expect(tr.lastStepResident).toBe(mode === 'resident');
      }
      return {
        losses: tr.losses.slice(),
        params: tr.net.parameters().map((p) => Array.from(p.data as Float32Array)),
        ema: Object.values(tr.ema!.shadow).map((t) => Array.from(t.data)),
      };
    });
    const ref = run('autograd');
    for (const mode of ['compiled', 'resident'] as const) {
      const got = run(mode);
      expect(got.losses).toEqual(ref.losses);
      expect(got.params).toEqual(ref.params);
      expect(got.ema).toEqual(ref.ema);
    }
  });
});
