/**
 * `spindiff/node`: the Node-only helpers — data and params files, atomic writes, and the CLI's
 * main() (the `spindiff` command as a function: `await cliMain(['sk', '--n', '10'], io)`).
 * The core API is the root entry, `spindiff`.
 */
export { writeFileAtomic } from './io/atomic.js';
export { main as cliMain } from './cli/main.js';
export type { CliContext } from './cli/context.js';
export * from './io/files.js';
// Erasure machine and PLE on worker threads (same results as erasureMachine / inferPLE); a pool
// shared by concurrent fits, and a FitRunner on it for runDemo / compareMethodsOn.
export { erasureMachineParallel, inferPLEParallel, InferPool, inferExactMLEOnPool, poolFitRunner } from './ising/infer/parallel.js';
export type { ParallelOptions, PoolFitMethod } from './ising/infer/parallel.js';
// Sampling on worker threads, by row shards (the same rows as sampleLoop on the wasm or threads
// backend): pass it as augment's `sampling` or generateSpins' hooks.sampling.
export { SamplePool } from './diffusion/shards.js';
// The erasure machine's 4-lane passes in WebAssembly SIMD (the CLI and the parallel runs turn them on).
export { enableWasmLanes } from './ising/blocked-wasm.js';
