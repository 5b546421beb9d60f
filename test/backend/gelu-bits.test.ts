// The wasm GELU (the unary kernels and the GEMM epilogue's fused bias + GELU, every flag
// combination) against a float32 emulation of the same operations in JS, bit for bit: faster
// code for these kernels must keep the same function. The oracle restates the op sequence of
// wasm/elementwise.ts one lane at a time (Math.fround after each operation); NaN inputs only
// need a NaN out (wasm leaves NaN payloads to the engine). The training step's GELU pair, which
// keeps Φ(x) from the forward for the backward, against the plain kernels and the emulation.
import { describe, it, expect } from 'vitest';
import { compileGemmModule, layout, moduleExports, wasmSimdSupported } from '../../src/tensor/backend/wasm/module.js';
import { defaultGeometry, EPI_GELU_INPLACE } from '../../src/tensor/backend/wasm/gemm.js';
import { ERFC_P, EXP_TAYLOR, LN2_HI, LN2_LO, LOG2E } from '../../src/tensor/backend/wasm/elementwise.js';
import { PAGE } from '../../src/tensor/backend/wasm/memory.js';
import { Rng } from '../../src/random/index.js';

const f32 = Math.fround;

/** Estrin's scheme as emitPoly evaluates it. */
function poly(x: number, c: readonly number[]): number {
  let terms: number[] = [];
  for (let i = 0; i < c.length; i += 2) terms.push(i + 1 < c.length ? f32(f32(x * f32(c[i + 1]!)) + f32(c[i]!)) : f32(c[i]!));
  let power = x;
  while (terms.length > 1) {
    power = f32(power * power);
    const next: number[] = [];
    for (let i = 0; i < terms.length; i += 2) next.push(i + 1 === terms.length ? terms[i]! : f32(f32(terms[i + 1]! * power) + terms[i]!));
    terms = next;
  }
  return terms[0]!;
}

/** f32x4.nearest: to the nearest integer, ties to even, keeping the sign of zero. */
function nearest(x: number): number {
  const fl = Math.floor(x), d = x - fl;
  const r = d < 0.5 ? fl : d > 0.5 ? fl + 1 : fl % 2 === 0 ? fl : fl + 1;
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

const bitsToF32 = (b: number): number => new Float32Array(new Int32Array([b]).buffer)[0]!;

/** emitExp: exp(pmax(v, −87.3)). */
function exp(v0: number): number {
  const v = v0 < f32(-87.3) ? f32(-87.3) : v0;
  const n = nearest(f32(v * f32(LOG2E)));
  const r = f32(f32(v - f32(n * f32(LN2_HI))) - f32(n * f32(LN2_LO)));
  return f32(poly(r, EXP_TAYLOR) * bitsToF32(((n | 0) + 127) << 23));
}

/** emitPhi: Φ(x), and z = |x|/√2. */
function phi(x: number): { phi: number; z: number } {
  const z = f32(Math.abs(x) * f32(Math.SQRT1_2));
  const zc = f32(9) < z ? f32(9) : z;
  const t = f32(1 / f32(1 + f32(zc * 0.5)));
  const w = exp(f32(poly(t, ERFC_P) - f32(zc * zc)));
  const e = f32(f32(t * w) * 0.5);
  return { phi: x < 0 ? e : f32(1 - e), z };
}

const gelu = (x: number): number => f32(x * phi(x).phi);
function geluGrad(x: number, g: number): number {
  const { phi: p, z } = phi(x);
  const d = exp(-f32(z * z));
  return f32(g * f32(p + f32(f32(x * d) * f32(1 / Math.sqrt(2 * Math.PI)))));
}

function sameBits(got: number, want: number, what: string): void {
  if (Number.isNaN(want) ? !Number.isNaN(got) : !Object.is(got, want)) expect.fail(`${what}: wasm ${got}, float32 emulation ${want}`);
}

async function instance() {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
  const lay = layout(1);
  mem.grow(Math.ceil((lay.operandBase + (1 << 22)) / PAGE));
  const inst = await WebAssembly.instantiate(await compileGemmModule(false, defaultGeometry), { env: { mem } });
  return { mem, base: lay.operandBase, bufs: lay.threads[0]!, ex: moduleExports(inst) };
}

describe.runIf(wasmSimdSupported())('wasm GELU = float32 emulation of its operations, bit for bit', () => {
  it('unary_gelu and unaryGrad_gelu on every vector count 0–11 (unrolled loops and their tails), special values and random bit patterns', async () => {
    const { mem, base, ex } = await instance();
    const k = ex.unary.get('gelu')!;
    const rng = new Rng(18);
    const specials = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-38, -3e38, 9, -9, 12.728, -12.728, 0.5, -0.5, 1e-8, -1e-8, 88, -88];
    const bits = new Int32Array(1);
    const random = Array.from({ length: 2000 }, (_, i) => {
      if (i % 2 === 0) return (rng.uniform() - 0.5) * 30;
      bits[0] = Math.floor(rng.uniform() * 2 ** 32) | 0;
      return new Float32Array(bits.buffer)[0]!;
    });
    const all = Float32Array.from([...specials, ...random]);
    const g = Float32Array.from(all, (_, i) => Math.cos(i));
    const lens = [...Array.from({ length: 12 }, (_, nv) => 4 * nv), all.length - (all.length % 4)];
    for (const len of lens) {
      const view = new Float32Array(mem.buffer, base, 4 * len);
      view.fill(7); // the output region must be written exactly where asked
      view.set(all.subarray(0, len), 0);
      view.set(g.subarray(0, len), len);
      k.value(base, base + 8 * len, len / 4);
      k.grad(base, base + 4 * len, base + 12 * len, len / 4);
      for (let i = 0; i < len; i++) {
        const x = all[i]!;
        sameBits(view[2 * len + i]!, gelu(x), `gelu(${x}), ${len / 4} vectors`);
        sameBits(view[3 * len + i]!, geluGrad(x, g[i]!), `gelu'(${x})·${g[i]}, ${len / 4} vectors`);
      }
    }
  });

  it('geluPhi and geluGradPhi (the training step\'s GELU, Φ kept for the backward) = unary_gelu and unaryGrad_gelu, and the stored Φ = the emulation\'s, bit for bit', async () => {
    const { mem, base, ex } = await instance();
    const k = ex.unary.get('gelu')!;
    const rng = new Rng(20);
    // ±0, tiny and subnormal, around erfc's clamp (|x|/√2 = 9) and exp's (−87.3), huge, ±∞, NaN.
    const specials = [0, -0, 1e-45, -1e-45, 1e-38, -1e-38, 1e-20, -1e-20, 12.727922, -12.727922, 12.728, -12.728, 13.2, -13.2, 13.3, -13.3, 20, -20, 88, -88, 3e38, -3e38, Infinity, -Infinity, NaN];
    const bits = new Int32Array(1);
    const random = Array.from({ length: 3000 }, (_, i) => {
      if (i % 3 === 0) return (rng.uniform() - 0.5) * 40;
      if (i % 3 === 1) return rng.normal();
      bits[0] = Math.floor(rng.uniform() * 2 ** 32) | 0;
      return new Float32Array(bits.buffer)[0]!;
    });
    const all = Float32Array.from([...specials, ...random]);
    const g = Float32Array.from(all, (_, i) => (i % 7 === 0 ? -0 : Math.sin(i) * 3));
    const F = new Float32Array(mem.buffer, base);
    const N = all.length + 16;
    const [X, G, Y0, D0, Y1, P, D1] = [0, N, 2 * N, 3 * N, 4 * N, 5 * N, 6 * N]; // float offsets of the buffers
    const byte = (f: number): number => base + 4 * f;
    for (const nv of [...Array.from({ length: 13 }, (_, v) => v), 63, 64, 65, 66, 67, Math.floor(all.length / 4)]) {
      const len = 4 * nv;
      F.fill(7, 0, 7 * N); // outputs must be written exactly where asked
      F.set(all.subarray(0, len), X);
      F.set(g.subarray(0, len), G);
      k.value(byte(X), byte(Y0), nv);
      k.grad(byte(X), byte(G), byte(D0), nv);
      ex.geluPhi(byte(X), byte(Y1), byte(P), nv);
      ex.geluGradPhi(byte(X), byte(P), byte(G), byte(D1), nv);
      for (let i = 0; i < len; i++) {
        const x = all[i]!, what = `x = ${x}, ${nv} vectors`;
        sameBits(F[Y1 + i]!, F[Y0 + i]!, `geluPhi vs unary_gelu, ${what}`);
        sameBits(F[D1 + i]!, F[D0 + i]!, `geluGradPhi vs unaryGrad_gelu, ${what}`);
        sameBits(F[P + i]!, phi(x).phi, `stored Φ, ${what}`);
        sameBits(F[D1 + i]!, geluGrad(x, g[i]!), `geluGradPhi vs emulation, ${what}`);
      }
      for (const o of [Y1, P, D1]) for (let i = len; i < len + 8; i++) sameBits(F[o + i]!, 7, `past the ${nv} vectors`);
    }
  });

  it('the GEMM epilogue, every combination of bias, GELU in place and GELU to a second output, odd widths and k > KC', async () => {
    const { mem, base, bufs, ex } = await instance();
    const rng = new Rng(19);
    const F = new Float32Array(mem.buffer);
    const at = (off: number) => off / 4;
    for (const [m, n, k] of [[5, 1, 3], [7, 3, 9], [9, 4, 17], [6, 17, 5], [10, 37, 300], [4, 70, 8]] as const) {
      const A = base, B = A + 4 * m * k, bias = B + 4 * k * n, C0 = bias + 4 * n, C = C0 + 4 * m * n, G = C + 4 * m * n, ldg = n + 3;
      for (let i = 0; i < m * k; i++) F[at(A) + i] = 4 * (rng.uniform() - 0.5);
      for (let i = 0; i < k * n; i++) F[at(B) + i] = 4 * (rng.uniform() - 0.5) / Math.sqrt(k);
      for (let j = 0; j < n; j++) F[at(bias) + j] = 2 * (rng.uniform() - 0.5);
      const gemm = (c: number, b: number, gdst: number, act: number): void =>
        ex.gemm(A, k, 1, B, n, 1, c, n, m, n, k, 1, 0, bufs.bufA, bufs.bufB, bufs.scratch, b, gdst, ldg, act);
      gemm(C0, 0, 0, 0); // the plain product, the oracle's input
      for (const withBias of [false, true]) for (const act of [0, EPI_GELU_INPLACE]) for (const toG of [false, true]) {
        if (!withBias && act === 0 && !toG) continue; // no epilogue
        F.fill(-5, at(G), at(G) + m * ldg);
        gemm(C, withBias ? bias : 0, toG ? G : 0, act);
        const what = `m ${m} n ${n} k ${k} bias ${withBias} act ${act} gdst ${toG}`;
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          const v = withBias ? f32(F[at(C0) + i * n + j]! + F[at(bias) + j]!) : F[at(C0) + i * n + j]!;
          sameBits(F[at(C) + i * n + j]!, act ? gelu(v) : v, `${what}: C[${i}, ${j}]`);
          sameBits(F[at(G) + i * ldg + j]!, toG ? gelu(v) : -5, `${what}: G[${i}, ${j}]`);
        }
        for (let i = 0; i < m; i++) for (let j = n; j < ldg; j++) sameBits(F[at(G) + i * ldg + j]!, -5, `${what}: G beyond n`);
      }
    }
  });
});
