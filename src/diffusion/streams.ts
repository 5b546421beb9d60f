/**
 * The random streams of a diffusion run, each derived by name from the run's seed (as jax's
 * `fold_in`, see Rng.fold): no stream depends on how many others were drawn or in which order, so
 * a resumed run, a run with evaluations switched off and a run on another backend draw the same
 * numbers where they overlap.
 *   init          the network's initial weights
 *   train, k      iteration k's minibatch rows, steps and noise
 *   eval, it      the samples of the stop rule's evaluation after iteration `it`
 *   split         the train / test halves when no test set is given
 *   generate      the M⁺ generated configurations
 */
import { Rng } from '../random/index.js';

export interface RunStreams {
  init(): Rng;
  train(k: number): Rng;
  eval(iteration: number): Rng;
  split(): Rng;
  generate(): Rng;
}

export function runStreams(seed: number): RunStreams {
  const key = new Rng(seed);
  return {
    init: () => key.fold('init'),
    train: (k) => key.fold('train', k),
    eval: (iteration) => key.fold('eval', iteration),
    split: () => key.fold('split'),
    generate: () => key.fold('generate'),
  };
}
