// Runs in the page: float32 GEMM conformance of each backend (loaded through the package's
// browser build, `spindiff/backends`) against a float64 reference, for all transpose flags, odd
// sizes and alpha/beta, within the bound of test/backend/conformance.test.ts:
// |Ĉ − C| ≤ (k + 4)·ε·(|α|·(|A||B|)ᵢⱼ + |β|·|Cᵢⱼ|), ε = 2⁻²³.
import { loadBackend, loadThreadsBackend } from 'spindiff/backends';
import type { Backend } from 'spindiff/backends';
import { Rng } from 'spindiff';
import * as gpujsNs from 'gpu.js';

const EPS32 = 2 ** -23;
const SIZES = [1, 3, 17, 65];
interface Outcome { name: string; backend?: string; checked: number; worst: number; error?: string; ms: number }

function check(be: Backend, rng: Rng): { checked: number; worst: number } {
  let checked = 0, worst = 0;
  for (const [i, m] of SIZES.entries()) for (const [j, n] of SIZES.entries()) {
    const k = SIZES[(i + j) % SIZES.length]!;
    for (const transA of [false, true]) for (const transB of [false, true]) for (const [alpha, beta] of [[1, 0], [-0.75, 1.5]] as const) {
      const a = Float32Array.from({ length: m * k }, () => rng.uniform() * 2 - 1);
      const b = Float32Array.from({ length: k * n }, () => rng.uniform() * 2 - 1);
      const c0 = Float32Array.from({ length: m * n }, () => rng.uniform() * 2 - 1);
      const c = c0.slice();
      be.gemm(transA, transB, m, n, k, a, b, c, alpha, beta);
      for (let r = 0; r < m; r++) for (let q = 0; q < n; q++) {
        let ab = 0, abs = 0;
        for (let p = 0; p < k; p++) {
          const v = (transA ? a[p * m + r]! : a[r * k + p]!) * (transB ? b[q * k + p]! : b[p * n + q]!);
          ab += v; abs += Math.abs(v);
        }
        const want = alpha * ab + beta * c0[r * n + q]!;
        const bound = (k + 4) * EPS32 * (Math.abs(alpha) * abs + Math.abs(beta) * Math.abs(c0[r * n + q]!));
        const err = Math.abs(c[r * n + q]! - want);
        if (!(err <= bound)) throw new Error(`${be.name}: m=${m} n=${n} k=${k} tA=${transA} tB=${transB} α=${alpha} β=${beta}: |err| ${err} > bound ${bound}`);
        worst = Math.max(worst, bound > 0 ? err / bound : 0);
        checked++;
      }
    }
  }
  return { checked, worst };
}

async function main(): Promise<void> {
  const out: Outcome[] = [];
  const g = globalThis as unknown as { crossOriginIsolated: boolean };
  for (const name of ['js', 'wasm', 'threads', 'gpujs'] as const) {
    const t0 = performance.now();
    try {
      // threads: minFlopsPerThread 1 splits even the smallest products over the three threads.
      const be = name === 'threads' ? await loadThreadsBackend({ threads: 3, minFlopsPerThread: 1 }) : await loadBackend(name);
      const r = check(be, new Rng(17));
      out.push({ name, backend: be.name, ...r, ms: performance.now() - t0 });
    } catch (e) {
      out.push({ name, checked: 0, worst: NaN, error: (e as Error).message, ms: performance.now() - t0 });
    }
  }
  // Which kernel class gpu.js picks in 'gpu' mode here: WebGL2Kernel / WebGLKernel, or CPUKernel (a silent fallback).
  const ns = gpujsNs as unknown as { GPU?: new (o: object) => { Kernel: { name: string } }; default?: { GPU: new (o: object) => { Kernel: { name: string } } } };
  const GPU = ns.GPU ?? ns.default!.GPU;
  const gpujsKernel = new GPU({ mode: 'gpu' }).Kernel.name;
  (globalThis as unknown as { __results: unknown }).__results = { crossOriginIsolated: g.crossOriginIsolated, gpujsKernel, outcomes: out };
  document.body.dataset['state'] = 'done';
}
void main();
