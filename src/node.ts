/** The Node entry: the browser-safe core plus file helpers. */
export * from './index.js';
export { writeFileAtomic } from './io/atomic.js';
export { main as cliMain } from './cli/main.js';
export * from './io/files.js';
// Erasure machine and PLE on worker threads (same results as erasureMachine / inferPLE).
export { erasureMachineParallel, inferPLEParallel } from './ising/infer/parallel.js';
export type { ParallelOptions } from './ising/infer/parallel.js';
// Optional accelerated backends (wasm-simd, threads, gpu.js), imported on demand; Node only,
// kept out of the browser core so that it never contains WebAssembly compilation.
export { loadBackend } from './tensor/backend/wasm/select.js';
