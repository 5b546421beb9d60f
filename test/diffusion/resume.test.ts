/**
 * Issue #13, 7: a run interrupted anywhere — between evaluations, inside an evaluation, after the
 * stop rule stopped it — and continued from its checkpoint writes the uninterrupted run's file,
 * byte for byte, whatever the stop rule. The oracle is the uninterrupted run itself.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { erasureMachine, sampleExact, skParams } from '../../src/ising/index.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import { splitForSeed, trainDiffusion } from '../../src/diffusion/augment.js';
import type { TrainDiffusionOptions } from '../../src/diffusion/augment.js';
import { encodeTrainState, resumeRun } from '../../src/diffusion/checkpoint.js';

const data = sampleExact(skParams(6, 1, new Rng(1)), 300, new Rng(2));
const { train, test } = splitForSeed(data, 1);
const thetaTrain = erasureMachine(train).params;
const cfg = { ...DEFAULT_TRAIN, iterations: 60, batchSize: 16 };
const base: TrainDiffusionOptions = {
  network: { n: 6, widths: [8, 16], timeDim: 8, T: cfg.T, residual: true }, train: cfg,
  sampler: { steps: 5 }, evalEvery: 5, evalSamples: 40, test, thetaTrain, stopRule: { patience: 1 },
};
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Run until the signal turns on once the trainer reaches iteration `at`, then resume from the final file. */
async function cutAndResume(o: TrainDiffusionOptions, at: number): Promise<{ cutIteration: number; evaluated: number[]; file: Uint8Array }> {
  const tr = new DiffusionTrainer(train, o.network, o.train);
  const cut = await trainDiffusion(train, { ...o, resume: tr, signal: { get aborted() { return tr.iteration >= at; } } });
  const bytes = encodeTrainState(cut, true);
  const resumed = await trainDiffusion(train, { ...o, ...resumeRun(bytes, train) });
  return { cutIteration: cut.trainer.iteration, evaluated: cut.curve.map((p) => p.iteration), file: encodeTrainState(resumed, true) };
}

describe('resume gives the uninterrupted run\'s file', () => {
  const fullRunP = trainDiffusion(train, base);

  it('energy-variance stop: interrupted between evaluations, and inside one', async () => {
    const full = encodeTrainState(await fullRunP, true);
    const between = await cutAndResume(base, 25);
    expect(between.cutIteration).toBe(25);
    expect(same(between.file, full)).toBe(true);
    // At 30 the signal turns on after the step, so the evaluation of iteration 30 is cut short:
    // nothing of it is recorded, and the resumed run evaluates iteration 30 first.
    const inside = await cutAndResume(base, 30);
    expect(inside.cutIteration).toBe(30);
    expect(inside.evaluated.at(-1)).toBe(25);
    expect(same(inside.file, full)).toBe(true);
  });

  it('a run the stop rule has stopped stays stopped when resumed', async () => {
    const fullRun = await fullRunP;
    const full = encodeTrainState(fullRun, true);
    expect(fullRun.trainer.iteration).toBeLessThan(cfg.iterations); // the rule did stop it
    const again = await trainDiffusion(train, { ...base, ...resumeRun(full, train) });
    expect(again.trainer.iteration).toBe(fullRun.trainer.iteration);
    expect(same(encodeTrainState(again, true), full)).toBe(true);
  });

  it('no stop rule: the same', async () => {
    const o: TrainDiffusionOptions = { ...base, stop: 'none' };
    const none = encodeTrainState(await trainDiffusion(train, o), true);
    expect(same((await cutAndResume(o, 25)).file, none)).toBe(true);
  });
});
