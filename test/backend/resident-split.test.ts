// The threads backend's resident elementwise kernels split between threads (vec records: add and
// GELU over 4-float ranges, colSum over even column ranges) give exactly the single-thread bits:
// against plain oracles (the float32 sum; the float64 column sum in row order, rounded once) and
// against the wasm backend's unsplit kernels (GELU), with every kernel forced to split
// (minVecWorkPerThread 1) into more chunks than threads, and at the default thresholds on the
// paper network's sizes; and a compiled training step with every kernel split equals autograd.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { withBackend } from '../../src/tensor/index.js';
import type { Backend, ResidentKernels } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';

const ok = wasmSimdSupported();
const wasm: Backend | null = ok ? await loadWasmBackend() : null;
const split: ThreadsBackend[] = ok ? [
  await loadThreadsBackend({ threads: 2, minVecWorkPerThread: 1 }),
  await loadThreadsBackend({ threads: 3, minVecWorkPerThread: 1 }),
  await loadThreadsBackend({ threads: 2 }),
] : [];
afterAll(async () => { for (const t of split) await t.terminate(); });

const random = (len: number, rng: Rng): Float32Array => { const a = rng.fillNormal(new Float32Array(len)); for (let i = 0; i < len; i++) a[i] = 2 * a[i]!; return a; };

/** put(values) → offset in a block; out(len) → a NaN-filled buffer; get → a copy. */
function buffers(rk: ResidentKernels, floats: number) {
  const block = rk.allocBlock(4 * floats);
  if (block < 0) throw new Error('no room');
  let next = block;
  const take = (len: number): number => { const at = next; next += 4 * (Math.ceil(len / 16) * 16 + 16); return at; };
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

  it('a compiled training step with every kernel split equals the autograd step, bit for bit', () => {
    const be = split[0]!;
    const rng = new Rng(7), n = 10;
    const s = new Int8Array(n * 200);
    for (let i = 0; i < s.length; i++) s[i] = rng.spin();
    const run = (compiled: boolean): { losses: number[]; params: number[][] } => withBackend(be, () => {
      const tr = new DiffusionTrainer({ n, m: 200, s }, { n, T: 1000, widths: [32, 64], timeDim: 16, residual: true }, { ...DEFAULT_TRAIN, iterations: 20, batchSize: 48, seed: 3, gradClip: 1 });
      tr.compiledStep = compiled;
      for (let i = 0; i < 3; i++) {
        tr.step();
        expect(tr.lastStepCompiled).toBe(compiled);
      }
      return { losses: tr.losses.slice(), params: tr.net.parameters().map((p) => Array.from(p.data as Float32Array)) };
    });
    const ref = run(false), got = run(true);
    expect(got.losses).toEqual(ref.losses);
    expect(got.params).toEqual(ref.params);
  });
});
