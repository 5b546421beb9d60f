// matmul GFLOP/s for every spindiff backend (and thread count) at square sizes and the paper
// network's real shapes. Peers (tfjs, torch) are in bench/peers/.
import type { BenchCase, BenchOptions } from './types.js';
import type { Backend } from '../src/tensor/backend/types.js';
import { Rng } from '../src/random/index.js';
import { gemmViaArena, OperandArena } from '../src/tensor/backend/wasm/arena.js';
import { spindiffBackends } from './peers/backends.js';
import { gpujsHasGpu, loadGpujsBackend } from '../src/tensor/backend/gpujs.js';
import type { GpujsMode } from '../src/tensor/backend/gpujs.js';

/** m×n×k shapes: squares, then the n=40 network's biggest layer (batch 128 / 10,000, 1024→512). */
export function matmulShapes(quick: boolean): [number, number, number][] {
  const sq: [number, number, number][] = (quick ? [128, 256, 512] : [128, 256, 512, 1024]).map((s) => [s, s, s]);
  return [...sq, [128, 512, 1024], [512, 512, 1024]];
}

export function shapeName(m: number, n: number, k: number): string {
  return `${m}x${n}x${k}`;
}

function operands(m: number, n: number, k: number): { a: Float32Array; b: Float32Array; c: Float32Array } {
  const rng = new Rng(1);
  const a = new Float32Array(m * k), b = new Float32Array(k * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform() - 0.5;
  for (let i = 0; i < b.length; i++) b[i] = rng.uniform() - 0.5;
  return { a, b, c: new Float32Array(m * n) };
}

export function gemmCases(impl: string, backend: Backend, threads: number, quick: boolean): BenchCase[] {
  return matmulShapes(quick).map(([m, n, k]) => {
    let ops: { a: Float32Array; b: Float32Array; c: Float32Array } = { a: new Float32Array(0), b: new Float32Array(0), c: new Float32Array(0) };
    return {
      group: 'matmul', impl, name: `gemm ${shapeName(m, n, k)}`, threads, shape: shapeName(m, n, k), flops: 2 * m * n * k,
      repeats: m * n * k >= 512 ** 3 && impl === 'spindiff-js' ? 3 : undefined,
      setup: () => {
        const o = operands(m, n, k);
        // Storage owned by the backend (e.g. wasm memory) when it allocates.
        const a = backend.alloc('float32', m * k) as Float32Array; a.set(o.a);
        const b = backend.alloc('float32', k * n) as Float32Array; b.set(o.b);
        ops = { a, b, c: backend.alloc('float32', m * n) as Float32Array };
      },
      fn: () => backend.gemm(false, false, m, n, k, ops.a, ops.b, ops.c, 1, 0),
    };
  });
}

/** What the wasm backend pays per call to copy operands into its memory and C back out. */
function copyOverheadCases(quick: boolean): BenchCase[] {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16384 });
  const arena = new OperandArena(memory, 65536);
  return matmulShapes(quick).map(([m, n, k]) => {
    const { a, b, c } = operands(m, n, k);
    return {
      group: 'matmul-overhead', impl: 'wasm-copy-in-out', name: `operand copies ${shapeName(m, n, k)}`, shape: shapeName(m, n, k),
      fn: () => gemmViaArena(arena, false, false, m, n, k, a, b, c, 1, 0, () => {}),
    };
  });
}

export default async function cases(o: BenchOptions): Promise<BenchCase[]> {
  const out: BenchCase[] = [];
  for (const s of await spindiffBackends()) {
    if (s.skip) out.push({ group: 'matmul', impl: s.impl, name: 'gemm', threads: s.threads, skip: s.skip, fn: () => {} });
    else out.push(...gemmCases(s.impl, s.backend!, s.threads, o.quick));
  }
  // gpu.js (optional peer): its Node modes, and the GPU where a real context exists. Slow on CPU,
  // so only shapes up to 512³.
  const modes: GpujsMode[] = ['webasm', 'cpu'];
  if (await gpujsHasGpu()) modes.unshift('gpu');
  for (const mode of modes) {
    try {
      const be = await loadGpujsBackend({ mode });
      out.push(...gemmCases(`spindiff-gpujs-${mode}`, be, 1, o.quick).filter((c) => c.flops! <= 2 * 512 ** 3).map((c) => ({ ...c, repeats: 3 })));
    } catch (e) {
      out.push({ group: 'matmul', impl: `spindiff-gpujs-${mode}`, name: 'gemm', skip: (e as Error).message.split('\n')[0]!, fn: () => {} });
    }
  }
  out.push(...copyOverheadCases(o.quick));
  return out;
}
