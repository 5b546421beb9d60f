// Conformance: every available backend against the JS backend (the specification) and a float64
// reference, for all transpose flags, odd sizes and alpha/beta.
//
// Tolerance (float32): the standard GEMM error bound |fl(A·B) − A·B| ≤ γ_k·|A|·|B| with
// γ_k = k·u/(1 − k·u), u = 2⁻²⁴ (Higham, Accuracy and Stability, §3.5), plus a few roundings
// for alpha, beta and the final float32 store. We allow (k + 4)·ε·(|α|·(|A||B|)ᵢⱼ + |β|·|Cᵢⱼ|)
// with ε = 2⁻²³ = 2u — the bound with a factor-2 margin — measured against an exact-enough
// float64 product; two backends can then differ by at most twice that.
import { describe, it, expect, afterAll } from 'vitest';
import { jsBackend } from '../../src/tensor/backend/js.js';
import type { Backend } from '../../src/tensor/backend/types.js';
import { loadWasmBackend, relaxedSimdSupported, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { defaultGeometry } from '../../src/tensor/backend/wasm/gemm.js';
import { enableRelaxedSimd } from '../../src/tensor/backend/wasm/node-flags.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { Rng } from '../../src/random/index.js';
import { loadGpujsBackend } from '../../src/tensor/backend/gpujs.js';
import type { GpujsBackend } from '../../src/tensor/backend/gpujs.js';
import { loadBackend } from '../../src/tensor/backend/wasm/select.js';
import { UNARY_OPS, UNARY_OP_NAMES } from '../../src/tensor/backend/unary.js';
import { WASM_UNARY } from '../../src/tensor/backend/wasm/elementwise.js';

const EPS32 = 2 ** -23;
const SIZES = [1, 3, 17, 65, 130];
/** (m, n, k) triples: every pair (m, n) of SIZES once, k cycling through SIZES (a Latin square). */
const SHAPES: [number, number, number][] = SIZES.flatMap((m, i) => SIZES.map((n, j) => [m, n, SIZES[(i + j) % SIZES.length]!] as [number, number, number]));
const SCALARS: [number, number][] = [[1, 0], [-0.75, 1.5]];

/** Float64 product op(A)·op(B) and |op(A)|·|op(B)|, for the reference and the error bound. */
function reference(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): { ab: Float64Array; abs: Float64Array } {
  const ab = new Float64Array(m * n), abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i]! : a[i * k + p]!;
      for (let j = 0; j < n; j++) {
        const bv = transB ? b[j * k + p]! : b[p * n + j]!;
        ab[i * n + j]! += av * bv;
        abs[i * n + j]! += Math.abs(av * bv);
      }
    }
  }
  return { ab, abs };
}

function randomArray(rng: Rng, size: number): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.uniform() * 2 - 1;
  return x;
}

interface Named { name: string; backend: () => Backend }
const backends: Named[] = [{ name: 'js', backend: () => jsBackend }];
let wasm: Backend | null = null;
let threads: ThreadsBackend | null = null;
if (wasmSimdSupported()) {
  // Both micro-kernels: plain multiply + add, and relaxed SIMD's fused multiply-add.
  wasm = await loadWasmBackend({ geometry: { ...defaultGeometry, fma: false } });
  backends.push({ name: 'wasm', backend: () => wasm! });
  if (await enableRelaxedSimd() && relaxedSimdSupported()) {
    const fma = await loadWasmBackend({ geometry: { ...defaultGeometry, fma: true } });
    backends.push({ name: 'wasm-fma', backend: () => fma });
  }
  // minFlopsPerThread 1: split even the smallest products across threads, to test the splitting.
  threads = await loadThreadsBackend({ threads: 3, minFlopsPerThread: 1 });
  backends.push({ name: 'threads-3', backend: () => threads! });
}
// gpu.js (optional peer): its CPU mode runs the same suite where the package is installed.
let gpujs: GpujsBackend | null = null;
try {
  gpujs = await loadGpujsBackend({ mode: 'cpu' });
  backends.push({ name: gpujs.name, backend: () => gpujs! });
} catch {
  // not installed: nothing to test
}
afterAll(async () => { await threads?.terminate(); gpujs?.destroy(); });

describe.each(backends)('backend $name: float32 gemm conformance', ({ name, backend }) => {
  it.each([[false, false], [false, true], [true, false], [true, true]])('transA=%s transB=%s over odd sizes, alpha/beta', (transA, transB) => {
    const be = backend();
    const rng = new Rng(17);
    let checked = 0;
    for (const [m, n, k] of SHAPES) {
      const a = randomArray(rng, m * k), b = randomArray(rng, k * n), c0 = randomArray(rng, m * n);
      const { ab, abs } = reference(transA, transB, m, n, k, a, b);
      for (const [alpha, beta] of SCALARS) {
        const c = c0.slice(), cjs = c0.slice();
        // A NaN in C must not leak through when beta = 0 (BLAS semantics: C is not read).
        if (beta === 0) { c[0] = NaN; cjs[0] = NaN; }
        be.gemm(transA, transB, m, n, k, a, b, c, alpha, beta);
        jsBackend.gemm(transA, transB, m, n, k, a, b, cjs, alpha, beta);
        for (let i = 0; i < m * n; i++) {
          const bound = (k + 4) * EPS32 * (Math.abs(alpha) * abs[i]! + Math.abs(beta) * Math.abs(c0[i]!)) + 1e-30;
          const exact = alpha * ab[i]! + (beta === 0 ? 0 : beta * c0[i]!);
          const err = Math.abs(c[i]! - exact);
          if (!(err <= bound)) expect.fail(`${name} m=${m} n=${n} k=${k} α=${alpha} β=${beta} C[${i}]: ${c[i]} vs exact ${exact} (error ${err} > bound ${bound})`);
          if (!(Math.abs(c[i]! - cjs[i]!) <= 2 * bound)) expect.fail(`${name} vs js at C[${i}]: ${c[i]} vs ${cjs[i]}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('k = 0 gives beta·C, and float64 operands match the JS backend exactly', () => {
    const be = backend();
    const c = new Float32Array([1, 2, 3, 4]);
    be.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, 1, 0.5);
    expect(Array.from(c)).toEqual([0.5, 1, 1.5, 2]);
    const rng = new Rng(3);
    const a = Float64Array.from(randomArray(rng, 17 * 5)), b = Float64Array.from(randomArray(rng, 5 * 3));
    const c1 = new Float64Array(17 * 3), c2 = new Float64Array(17 * 3);
    be.gemm(false, true, 17, 3, 5, a, b, c1, 1, 0);
    jsBackend.gemm(false, true, 17, 3, 5, a, b, c2, 1, 0);
    expect(Array.from(c1)).toEqual(Array.from(c2));
  });
});

describe('wasm backend, larger products (several cache blocks in every dimension)', () => {
  it.runIf(wasm !== null)('m=140 n=600 k=300, both transposed, beta = 1', () => {
    // k > KC (256), n > NC (512), m > MC (128): exercises every block boundary of the loop nest.
    const [m, n, k] = [140, 600, 300];
    const rng = new Rng(5);
    const a = randomArray(rng, m * k), b = randomArray(rng, k * n), c0 = randomArray(rng, m * n);
    const { ab, abs } = reference(true, true, m, n, k, a, b);
    for (const be of [wasm!, threads!]) {
      const c = c0.slice();
      be.gemm(true, true, m, n, k, a, b, c, 1, 1);
      let worst = 0;
      for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(c[i]! - (ab[i]! + c0[i]!)) / ((k + 4) * EPS32 * (abs[i]! + Math.abs(c0[i]!))));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });
});

// Unary ops: every op of the table (tensor/backend/unary.ts) on every accelerated backend. Ops
// with wasm kernels (WASM_UNARY) are held to their kernel's stated error against the float64 JS
// kernel over the kernel's stated range; the others must fall back to the JS
// loops, bit for bit. Odd lengths: the padded tail of the vector kernels must be ignored.
describe.each(backends.filter((b) => b.name === 'wasm' || b.name.startsWith('threads')))('backend $name: unary kernels', ({ name, backend }) => {
  for (const op of UNARY_OP_NAMES) {
    it(`${op} and its gradient, odd length`, () => {
      const be = backend(), kernel = WASM_UNARY[op];
      const [lo, hi] = kernel ? kernel.range : UNARY_OPS[op].domain, p = UNARY_OPS[op].params?.[1] ?? 1;
      const len = kernel ? 20_003 : 1_003;
      const x = Float32Array.from({ length: len }, (_, i) => lo + ((hi - lo) * i) / len);
      const g = Float32Array.from({ length: len }, (_, i) => Math.cos(i));
      const y = new Float32Array(len), dx = new Float32Array(len);
      be.unary(op, x, y, p);
      be.unaryGrad(op, x, y, g, dx, p);
      if (!kernel) {
        const yj = new Float32Array(len), dxj = new Float32Array(len);
        jsBackend.unary(op, x, yj, p);
        jsBackend.unaryGrad(op, x, yj, g, dxj, p);
        for (let i = 0; i < len; i++) {
          if (!Object.is(y[i], yj[i])) expect.fail(`${name} ${op}(${x[i]}) = ${y[i]}, JS backend ${yj[i]}`);
          if (!Object.is(dx[i], dxj[i])) expect.fail(`${name} ${op}'(${x[i]})·g = ${dx[i]}, JS backend ${dxj[i]}`);
        }
        return;
      }
      const y64 = new Float64Array(len), dx64 = new Float64Array(len);
      jsBackend.unary(op, Float64Array.from(x), y64, p);
      jsBackend.unaryGrad(op, Float64Array.from(x), y64, Float64Array.from(g), dx64, p);
      for (let i = 0; i < len; i++) {
        const tol = kernel.tol(x[i]!);
        if (!(Math.abs(y[i]! - y64[i]!) <= tol * Math.abs(y64[i]!) + 1e-38)) expect.fail(`${name} ${op}(${x[i]}) = ${y[i]}, float64 ${y64[i]}`);
        const gradScale = Math.abs(g[i]!) * Math.max(1, Math.abs(dx64[i]! / (g[i]! || 1)));
        if (!(Math.abs(dx[i]! - dx64[i]!) <= tol * gradScale + 1e-38)) expect.fail(`${name} ${op}'(${x[i]})·g = ${dx[i]}, float64 ${dx64[i]}`);
      }
    });
  }
});

describe('loadBackend', () => {
  it('loads each backend by name and rejects an unknown name with the valid ones listed', async () => {
    expect((await loadBackend('js')).name).toBe('js');
    if (wasm) expect((await loadBackend('wasm')).name).toBe('wasm');
    await expect(loadBackend('cuda')).rejects.toThrow(/unknown backend 'cuda' \(expected one of js, wasm, threads, gpujs\)/);
  });
});

describe('threads backend protocol', () => {
  it.runIf(wasmSimdSupported())('400 back-to-back split products in a row match the JS backend (no lost or stale chunk)', () => {
    const rng = new Rng(11);
    for (let r = 0; r < 400; r++) {
      const m = 1 + rng.int(40), n = 1 + rng.int(20), k = 1 + rng.int(20);
      const a = randomArray(rng, m * k), b = randomArray(rng, k * n);
      const c = new Float32Array(m * n), cjs = new Float32Array(m * n);
      threads!.gemm(false, false, m, n, k, a, b, c, 1, 0);
      jsBackend.gemm(false, false, m, n, k, a, b, cjs, 1, 0);
      for (let i = 0; i < m * n; i++) {
        if (!(Math.abs(c[i]! - cjs[i]!) <= 2 * (k + 4) * EPS32 * k)) expect.fail(`product ${r} (${m}×${n}×${k}) C[${i}]: ${c[i]} vs ${cjs[i]}`);
      }
    }
  });
});
