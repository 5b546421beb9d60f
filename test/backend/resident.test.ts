// Backend.resident (wasm, threads): each kernel on buffers resident in the backend's memory
// computes bit for bit what the same backend computes through its copying calls — gemm (all
// transposes, with the epilogue bias) against gemm + binary('add'), colSum against sumTo, add
// against the float32 sum, unary/unaryGrad against unary/unaryGrad on both sides of the size at
// which GELU moves from the JS formula to the wasm kernel; and the GELU pair that keeps Φ(x) for
// its backward (keepsPhi) against the plain calls, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import type { Backend, ResidentKernels } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { ELEMENTWISE_MIN } from '../../src/tensor/backend/wasm/arena.js';

const backends: { name: string; backend: Backend }[] = [];
let threads: ThreadsBackend | null = null;
if (wasmSimdSupported()) {
  backends.push({ name: 'wasm', backend: await loadWasmBackend() });
  threads = await loadThreadsBackend({ threads: 2, minFlopsPerThread: 1 });
  backends.push({ name: 'threads-2 (every GEMM split)', backend: threads });
}
afterAll(async () => { await threads?.terminate(); });

const random = (len: number, rng: Rng): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * 2);

/** Buffers in one block: put(values) → offset; get(offset, len) → copy. */
function arena(rk: ResidentKernels, floats: number): { put(a: Float32Array): number; out(len: number): number; get(at: number, len: number): Float32Array; free(): void } {
  const block = rk.allocBlock(4 * floats);
  if (block < 0) throw new Error('no room');
  let next = block;
  const take = (len: number): number => { const at = next; next += 4 * (Math.ceil(len / 16) * 16 + 16); return at; };
  return {
    put(a) { const at = take(a.length); rk.view().set(a, at >> 2); return at; },
    out(len) { const at = take(len); rk.view().fill(NaN, at >> 2, (at >> 2) + len); return at; },
    get(at, len) { return rk.view().slice(at >> 2, (at >> 2) + len); },
    free() { rk.freeBlock(block); },
  };
}

describe.skipIf(backends.length === 0)('resident kernels = the backend\'s copying calls', () => {
  for (const { name, backend: be } of backends) {
    it(`gemm with and without bias, every transpose (${name})`, () => {
      const rk = be.resident!()!;
      const rng = new Rng(1);
      const mem = arena(rk, 1 << 20);
      for (const [m, n, k] of [[128, 64, 20], [33, 130, 257], [5, 7, 3]] as const) {
        for (const tA of [false, true]) for (const tB of [false, true]) for (const withBias of [false, true]) {
          const a = random(m * k, rng), b = random(k * n, rng), bias = random(n, rng);
          const want = new Float32Array(m * n);
          be.gemm(tA, tB, m, n, k, a, b, want, 1, 0);
          if (withBias) be.binary('add', [m, n], want, [n, 1], bias, [0, 1], want);
          const c = mem.out(m * n);
          rk.gemm(tA, tB, m, n, k, mem.put(a), mem.put(b), c, 1, 0, withBias ? mem.put(bias) : 0);
          expect(mem.get(c, m * n)).toEqual(want);
        }
      }
      mem.free();
    });

    it(`colSum, add, GELU value and derivative (${name})`, () => {
      const rk = be.resident!()!;
      const rng = new Rng(2);
      const mem = arena(rk, 1 << 20);
      for (const [rows, n] of [[128, 64], [7, 5], [1, 1], [300, 33]] as const) {
        const x = random(rows * n, rng), want = new Float32Array(n);
        be.sumTo([rows, n], x, [0, 1], want);
        const out = mem.out(n + 1);
        rk.colSum(mem.put(x), rows, n, out);
        expect(mem.get(out, n)).toEqual(want);
      }
      for (const len of [1, 5, ELEMENTWISE_MIN - 1, ELEMENTWISE_MIN, 1001]) {
        const a = random(len, rng), b = random(len, rng), g = random(len, rng);
        const sum = mem.out(len);
        rk.add(mem.put(a), mem.put(b), sum, len);
        expect(mem.get(sum, len)).toEqual(Float32Array.from(a, (v, i) => v + b[i]!));
        const y = new Float32Array(len), dx = new Float32Array(len);
        be.unary('gelu', a, y);
        be.unaryGrad('gelu', a, y, g, dx);
        const pa = mem.put(a), py = mem.out(len), pd = mem.out(len);
        rk.unary('gelu', pa, py, len);
        rk.unaryGrad('gelu', pa, py, mem.put(g), pd, len);
        expect(mem.get(py, len)).toEqual(y);
        expect(mem.get(pd, len)).toEqual(dx);
      }
      mem.free();
    });

    it(`GELU keeping Φ for its backward: the bits of the plain calls around the wasm kernel's size; refused where keepsPhi is false (${name})`, () => {
      const rk = be.resident!()!;
      const rng = new Rng(3);
      const mem = arena(rk, 1 << 20);
      const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
      expect(rk.keepsPhi('gelu', ELEMENTWISE_MIN - 1)).toBe(false);
      expect(rk.keepsPhi('tanh', 4096)).toBe(false);
      expect(() => rk.unary('gelu', 0, 0, ELEMENTWISE_MIN - 1, 0)).toThrow(/keepsPhi is false/);
      expect(() => rk.unaryGrad('tanh', 0, 0, 0, 0, 4096, 0)).toThrow(/keepsPhi is false/);
      const edges = [0, -0, 1e-30, -14, 30]; // ±0, tiny, past erfc's clamp and exp's
      // 40,001 elements: split between the threads backend's two threads.
      for (const len of [ELEMENTWISE_MIN, ELEMENTWISE_MIN + 1, ELEMENTWISE_MIN + 2, ELEMENTWISE_MIN + 3, ELEMENTWISE_MIN + 4, 1001, 40_001]) {
        expect(rk.keepsPhi('gelu', len)).toBe(true);
        const x = Float32Array.from({ length: len }, (_, i) => (i % 5 === 0 ? edges[(i / 5) % edges.length] ?? 0 : 6 * rng.normal()));
        const g = Float32Array.from({ length: len }, (_, i) => (i % 9 === 0 ? -0 : rng.normal()));
        const px = mem.put(x), pg = mem.put(g);
        const y0 = mem.out(len), d0 = mem.out(len), y1 = mem.out(len), phi = mem.out(len), d1 = mem.out(len);
        rk.unary('gelu', px, y0, len);
        rk.unaryGrad('gelu', px, y0, pg, d0, len);
        rk.unary('gelu', px, y1, len, phi);
        rk.view().fill(NaN, y1 >> 2, (y1 >> 2) + len); // the backward must not need y
        rk.unaryGrad('gelu', px, y1, pg, d1, len, phi);
        expect(bits(mem.get(d1, len)), `derivative, ${len}`).toEqual(bits(mem.get(d0, len)));
        rk.unary('gelu', px, y1, len, phi);
        expect(bits(mem.get(y1, len)), `value, ${len}`).toEqual(bits(mem.get(y0, len)));
      }
      mem.free();
    });
  }
});
