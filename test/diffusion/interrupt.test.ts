/**
 * Interruption inside training (issue 13, category 1): a stop during an energy-variance
 * evaluation leaves a state whose resume redoes that evaluation, so the curve has the same
 * iterations (and the trainer the same losses) as an uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, DiffusionTrainer, TrainingDivergedError } from '../../src/diffusion/train.js';
import { trainDiffusion } from '../../src/diffusion/augment.js';
import { encodeCheckpoint, resumeTrainer } from '../../src/diffusion/checkpoint.js';
import { sampleExact, skParams } from '../../src/ising/index.js';
import { Rng } from '../../src/random/index.js';

const theta = skParams(5, 1, new Rng(3));
const train = sampleExact(theta, 60, new Rng(4));
const test = sampleExact(theta, 60, new Rng(5));
const net = { n: 5, widths: [8, 16], timeDim: 8, T: 40, residual: true };
const cfg = { ...DEFAULT_TRAIN, iterations: 20, batchSize: 8, T: 40, lrSchedule: 'constant' as const };
const opts = { network: net, train: cfg, sampler: { sampler: 'ddim' as const, steps: 3, eta: 1, batch: 64 }, evalEvery: 5, evalSamples: 20, test, thetaTrain: theta, stopRule: { minIterations: 100, patience: 100 } };

describe('trainDiffusion interrupted during an evaluation', () => {
  it('stops there, and a resume redoes the evaluation before training on', async () => {
    const full = await trainDiffusion(train, opts);
    expect(full.curve.map((p) => p.iteration)).toEqual([5, 10, 15, 20]);

    const trainer = new DiffusionTrainer(train, net, cfg);
    // Becomes set inside the evaluation at iteration 10 (the loop reads it before each step too).
    const signal = { get aborted() { return trainer.iteration >= 10; } };
    const cut = await trainDiffusion(train, { ...opts, resume: trainer, signal });
    expect(cut.trainer.iteration).toBe(10);
    expect(cut.curve.map((p) => p.iteration)).toEqual([5]);

    const resumed = resumeTrainer(encodeCheckpoint(cut.trainer), train, {}, 'cut');
    const rest = await trainDiffusion(train, { ...opts, resume: resumed, resumeCurve: cut.curve, resumeBest: cut.best });
    expect(rest.curve.map((p) => p.iteration)).toEqual([5, 10, 15, 20]);
    expect(rest.trainer.losses).toEqual(full.trainer.losses);
  });

  it('a non-finite loss stops training with the iteration, before the weights are updated', () => {
    const tr = new DiffusionTrainer(train, net, { ...cfg, lr: 1e8, gradClip: 0, emaDecay: 0 });
    let err: unknown = null;
    const before: number[][] = [];
    try {
      for (let k = 0; k < 200; k++) {
        before.splice(0, 1, Array.from(tr.net.stateDict({ copy: true })['mlp_out.weight']!.data));
        tr.step();
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as TrainingDivergedError).iteration).toBe(tr.iteration + 1);
    expect((err as Error).message).toMatch(/^training diverged: the loss is (NaN|Infinity) at iteration \d+; lower the learning rate or enable gradient clipping$/);
    expect(Array.from(tr.net.stateDict({ copy: true })['mlp_out.weight']!.data)).toEqual(before[0]);
  });
});
