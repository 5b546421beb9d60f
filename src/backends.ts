/**
 * `spindiff/backends`: the optional accelerated tensor backends, loaded on demand and chosen
 * explicitly — `setBackend(await loadBackend('wasm'))`. The same names in Node and in browsers
 * (the package's export conditions pick a build): wasm runs anywhere with WebAssembly SIMD;
 * threads uses worker_threads in Node and Web Workers in a cross-origin isolated page (COOP/COEP);
 * gpujs needs the optional peer gpu.js (in a page: a bundler resolves it to its browser build, or
 * load gpu-browser.js with a script tag, or pass the module as `gpujs`).
 */
import type { Backend } from './tensor/backend/types.js';
import { BACKEND_NAMES, loadBackend as loadNamed } from './tensor/backend/wasm/select.js';
import type { BackendName, LoadBackendOptions as SelectOptions } from './tensor/backend/wasm/select.js';
import { gpujsHasGpu, loadGpujsBackend } from './tensor/backend/gpujs.js';
import type { GpujsBackend, GpujsModule } from './tensor/backend/gpujs.js';

export { BACKEND_NAMES, gpujsHasGpu, loadGpujsBackend };
export type { Backend, BackendName, GpujsBackend, GpujsModule };
export { loadWasmBackend, wasmSimdSupported, relaxedSimdSupported } from './tensor/backend/wasm/index.js';
export { loadThreadsBackend } from './tensor/backend/threads.js';
export type { ThreadsBackend, ThreadsOptions } from './tensor/backend/threads.js';
export { getBackend, setBackend, withBackend } from './tensor/backend/registry.js';
export { jsBackend } from './tensor/backend/js.js';
// The erasure machine's 4-lane passes in WebAssembly SIMD (bit for bit the JavaScript ones).
export { enableWasmLanes } from './ising/blocked-wasm.js';

export interface LoadBackendOptions extends SelectOptions {
  /** gpujs: the gpu.js module to use (default: a page's global `GPU` from gpu-browser.js, else `import('gpu.js')`). */
  gpujs?: GpujsModule;
}

/**
 * Load a backend by name: 'js' | 'wasm' | 'threads' | 'gpujs'. wasm and threads backends are
 * created once per process or page (per thread count) and shared by later calls.
 */
export async function loadBackend(name: BackendName | (string & {}), opts: LoadBackendOptions = {}): Promise<Backend> {
  if (name !== 'gpujs') return loadNamed(name, opts);
  // gpu-browser.js defines a global GPU class carrying the module's other exports (GPU.input, …),
  // unless the browser has WebGPU, whose interface is also called GPU: check for gpu.js's input.
  const global = (globalThis as { GPU?: { input?: unknown } }).GPU;
  const input = typeof global === 'function' ? (global as { input?: unknown }).input : undefined;
  const module = opts.gpujs ?? (typeof input === 'function' ? ({ GPU: global, input } as unknown as GpujsModule) : undefined);
  return loadGpujsBackend({ mode: opts.gpujsMode ?? 'gpu', ...(module ? { module } : {}) });
}
