// runDemo with a side-by-side fit runner starts its fits after generation from augment's
// onGenerated: the same results as one after another on this thread; Ctrl-C (the signal) or a
// failing final fit while they run ends the demo with that error, and the pool goes on serving.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDemo } from '../../src/experiments/demo.js';
import type { DemoOptions } from '../../src/experiments/demo.js';
import { InferPool, inferPLEParallel, poolFitRunner } from '../../src/ising/infer/parallel.js';
import type { FitRunner } from '../../src/diffusion/compare.js';
import { inferPLE, sampleExact, skParams } from '../../src/ising/index.js';
import { Rng } from '../../src/random/index.js';

const base: DemoOptions = {
  n: 8, g: 1, M: 200, seed: 1, samples: 300, compare: ['ple', 'mle'],
  augment: { preset: 'tiny', train: { iterations: 40, batchSize: 32 }, evalEvery: 20, evalSamples: 50, sampler: { steps: 5 } },
};
let pool: InferPool;
beforeAll(async () => { pool = await InferPool.start(2); });
afterAll(() => pool.close());

it('the early fits give the serial results; an abort or a failing final fit while they run ends the demo', async () => {
  const fits = poolFitRunner(pool);
  const stages: string[] = [];
  const side = await runDemo({ ...base, fits, onProgress: (s) => { if (!stages.includes(s)) stages.push(s); } });
  const serial = await runDemo(base);
  expect(side.details['compare']).toEqual(serial.details['compare']);
  for (const k of ['mse_aug_only', 'mse_obs_train_and_test', 'mse_obs', 'mse_aug_obs']) expect(side.details[k]).toEqual(serial.details[k]);
  expect(stages.at(-1)).toBe('infer');
  expect(Object.keys(side.details['timings'] as object)).toContain('fits after generation');

  // Ctrl-C once the final fit has started (the six others run on the pool then)
  const signal = { aborted: false };
  await expect(runDemo({ ...base, fits, signal, onProgress: (s) => { if (s === 'infer') signal.aborted = true; } })).rejects.toThrow(/aborted/);

  // the final fit fails: the demo ends with its error (the early fits are told to stop; their
  // rejections are handled: vitest fails a test on an unhandled rejection, as it would above too)
  const failing: FitRunner = { sideBySide: true, fit: (m, d, sig) => (m === 'em' && d.m === base.M + base.samples ? Promise.reject(new Error('final fit failed')) : fits.fit(m, d, sig)) };
  await expect(runDemo({ ...base, fits: failing })).rejects.toThrow('final fit failed');

  // the pool still serves
  const rng = new Rng(3);
  const data = sampleExact(skParams(6, 1, rng), 300, rng);
  expect(Array.from((await inferPLEParallel(data, { pool })).params.w)).toEqual(Array.from(inferPLE(data).params.w));
}, 120_000);
