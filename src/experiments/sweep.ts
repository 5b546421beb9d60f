/**
 * The common job of fig3 and fig4: one SK instance, observed-only inference, the diffusion model
 * trained with the energy-variance stop, and inference from generated (aug) and observed +
 * generated (aug+obs) data, for one or several M⁺ (prefixes of one generated set).
 */
import type { JobContext } from './harness.js';
import { concatSpins, headRows, inferEM, mseOf, runDiffusion, seedOf, skInstanceFor, type DiffusionSettings } from './pipeline.js';
import { last } from '../util/checked.js';

export interface AugmentJobResult {
  mse_obs: number;
  /** Per M⁺ (ascending). */
  samples: number[];
  mse_aug: number[];
  mse_aug_obs: number[];
  stop_iteration: number;
  chosen_iteration: number;
  crossed: boolean | null;
  [k: string]: unknown;
}

export async function augmentJob(n: number, g: number, M: number, seed: number, samples: number[], d: DiffusionSettings, ctx: JobContext): Promise<AugmentJobResult> {
  const inst = skInstanceFor(n, g, M, seed);
  const obs = inferEM(inst.train);
  const sorted = [...samples].sort((a, b) => a - b);
  const max = last(sorted, 'sample counts');
  const r = await runDiffusion(inst.train, inst.test, max, seedOf('diffusion', n, g, M, seed), d, ctx);
  const mseAug: number[] = [];
  const mseAugObs: number[] = [];
  for (const k of sorted) {
    const gen = headRows(r.generated, k);
    mseAug.push(mseOf(inst.truth, inferEM(gen)));
    mseAugObs.push(k === max ? mseOf(inst.truth, r.params) : mseOf(inst.truth, inferEM(concatSpins([inst.train, gen]))));
  }
  return {
    mse_obs: mseOf(inst.truth, obs),
    samples: sorted,
    mse_aug: mseAug,
    mse_aug_obs: mseAugObs,
    stop_iteration: r.stopIteration,
    chosen_iteration: r.chosenIteration,
    crossed: r.decision?.crossed ?? null,
  };
}
