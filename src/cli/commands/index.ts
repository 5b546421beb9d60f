/**
 * The command registry. Each entry loads its module lazily, so `spindiff sk` does not pay for
 * the diffusion code. Add a command: one line here, one module in this folder.
 */
import type { Command } from '../context.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

export const commands: Record<string, CommandEntry> = {
  sk: { summary: 'draw Sherrington-Kirkpatrick parameters', load: async () => (await import('./sk.js')).default },
  model: { summary: 'draw a true model: sk | lattice | er (Erdős–Rényi)', load: async () => (await import('./model.js')).default },
  simulate: { summary: 'sample spin configurations from parameters', load: async () => (await import('./simulate.js')).default },
  infer: { summary: 'infer couplings and fields from data (em|mle|ple|nmf|tap|rise|logrise|rple|auto)', load: async () => (await import('./infer.js')).default },
  score: { summary: 'MSE between true and inferred parameters', load: async () => (await import('./score.js')).default },
  reconstruct: { summary: 'fill hidden spins by maximum conditional probability', load: async () => (await import('./reconstruct.js')).default },
  kinetic: { summary: 'kinetic Ising time series: simulate | infer (nmf|tap|emf|mle|fem)', load: async () => (await import('./kinetic.js')).default },
  train: { summary: 'train the diffusion model on spin data', load: async () => (await import('./train.js')).default },
  sample: { summary: 'generate configurations with a trained diffusion model', load: async () => (await import('./sample.js')).default },
  augment: { summary: 'the whole pipeline: train, stop, generate, infer from observed + generated', load: async () => (await import('./augment.js')).default },
  attack: { summary: 'poison data within a budget against an estimator (random|fgsm|pgd|greedy)', load: async () => (await import('./attack.js')).default },
  experiment: { summary: "the paper's figures (fig2..fig6) and the studies (tails, robustness, estimators, generators); shard and merge sweeps", load: async () => (await import('./experiment.js')).default },
  playground: { summary: 'serve the playground page (simulate, infer, train, augment in the browser) on 127.0.0.1', load: async () => (await import('./playground.js')).default },
  demo: { summary: 'the main job on defaults: SK n=20, observed vs augmented inference, with a report', load: async () => (await import('./demo.js')).default },
};
