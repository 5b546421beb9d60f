/** The paper's figures as experiments, loaded lazily by name. */
import type { Experiment } from './harness.js';

export * from './harness.js';

/** Each experiment's module, imported on first use (one literal import() each, so bundles split them). */
const loaders = {
  fig2: async () => (await import('./fig2.js')).fig2,
  fig3: async () => (await import('./fig3.js')).fig3,
  fig4: async () => (await import('./fig4.js')).fig4,
  fig5: async () => (await import('./fig5.js')).fig5,
  fig6: async () => (await import('./fig6.js')).fig6,
  tails: async () => (await import('./tails.js')).tails,
  generators: async () => (await import('./generators.js')).generators,
  estimators: async () => (await import('./estimators.js')).estimators,
  robustness: async () => (await import('./robustness.js')).robustness,
} satisfies Record<string, () => Promise<Experiment>>;

export type ExperimentName = keyof typeof loaders;
export const experimentNames = Object.keys(loaders) as readonly ExperimentName[];

export async function loadExperiment(name: string): Promise<Experiment> {
  if (!Object.hasOwn(loaders, name)) throw new Error(`unknown experiment '${name}' (experiments: ${experimentNames.join(', ')})`);
  return loaders[name as ExperimentName]();
}
