/** The paper's figures as experiments, loaded lazily by name. */
import type { Experiment } from './harness.js';

export * from './harness.js';

export const experimentNames = ['fig2', 'fig3', 'fig4', 'fig5', 'fig6', 'tails', 'generators', 'estimators', 'robustness'] as const;
export type ExperimentName = (typeof experimentNames)[number];

export async function loadExperiment(name: string): Promise<Experiment> {
  switch (name) {
    case 'fig2':
      return (await import('./fig2.js')).fig2;
    case 'fig3':
      return (await import('./fig3.js')).fig3;
    case 'fig4':
      return (await import('./fig4.js')).fig4;
    case 'fig5':
      return (await import('./fig5.js')).fig5;
    case 'fig6':
      return (await import('./fig6.js')).fig6;
    case 'tails':
      return (await import('./tails.js')).tails;
    case 'generators':
      return (await import('./generators.js')).generators;
    case 'estimators':
      return (await import('./estimators.js')).estimators;
    case 'robustness':
      return (await import('./robustness.js')).robustness;
    default:
      throw new Error(`unknown experiment '${name}' (experiments: ${experimentNames.join(', ')})`);
  }
}
