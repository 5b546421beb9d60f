/** Core Ising types: plain typed arrays, float64 parameters. */
import type { IsingParams } from '../types/index.js';
export type { IsingParams, SpinData } from '../types/index.js';
export { cloneParams, makeSpinData, zeroParams } from '../types/index.js';

/** What every inference method returns: the params plus how they were obtained. */
export interface InferResult {
  params: IsingParams;
  method: string;
  settings: Record<string, unknown>;
  diagnostics: Record<string, unknown>;
}

/** Optional hooks for long loops (library code never prints). */
export interface LoopHooks {
  onProgress?: (done: number, total: number, info?: Record<string, number>) => void;
  signal?: { aborted: boolean };
}
