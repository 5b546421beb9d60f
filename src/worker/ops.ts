// What a worker can run: the long operations of the public API, with options that survive a
// structured clone (a backend by name instead of a Backend object, an inference method by name
// instead of a function). Each op gets the worker's AbortSignal and a progress callback.
import { augment } from '../diffusion/augment.js';
import type { AugmentOptions } from '../diffusion/augment.js';
import type { InferResult, SpinData } from '../ising/types.js';
import { erasureMachine } from '../ising/infer/em.js';
import { inferPLE } from '../ising/infer/ple.js';
import { inferExactMLE } from '../ising/infer/mle.js';
import { loadBackend } from '../backends.js';
import type { BackendName, LoadBackendOptions } from '../backends.js';
import { UsageError } from '../util/errors.js';

export type InferMethod = 'em' | 'ple' | 'mle';

/**
 * augment()'s options as a worker takes them: those that cross by structured clone (`sampling` and
 * `onGenerated`, a pool and a function, are not available through a worker).
 */
export interface WorkerAugmentOptions extends Omit<AugmentOptions, 'backend' | 'infer' | 'onProgress' | 'signal' | 'sampling' | 'onGenerated'> {
  /** Backend to load inside the worker (default js). */
  backend?: BackendName;
  backendOptions?: Omit<LoadBackendOptions, 'gpujs'>;
  /** Inference method for both fits (default em, with its defaults). */
  inferMethod?: InferMethod;
}

export interface OpContext {
  signal: AbortSignal;
  progress: (...args: unknown[]) => void;
}

export function inferWith(method: InferMethod, data: SpinData, signal?: AbortSignal): InferResult {
  switch (method) {
    case 'em': return erasureMachine(data, signal ? { signal } : {});
    case 'ple': return inferPLE(data);
    case 'mle': return inferExactMLE(data);
    default: throw new UsageError(`unknown inference method '${String(method)}' (em, ple, mle)`);
  }
}

export const OPS = {
  async augment(ctx: OpContext, data: SpinData, o: WorkerAugmentOptions = {}) {
    const { backend, backendOptions, inferMethod, ...rest } = o;
    return augment(data, {
      ...rest,
      ...(backend ? { backend: await loadBackend(backend, backendOptions) } : {}),
      ...(inferMethod ? { infer: (d: SpinData) => inferWith(inferMethod, d, ctx.signal) } : {}),
      signal: ctx.signal,
      onProgress: (...a) => ctx.progress(...a),
    });
  },
  async infer(ctx: OpContext, data: SpinData, method: InferMethod = 'em') {
    return inferWith(method, data, ctx.signal);
  },
} satisfies Record<string, (ctx: OpContext, ...args: never[]) => Promise<unknown>>;

export type OpName = keyof typeof OPS;
