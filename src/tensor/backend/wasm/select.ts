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

/**
 * js: the plain-JS specification. wasm: WebAssembly SIMD GEMM and GELU on the calling thread.
 * threads: the wasm kernels with the GEMM split over worker_threads (Node). gpujs: gpu.js
 * matmul (optional peer dependency).
 */
export async function loadBackend(name: string, opts: LoadBackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'js':
      return jsBackend;
    case 'wasm':
      await (await import('./node-flags.js')).enableRelaxedSimd();
      return (await import('./index.js')).loadWasmBackend();
    case 'threads':
      return (await import('../threads.js')).loadThreadsBackend(opts.threads === undefined ? {} : { threads: opts.threads });
    case 'gpujs':
      return (await import('../gpujs.js')).loadGpujsBackend({ mode: opts.gpujsMode ?? 'gpu' });
    default:
      throw new Error(`unknown backend '${name}' (expected one of ${BACKEND_NAMES.join(', ')})`);
  }
}
