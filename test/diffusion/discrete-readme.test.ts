// The README's discrete-diffusion example runs as written.
import { expect, test } from 'vitest';
import { Rng, skParams, sampleExact, DiffusionTrainer, DEFAULT_TRAIN, presetConfig, generatorConfig, discreteSampleLoop, runStepLoop } from '../../src/index.js';

test('README discrete example', () => {
  const rng = new Rng(1);
  const data = sampleExact(skParams(8, 1, rng), 500, rng);
  const generator = generatorConfig('masked');
  const tr = new DiffusionTrainer(data, presetConfig('tiny', 8), { ...DEFAULT_TRAIN, iterations: 30, batchSize: 64, generator });
  while (tr.iteration < 30) tr.step();
  const { data: gen, rowEvaluations } = runStepLoop(discreteSampleLoop(tr.net, generator, 200, new Rng(2), { steps: 100 }));
  expect(gen.m).toBe(200);
  expect(rowEvaluations / gen.m).toBeLessThanOrEqual(8);
});
