/** Core Ising types: plain typed arrays, float64 parameters. */
import type { IsingParams } from '../types/index.js';
export type { IsingParams, SpinData } from '../types/index.js';
export { cloneParams, makeSpinData, zeroParams } from '../types/index.js';

/** What each inference method reports about its fit, by the method name of its result. */
export interface DiagnosticsByMethod {
  /** Erasure machine: the chosen ε, the score (mean data energy) of every ε tried. */
  em: { epsilon: number; scores: number[]; uniquePatterns: number; samples: number; blockBits: number };
  /** Pseudo-likelihood: Newton iterations and gradient of the worst spin; spins that did not converge. */
  ple: { newtonIterationsMax: number; gradMax: number; converged: boolean; unconvergedSpins: number[]; uniquePatterns: number };
  /** Exact maximum likelihood (enumeration): the moment mismatch at the end. */
  'mle-exact': { gradMax: number; iterations: number; evaluations: number; converged: boolean };
  /** Maximum likelihood with MCMC moments. */
  'mle-mcmc': { lastGradMax: number; acceptance: number };
  /** Naive mean field. */
  nmf: Record<string, never>;
  /** TAP: spins where the TAP equation had no real root and nMF was used. */
  tap: { nmfFallbacks: number };
  /** Interaction screening (RISE, logRISE, RPLE): the worst KKT residual and Newton iterations over spins. */
  rise: ScreeningDiagnostics;
  logrise: ScreeningDiagnostics;
  rple: ScreeningDiagnostics;
}

export interface ScreeningDiagnostics { kktMax: number; newtonIterationsMax: number; converged: boolean; unconvergedSpins: number[]; uniquePatterns: number }

export type InferMethod = keyof DiagnosticsByMethod;

/** The result of one method: the params plus how they were obtained. */
export interface InferResultOf<M extends InferMethod> {
  params: IsingParams;
  method: M;
  settings: Record<string, unknown>;
  diagnostics: DiagnosticsByMethod[M];
}

/** What every inference method returns; `method` tells which diagnostics it carries. */
export type InferResult = { [M in InferMethod]: InferResultOf<M> }[InferMethod];

/** Optional hooks for long loops, the shared ones (kept importable from here, where ising's options find them). */
export type { LoopHooks } from '../util/abort.js';
