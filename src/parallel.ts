/**
 * `spindiff/parallel`: work split over worker threads, with the same results as the one-thread
 * calls — Node worker_threads, or module Web Workers in browsers (started from bundled source
 * text, src/util/module-worker.ts; the data crosses by message).
 * The erasure machine over parts of its ε grid and PLE over ranges of spins (one call, or a pool
 * shared by concurrent fits), and sampling by row shards (SamplePool: pass it as augment's
 * `sampling` or generateSpins' hooks.sampling). Each worker bundle is large (README, bundle
 * sizes), so this is an entry of its own, not part of the root.
 */
export { erasureMachineParallel, inferPLEParallel, InferPool, inferExactMLEOnPool, poolFitRunner } from './ising/infer/parallel.js';
export type { ParallelOptions, PoolFitMethod } from './ising/infer/parallel.js';
export { SamplePool, MIN_ROW_STEPS } from './diffusion/shards.js';
export type { SamplePoolOptions } from './diffusion/shards.js';
