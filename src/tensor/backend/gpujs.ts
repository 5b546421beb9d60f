// gpu.js matmul backend (optional peer dependency, lazily imported): float32 GEMM as a gpu.js
// kernel, one compiled kernel per (shape, transposes), cached. gpu.js compiles kernels at run
// time (new Function / shaders), which is why the core never imports this file. Everything but
// float32 gemm is the JS backend's.
//
// Modes: 'gpu' (WebGL in browsers, headless-gl in Node when its native add-on is installed),
// 'webasm', 'cpu'. Selected explicitly; `gpujsHasGpu()` says whether a real GPU context exists.
import type { Storage } from '../dtype.js';
import type { Backend } from './types.js';
import { jsBackend } from './js.js';
import { at } from '../../util/checked.js';

export type GpujsMode = 'gpu' | 'cpu' | 'webasm' | 'webgl' | 'webgl2' | 'headlessgl';

export interface GpujsBackend extends Backend {
  readonly mode: string;
  destroy(): void;
}

// The four transpose cases: op(A)(y, p)·op(B)(p, x) summed over p < k.
/* eslint-disable @typescript-eslint/no-explicit-any */
function nn(this: any, a: any, b: any): number { let s = 0; for (let p = 0; p < this.constants.k; p++) s += a[this.thread.y][p] * b[p][this.thread.x]; return s; }
function nt(this: any, a: any, b: any): number { let s = 0; for (let p = 0; p < this.constants.k; p++) s += a[this.thread.y][p] * b[this.thread.x][p]; return s; }
function tn(this: any, a: any, b: any): number { let s = 0; for (let p = 0; p < this.constants.k; p++) s += a[p][this.thread.y] * b[p][this.thread.x]; return s; }
function tt(this: any, a: any, b: any): number { let s = 0; for (let p = 0; p < this.constants.k; p++) s += a[p][this.thread.y] * b[this.thread.x][p]; return s; }

type GpuModule = typeof import('gpu.js');

async function importGpujs(): Promise<GpuModule> {
  try {
    // A bundler that wraps gpu.js's browser build (UMD) as CommonJS gives its exports as `default`.
    const m = (await import('gpu.js')) as GpuModule & { default?: GpuModule };
    return m.GPU ? m : m.default!;
  } catch (e) {
    throw new Error(`gpujs backend: the optional peer dependency gpu.js is not installed (npm install gpu.js): ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Whether gpu.js can reach a real GPU context here (WebGL, or headless-gl in Node). */
export async function gpujsHasGpu(): Promise<boolean> {
  try {
    const { GPU } = await importGpujs();
    return GPU.isHeadlessGLSupported || GPU.isWebGLSupported || GPU.isWebGL2Supported;
  } catch {
    return false;
  }
}

/**
 * The gpu.js module, or what its browser build (gpu-browser.js) puts on the page: `{ GPU, input }`.
 * Typed structurally, so declarations need no gpu.js types.
 */
export interface GpujsModule { GPU: abstract new (settings?: never) => unknown; input?: unknown }

export async function loadGpujsBackend(opts: { mode?: GpujsMode; maxKernels?: number; module?: GpujsModule } = {}): Promise<GpujsBackend> {
  const mod = (opts.module as GpuModule | undefined) ?? await importGpujs();
  const { GPU } = mod;
  // `input` exists at run time but is declared only as a type in gpu.js's typings.
  const input = (mod as unknown as { input: (v: Float32Array, size: number[]) => unknown }).input;
  const gpu = new GPU({ mode: opts.mode ?? 'gpu' });
  const maxKernels = opts.maxKernels ?? 64;
  const kernels = new Map<string, (a: unknown, b: unknown) => unknown>();
  const kernelFor = (transA: boolean, transB: boolean, m: number, n: number, k: number): ((a: unknown, b: unknown) => unknown) => {
    const key = `${+transA}${+transB}:${m}x${n}x${k}`;
    let kern = kernels.get(key);
    if (!kern) {
      if (kernels.size >= maxKernels) kernels.delete(kernels.keys().next().value!); // oldest first
      const src = transA ? (transB ? tt : tn) : (transB ? nt : nn);
      kern = gpu.createKernel(src as any).setOutput([n, m]).setConstants({ k }).setPrecision('single') as unknown as (a: unknown, b: unknown) => unknown;
      kernels.set(key, kern);
    } else {
      kernels.delete(key); kernels.set(key, kern); // most recently used last
    }
    return kern;
  };
  return {
    ...jsBackend,
    name: `gpujs-${gpu.mode}`,
    mode: gpu.mode,
    gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void {
      if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) || m === 0 || n === 0 || k === 0) {
        jsBackend.gemm(transA, transB, m, n, k, a, b, c, alpha, beta);
        return;
      }
      // gpu.js input sizes are [width, height] of the stored (untransposed) arrays.
      const ia = input(a.subarray(0, m * k), transA ? [m, k] : [k, m]);
      const ib = input(b.subarray(0, k * n), transB ? [k, n] : [n, k]);
      const rows = kernelFor(transA, transB, m, n, k)(ia, ib) as ArrayLike<number>[];
      for (let i = 0; i < m; i++) {
        // gpu.js returns Float32Array rows; another kind of row is copied exactly into a Float64Array.
        const got = at(rows, i, 'gpu.js result rows');
        const r = got instanceof Float32Array ? got : Float64Array.from(got);
        if (r.length < n) throw new Error(`gpujs gemm: result row ${i} has ${r.length} values, expected ${n}`);
        for (let j = 0; j < n; j++) c[i * n + j] = alpha * r[j]! + (beta === 0 ? 0 : beta * c[i * n + j]!);
      }
    },
    destroy(): void {
      void gpu.destroy();
      kernels.clear();
    },
  };
}
