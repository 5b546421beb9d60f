/**
 * Fit other inference methods on observed-only and on observed + generated data, so every
 * report shows whether augmentation helps them too (and whether exact MLE on the observed data
 * alone beats augmented EM, as it did in the reference runs at n = 20).
 */
import { concatData } from '../io/data.js';
import { erasureMachine } from '../ising/infer/em.js';
import { inferExactMLE } from '../ising/infer/mle.js';
import { inferPLE } from '../ising/infer/ple.js';
import type { InferResult, IsingParams, SpinData } from '../ising/index.js';
import type { AbortLike } from '../util/abort.js';

export type CompareMethod = 'em' | 'ple' | 'mle';

export const COMPARE_METHODS: Record<CompareMethod, (d: SpinData, signal?: AbortLike) => InferResult> = {
  em: (d, signal) => erasureMachine(d, { signal }),
  ple: (d, signal) => inferPLE(d, { signal }),
  mle: (d, signal) => inferExactMLE(d, { signal }),
};

/**
 * Where fits run: `fit` returns what COMPARE_METHODS[method] returns on the calling thread. The
 * Node CLI injects one that runs on worker threads (poolFitRunner in ising/infer/parallel.ts),
 * so fits started together run side by side; the core itself starts no workers.
 */
export interface FitRunner {
  fit(method: CompareMethod, data: SpinData, signal?: AbortLike): Promise<InferResult>;
  /** Fits started together run side by side (worker threads), so a caller may start them early. */
  sideBySide?: boolean;
}

/** Fits one after another on the calling thread. */
export const SERIAL_FITS: FitRunner = {
  fit: async (method, data, signal) => COMPARE_METHODS[method](data, signal),
};

/** Largest n for which 'auto' includes exact MLE (enumeration of 2ⁿ states per gradient step). */
export const AUTO_COMPARE_MLE_N = 20;

export interface Comparison {
  method: CompareMethod;
  observed: IsingParams;
  augmented: IsingParams;
}

/**
 * Parse a comparison list: 'auto' (ple, plus exact mle for n ≤ 20), 'none', or a comma list of
 * em, ple, mle. Throws naming the unknown method.
 */
export function parseCompareList(spec: string, n: number): CompareMethod[] {
  if (spec === 'none') return [];
  if (spec === 'auto') return n <= AUTO_COMPARE_MLE_N ? ['ple', 'mle'] : ['ple'];
  const list = spec.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const m of list) if (!(m in COMPARE_METHODS)) throw new Error(`unknown method '${m}' (em, ple, mle, auto, none)`);
  return list as CompareMethod[];
}

/** Fit each method on `observed` and on observed + generated (on the calling thread). */
export function compareMethods(observed: SpinData, generated: SpinData, methods: readonly CompareMethod[],
  signal?: AbortLike): Comparison[] {
  const both = methods.length > 0 ? concatData([observed, generated]) : observed;
  return methods.map((m) => ({
    method: m,
    observed: COMPARE_METHODS[m](observed, signal).params,
    augmented: COMPARE_METHODS[m](both, signal).params,
  }));
}

/** compareMethods with the fits started together on `runner` (the same results). */
export async function compareMethodsOn(runner: FitRunner, observed: SpinData, generated: SpinData, methods: readonly CompareMethod[],
  signal?: AbortLike): Promise<Comparison[]> {
  const both = methods.length > 0 ? concatData([observed, generated]) : observed;
  return await Promise.all(methods.map(async (m) => {
    const [o, a] = await Promise.all([runner.fit(m, observed, signal), runner.fit(m, both, signal)]);
    return { method: m, observed: o.params, augmented: a.params };
  }));
}
