/**
 * The train/sample interface shared by every generative model (diffusion, RBM, VAE, GAN):
 * a fit function turns observed spins into a model; a model draws m new configurations.
 * Structurally the same as `GenerativeModel` of docs/CONTRACTS.md (diffusion section).
 */
import type { Rng } from '../random/index.js';
import type { SpinData } from '../ising/types.js';

export interface GenerativeModel {
  name: string;
  sample(m: number, rng: Rng, opts?: Record<string, unknown>): SpinData;
}

export interface FitHooks {
  onProgress?: (done: number, total: number, info?: Record<string, number>) => void;
  signal?: { aborted: boolean };
}

/** Per-epoch training record every fit function returns beside the model. */
export interface FitHistory {
  epochs: number[];
  loss: number[];
}
