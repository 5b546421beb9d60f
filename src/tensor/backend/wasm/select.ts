// Choosing a backend by name (for the CLI and library users, Node): `await loadBackend('wasm')`,
// then setBackend(b). Backends are chosen explicitly, never silently. The optional backends are
// imported on demand, so importing this file pulls in neither worker_threads nor gpu.js.
import type { Backend } from '../types.js';
import { jsBackend } from '../js.js';

export const BACKEND_NAMES = ['js', 'wasm', 'threads', 'gpujs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface LoadBackendOptions {
  /** threads: workers including the caller (default: the core count). */
  threads?: number;
  /** gpujs: 'gpu' (default), 'webasm' or 'cpu'. */
  gpujsMode?: 'gpu' | 'cpu' | 'webasm';
}

/** One wasm backend and one thread pool per thread count per process (workers are not free). */
let wasmOnce: Promise<Backend> | null = null;
const pools = new Map<number | undefined, Promise<Backend>>();

/**
 * js: the plain-JS specification. wasm: WebAssembly SIMD GEMM and GELU on the calling thread.
 * threads: the wasm kernels with GEMMs and plans split over worker_threads (Node). gpujs:
 * gpu.js matmul (optional peer dependency). wasm and threads backends are created once per
 * process (per thread count) and shared by later calls.
 */
export async function loadBackend(name: string, opts: LoadBackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'js':
      return jsBackend;
    case 'wasm':
      wasmOnce ??= (async () => {
        await (await import('./node-flags.js')).enableRelaxedSimd();
        return (await import('./index.js')).loadWasmBackend();
      })().catch((e: unknown) => { wasmOnce = null; throw e; }); // a failure is not cached
      return wasmOnce;
    case 'threads': {
      let pool = pools.get(opts.threads);
      if (!pool) {
        pool = import('../threads.js').then((m) => m.loadThreadsBackend(opts.threads === undefined ? {} : { threads: opts.threads }))
          .catch((e: unknown) => { pools.delete(opts.threads); throw e; });
        pools.set(opts.threads, pool);
      }
      return pool;
    }
    case 'gpujs':
      return (await import('../gpujs.js')).loadGpujsBackend({ mode: opts.gpujsMode ?? 'gpu' });
    default:
      throw new Error(`unknown backend '${name}' (expected one of ${BACKEND_NAMES.join(', ')})`);
  }
}
