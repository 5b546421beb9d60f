/**
 * The demo as a library function: SK instance (M train + M test samples), observed-only
 * inference, diffusion training with the energy-variance stop, M⁺ generated, inference from
 * observed + generated; returns the numbers and a report (markdown + SVG). The CLI writes it.
 */
import { chart, grid } from '../plot/index.js';
import { augment, type AugmentOptions, type AugmentResult, type AugmentProgressFn } from '../diffusion/augment.js';
import { mse } from '../ising/metrics.js';
import { compareMethodsOn, SERIAL_FITS } from '../diffusion/compare.js';
import type { CompareMethod, FitRunner } from '../diffusion/compare.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import { paramsToJSON } from '../io/params.js';
import { concatSpins, paramPairs, seedOf, skInstanceFor } from './pipeline.js';
import { fmt, mdTable } from './harness.js';
import type { AbortLike, LoopHooks } from '../util/abort.js';

export interface DemoOptions extends LoopHooks<AugmentProgressFn> {
  n: number;
  g: number;
  M: number;
  seed: number;
  /** Generated samples M⁺. */
  samples: number;
  /** Passed to augment() (network preset, iterations, sampler, …). */
  augment?: Omit<AugmentOptions, 'test' | 'samples' | 'seed' | 'onProgress' | 'signal' | 'onGenerated'>;
  /** Also fit these methods on observed-only and observed + generated data (EM is always reported). */
  compare?: CompareMethod[];
  /** Where the inference fits run (default: one after another on this thread; the same numbers anywhere). */
  fits?: FitRunner;
  now?: () => number;
}

export interface DemoResult {
  summary: { n: number; M: number; mse_obs: number; mse_aug_obs: number; stop_iteration: number; seconds: number };
  details: Record<string, unknown>;
  truth: IsingParams;
  observed: IsingParams;
  augmented: IsingParams;
  markdown: string;
  svgs: Record<string, string>;
  files: Record<string, string>;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const now = o.now ?? (() => 0);
  const t0 = now();
  const inst = skInstanceFor(o.n, o.g, o.M, o.seed);
  const fits = o.fits ?? SERIAL_FITS;
  // The fits after generation are independent: started together, a runner with workers runs them
  // side by side, and then they start as soon as the generated samples exist, beside augment's
  // own final inference (the same numbers either way). If augment fails meanwhile, they stop too.
  let failed = false;
  const signal: AbortLike = { get aborted() { return failed || (o.signal?.aborted ?? false); } };
  const fitsOn = (generated: SpinData) => Promise.all([
    fits.fit('em', generated, signal),
    // Honesty: the observed-only inference could also use the test half (2M samples in all).
    fits.fit('em', concatSpins([inst.train, inst.test]), signal),
    // Other methods on the same observed and observed + generated data (exact MLE can beat augmented EM).
    compareMethodsOn(fits, inst.train, generated, (o.compare ?? []).filter((m) => m !== 'em'), signal),
  ]);
  const early: { fits?: ReturnType<typeof fitsOn>; start?: number } = {};
  let r: AugmentResult;
  try {
    r = await augment(inst.train, {
      ...o.augment,
      test: inst.test,
      samples: o.samples,
      seed: seedOf('demo-diffusion', o.seed),
      infer: (d) => fits.fit('em', d, o.signal),
      onProgress: o.onProgress,
      signal: o.signal,
      ...(fits.sideBySide ? { onGenerated: (g: SpinData) => { early.start = now(); early.fits = fitsOn(g); early.fits.catch(() => {}); } } : {}),
    });
  } catch (e) {
    failed = true;
    throw e;
  }
  const mObs = mse(inst.truth, r.observedParams);
  const mAug = mse(inst.truth, r.params);
  const tFits = early.start ?? now();
  const [augOnly, all, compared] = await (early.fits ?? fitsOn(r.generated));
  // From the end of generation (or of augment) to the last fit: with early fits, augment's 'infer'
  // time includes waiting for workers busy with them.
  const { total, ...stages } = r.timings;
  const timings = { ...stages, 'fits after generation': now() - tFits, total };
  const mAugOnly = mse(inst.truth, augOnly.params);
  const mAll = mse(inst.truth, all.params);
  const compare = compared.map((c) => ({ method: c.method, mse_obs: mse(inst.truth, c.observed).mse, mse_aug_obs: mse(inst.truth, c.augmented).mse }));
  const seconds = now() - t0;
  const summary = { n: o.n, M: o.M, mse_obs: mObs.mse, mse_aug_obs: mAug.mse, stop_iteration: r.chosenIteration, seconds };
  const gain = (100 * (mAug.mse - mObs.mse)) / mObs.mse;
  const details = {
    g: o.g, seed: o.seed, samples: o.samples, sampler: inst.sampler,
    mse_obs: mObs, mse_aug_obs: mAug, mse_aug_only: mAugOnly.mse, mse_obs_train_and_test: mAll.mse,
    gain_percent: gain, chosen_iteration: r.chosenIteration, trained_iterations: r.stopIteration,
    crossed: r.decision?.crossed ?? null, curve: r.curve, timings,
    network: r.networkConfig, train: r.trainConfig, sampler_options: r.samplerOptions,
    compare,
  };

  const x = r.curve.map((c) => c.iteration);
  const svgs: Record<string, string> = {
    'training.svg': grid([
      {
        title: 'Energy variance: generated / test', xLabel: 'training iterations', yLabel: 'Var[E(gen)] / Var[E(test)]',
        hLines: [{ y: 1 }], markers: [{ x: r.chosenIteration, label: 'chosen' }],
        series: [{ label: 'ratio', x, y: r.curve.map((c) => c.ratio) }],
      },
      {
        title: 'Training loss (ε-prediction MSE)', xLabel: 'training iterations', yLabel: 'loss', yLog: true,
        markers: [{ x: r.chosenIteration, label: 'chosen' }],
        series: [{ label: 'mean loss per interval', x, y: r.curve.map((c) => c.loss) }],
      },
    ], 2),
  };
  const po = paramPairs(inst.truth, r.observedParams);
  const pa = paramPairs(inst.truth, r.params);
  svgs['couplings.svg'] = chart({
    title: `Inferred vs true couplings (n = ${o.n}, M = ${o.M})`, xLabel: 'true w_ij', yLabel: 'inferred w_ij', diagonal: true,
    series: [
      { label: `observed only (MSE ${fmt(mObs.mse, 3)})`, kind: 'scatter', x: po.trueW, y: po.infW, color: '#000' },
      { label: `observed + generated (MSE ${fmt(mAug.mse, 3)})`, kind: 'scatter', x: pa.trueW, y: pa.infW, color: '#ff7f0e' },
    ],
  });

  const md = [
    '# spindiff demo',
    '',
    `SK model n = ${o.n}, g = ${o.g}, seed ${o.seed}: ${o.M} observed training samples and ${o.M} held-out test samples (${inst.sampler} sampling). The diffusion model (${JSON.stringify(r.networkConfig.widths)}, ${r.trainConfig.iterations} iterations budget) was trained on the training samples; the energy-variance rule chose iteration ${r.chosenIteration} (training ran to ${r.stopIteration}); ${o.samples} configurations were generated. Inference: erasure machine (EM).`,
    '',
    mdTable(['inference data', 'MSE', 'MSE b', 'MSE w'], [
      ['observed (M train)', fmt(mObs.mse), fmt(mObs.mse_b), fmt(mObs.mse_w)],
      ['observed + generated', fmt(mAug.mse), fmt(mAug.mse_b), fmt(mAug.mse_w)],
      ['generated only', fmt(mAugOnly.mse), '', ''],
      ['observed train + test (2M)', fmt(mAll.mse), '', ''],
      ...compare.flatMap((c) => [[`${c.method.toUpperCase()} observed`, fmt(c.mse_obs), '', ''], [`${c.method.toUpperCase()} observed + generated`, fmt(c.mse_aug_obs), '', '']]),
    ]),
    '',
    `Change of the EM MSE by augmentation: **${fmt(gain, 3)}%** (${gain < 0 ? 'improvement' : 'no improvement'}). The variance ratio ${r.decision?.crossed ? 'crossed' : 'did not cross'} 1.`,
    '',
    'The last row is for honesty: the test half is observed data too, and using it for inference directly is an alternative to holding it out for the stopping rule.',
    '',
    '![training curves](training.svg)',
    '',
    '![couplings](couplings.svg)',
    '',
    `Time: ${seconds.toFixed(1)} s (${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}).`,
    '',
  ].join('\n');
  const files = {
    'true.json': paramsToJSON(inst.truth, { model: 'sk', g: o.g, seed: o.seed }),
    'inferred_obs.json': paramsToJSON(r.observedParams, { method: 'em', data: 'observed' }),
    'inferred_aug.json': paramsToJSON(r.params, { method: 'em', data: 'observed+generated' }),
  };
  return { summary, details, truth: inst.truth, observed: r.observedParams, augmented: r.params, markdown: md, svgs, files };
}
