// The jobs of parallel inference, run the same way on a worker and on the calling thread: an
// erasure-machine run over a part of the ε grid, the PLE regressions of a range of spins, or a
// whole exact-MLE fit (its enumerations cannot be split without changing the sums' order).
import { erasureMachine } from './em.js';
import type { ErasureMachineOptions } from './em.js';
import { inferExactMLE } from './mle.js';
import type { ExactMLEOptions } from './mle.js';
import { fitPLESpins, plePatterns } from './ple.js';
import type { PLEOptions, PLESpinFits } from './ple.js';
import type { Patterns } from '../patterns.js';
import type { InferResult, SpinData } from '../types.js';
import type { AbortLike } from '../../util/abort.js';

/** Options that travel to a worker (no callbacks, no signal). */
export type EMJobOptions = Omit<ErasureMachineOptions, 'onProgress' | 'signal'>;
export type PLEJobOptions = Omit<PLEOptions, 'onProgress' | 'signal' | 'weights'>;
export type MLEJobOptions = Omit<ExactMLEOptions, 'onProgress' | 'signal' | 'moments'>;

export type InferJob =
  | { kind: 'em'; opts: EMJobOptions }
  | { kind: 'ple'; opts: PLEJobOptions; i0: number; i1: number }
  | { kind: 'mle'; opts: MLEJobOptions };

/** A data set a worker keeps for its jobs: the samples (and PLE's row weights, if any). */
export interface WorkerData { data: SpinData; weights?: Float64Array }

/** What a pool sends a worker: a data set to keep under a key, a key to drop, or a job on a kept set. */
export type PoolRequest =
  | { dataset: number; data: WorkerData }
  | { drop: number }
  | { id: number; dataset: number; job: InferJob };

export type WorkerMessage =
  | { id: number; progress: number }
  | { id: number; result: InferResult | PLESpinFits }
  | { id: number; error: string };

/**
 * Run one job. `cache` keeps what several jobs on one worker share (PLE's unique patterns).
 * `progress(done)` reports steps done within the job (EM iterations, PLE spins).
 */
export function runInferJob(d: WorkerData, job: InferJob, cache: Map<string, unknown>, progress: (done: number) => void,
  signal?: AbortLike): InferResult | PLESpinFits {
  if (job.kind === 'em') return erasureMachine(d.data, { ...job.opts, onProgress: (done) => progress(done), ...(signal ? { signal } : {}) });
  if (job.kind === 'mle') return inferExactMLE(d.data, { ...job.opts, onProgress: (done) => progress(done), ...(signal ? { signal } : {}) });
  let pt = cache.get('ple') as Patterns | undefined;
  if (!pt) {
    pt = plePatterns(d.data, d.weights);
    cache.set('ple', pt);
  }
  return fitPLESpins(pt, { ...job.opts, onProgress: (done) => progress(done), ...(signal ? { signal } : {}) }, job.i0, job.i1);
}
