/**
 * The train/sample interface shared by every generative model (diffusion, RBM, VAE, GAN):
 * a fit function turns observed spins into a model; a model draws m new configurations.
 * Structurally the same as `GenerativeModel` of docs/CONTRACTS.md (diffusion section).
 */
import type { Rng } from '../random/index.js';
import type { SpinData } from '../ising/types.js';
import type { LoopHooks } from '../util/abort.js';

export interface GenerativeModel {
  name: string;
  sample(m: number, rng: Rng, opts?: Record<string, unknown>): SpinData;
}

/** The fit functions' hooks: the shared ones. */
export type FitHooks = LoopHooks;

/** Per-epoch training record every fit function returns beside the model. */
export interface FitHistory {
  epochs: number[];
  loss: number[];
}
