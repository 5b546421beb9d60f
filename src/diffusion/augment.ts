/**
 * The paper's augmentation pipeline end to end (Lim, Lee & Jo 2025, Sec. II):
 *   1. split the observed data into train / test halves (unless a test set is given);
 *   2. infer θ_train from the train half (erasure machine) and Var[E_θtrain(test)];
 *   3. train the diffusion model on the train half; every `evalEvery` iterations generate
 *      `evalSamples` configurations and record Var[E_θtrain(generated)] / Var[E_θtrain(test)];
 *   4. stop by the energy-variance rule (stopping.ts) and take its chosen checkpoint;
 *   5. generate M⁺ configurations and infer the couplings from observed (train half) + generated.
 * The observed-only inference (train half) is returned beside it for comparison.
 */
import { Rng } from '../random/index.js';
import { Tensor, getBackend, setBackend } from '../tensor/index.js';
import type { Backend } from '../tensor/index.js';
import type { InferResult, IsingParams, SpinData } from '../ising/index.js';
import { concatData, energyStats, erasureMachine, selectRows } from '../ising/index.js';
import { NoiseMLP, presetConfig } from './network.js';
import type { NetworkConfig, PresetName } from './network.js';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from './train.js';
import type { TrainConfig } from './train.js';
import { sampleLoop, thresholdSpins } from './samplers.js';
import type { SamplerKind } from './samplers.js';
import { energyVarianceStop } from './stopping.js';
import type { StopDecision, StopRuleOptions } from './stopping.js';
import { makeSchedule } from './schedule.js';
import type { GeneratorConfig } from './discrete/objective.js';
import { discreteSampleLoop, runStepLoop } from './discrete/sample.js';

export interface SamplerOptions {
  sampler: SamplerKind;
  /** DDIM steps (ddpm uses all T). */
  steps: number;
  eta: number;
  /** Rows per network call. */
  batch: number;
}

/** The CPU defaults, chosen by measurement (README, diffusion section). */
export const DEFAULT_SAMPLER: SamplerOptions = { sampler: 'ddim', steps: 100, eta: 1, batch: 1000 };

/** Pipeline defaults (README, diffusion section, gives the measurements behind them). */
export const AUGMENT_DEFAULTS = { samples: 20000, evalSamples: 1000, evalFraction: 0.1, minFraction: 0.5 } as const;

export type AugmentStage = 'split' | 'infer-train' | 'train' | 'evaluate' | 'generate' | 'infer';

export interface AugmentOptions {
  /** Held-out test set for the stopping rule; without it the data are split in half. */
  test?: SpinData;
  /** Number of generated configurations M⁺. */
  samples?: number;
  /** Network preset (default 'small'), or explicit config fields overriding it. */
  preset?: PresetName;
  network?: Partial<Omit<NetworkConfig, 'n'>>;
  train?: Partial<TrainConfig>;
  sampler?: Partial<SamplerOptions>;
  /** 'energy-variance' (default) or 'none' (use the last iterate). */
  stop?: 'energy-variance' | 'none';
  stopRule?: StopRuleOptions;
  /** Minimum budget of the stop rule as a fraction of the iterations (default 0.5). */
  minFraction?: number;
  /** Evaluate the variance ratio every this many iterations. */
  evalEvery?: number;
  /** Generated configurations per evaluation. */
  evalSamples?: number;
  /** Inference from data (default: the erasure machine with its defaults). */
  infer?: (data: SpinData) => InferResult;
  seed?: number;
  /** Tensor backend to run on (default: the current one); e.g. `await loadWasmBackend()`. */
  backend?: Backend;
  /** Keep the sampling weights of every evaluated checkpoint (for studies of the stop rule). */
  keepCheckpoints?: boolean;
  onProgress?: (stage: AugmentStage, done: number, total: number, info?: Record<string, number>) => void;
  signal?: { aborted: boolean };
}

export interface CurvePoint {
  iteration: number;
  varGenerated: number;
  varTest: number;
  ratio: number;
  /** Mean training loss over the iterations since the previous point. */
  loss: number;
}

export interface AugmentResult {
  /** Inferred from observed (train half) + generated. */
  params: IsingParams;
  /** Inferred from the observed train half alone. */
  observedParams: IsingParams;
  /** θ_train used by the stopping rule (same as observedParams when `infer` is the EM default). */
  thetaTrain: IsingParams;
  generated: SpinData;
  train: SpinData;
  test: SpinData;
  curve: CurvePoint[];
  decision: StopDecision | null;
  /** Iteration at which training stopped, and that of the checkpoint used for generation. */
  stopIteration: number;
  chosenIteration: number;
  losses: number[];
  timings: Record<AugmentStage | 'total', number>;
  networkConfig: NetworkConfig;
  trainConfig: TrainConfig;
  samplerOptions: SamplerOptions;
  /** The sampling weights used for generation (EMA if enabled). */
  stateDict: Record<string, Tensor>;
  checkpoints?: { iteration: number; stateDict: Record<string, Tensor> }[];
}

/** Split rows in half at random (first half train, second half test). */
export function splitHalves(data: SpinData, rng: Rng): { train: SpinData; test: SpinData } {
  if (data.m < 4) throw new Error(`augment: need at least 4 samples to split into train/test, got ${data.m}`);
  const perm = rng.permutation(data.m);
  const h = Math.floor(data.m / 2);
  return { train: selectRows(data, perm.subarray(0, h)), test: selectRows(data, perm.subarray(h)) };
}

/**
 * Generate m spin configurations from sampling weights. A discrete `generator` (masked, d3pm)
 * runs its own sampler with `steps` reverse steps (all T with sampler 'ddpm').
 */
export function generateSpins(net: NoiseMLP, m: number, rng: Rng, s: SamplerOptions, hooks: { onProgress?: (done: number, total: number) => void; signal?: { aborted: boolean } } = {}, generator?: GeneratorConfig): SpinData {
  if (generator && generator.kind !== 'ddpm') {
    const steps = s.sampler === 'ddpm' ? net.config.T : s.steps;
    return runStepLoop(discreteSampleLoop(net, generator, m, rng, { steps, batch: s.batch, onProgress: hooks.onProgress }), hooks.signal).data;
  }
  const sched = makeSchedule({ T: net.config.T });
  const x = sampleLoop(makePredictor(net), sched, { n: net.config.n, m, rng, sampler: s.sampler, steps: s.steps, eta: s.eta, batch: s.batch, onProgress: hooks.onProgress, signal: hooks.signal });
  return { n: net.config.n, m, s: thresholdSpins(x) };
}

export interface TrainDiffusionOptions {
  network: NetworkConfig;
  train: TrainConfig;
  sampler?: Partial<SamplerOptions>;
  stop?: 'energy-variance' | 'none';
  stopRule?: StopRuleOptions;
  evalEvery?: number;
  evalSamples?: number;
  /** Test data and θ_train for the energy-variance rule (required unless stop = 'none'). */
  test?: SpinData;
  thetaTrain?: IsingParams;
  /** Generator of the evaluation samples. */
  rng?: Rng;
  /** Continue this trainer (from resumeTrainer) instead of starting a new one. */
  resume?: DiffusionTrainer;
  /** The curve recorded before the resume point, and the chosen checkpoint so far. */
  resumeCurve?: CurvePoint[];
  resumeBest?: { iteration: number; stateDict: Record<string, Tensor> } | null;
  /** Called every `checkpointEvery` iterations (and at the end) with the state to save. */
  checkpointEvery?: number;
  onCheckpoint?: (s: TrainState) => void;
  keepCheckpoints?: boolean;
  onProgress?: (done: number, total: number, info?: Record<string, number>) => void;
  onEvaluate?: (p: CurvePoint, d: StopDecision) => void;
  signal?: { aborted: boolean };
}

/** What a training run has at a checkpoint, and at its end. */
export interface TrainState {
  trainer: DiffusionTrainer;
  curve: CurvePoint[];
  decision: StopDecision | null;
  /** The checkpoint chosen by the stop rule so far (null: none yet, or stop = 'none'). */
  best: { iteration: number; stateDict: Record<string, Tensor> } | null;
}

export interface TrainDiffusionResult extends TrainState {
  stopIteration: number;
  /** The weights to generate with: the chosen checkpoint, or the last iterate. */
  chosen: { iteration: number; stateDict: Record<string, Tensor> };
  evalSeconds: number;
  checkpoints?: { iteration: number; stateDict: Record<string, Tensor> }[];
}

/**
 * Train a diffusion model, evaluating the energy-variance ratio every `evalEvery` iterations and
 * stopping by the rule of stopping.ts (or running all iterations with stop = 'none').
 */
export function trainDiffusion(train: SpinData, o: TrainDiffusionOptions): TrainDiffusionResult {
  const stopMode = o.stop ?? 'energy-variance';
  const samplerOpts: SamplerOptions = { ...DEFAULT_SAMPLER, ...o.sampler };
  const cfg = o.train;
  const evalEvery = o.evalEvery ?? Math.max(1, Math.round(cfg.iterations * AUGMENT_DEFAULTS.evalFraction));
  const evalSamples = o.evalSamples ?? AUGMENT_DEFAULTS.evalSamples;
  const rule: StopRuleOptions = { minIterations: Math.round(AUGMENT_DEFAULTS.minFraction * cfg.iterations), ...o.stopRule };
  let varTest = 0;
  if (stopMode === 'energy-variance') {
    if (!o.test || !o.thetaTrain) throw new Error('trainDiffusion: the energy-variance rule needs test data and θ_train');
    varTest = energyStats(o.thetaTrain, o.test).variance;
    if (!(varTest > 0)) throw new Error('trainDiffusion: the test energies have zero variance under θ_train (constant data?)');
  }
  const evalRng = o.rng ?? new Rng(cfg.seed + 7919);
  const trainer = o.resume ?? new DiffusionTrainer(train, o.network, cfg);
  const evalNet = new NoiseMLP(trainer.net.config, new Rng(0));
  const curve: CurvePoint[] = o.resumeCurve ? o.resumeCurve.slice() : [];
  const checkpoints: { iteration: number; stateDict: Record<string, Tensor> }[] = [];
  let best = o.resumeBest ?? null;
  let decision: StopDecision | null = null;
  let lastLossIndex = curve.length > 0 ? curve[curve.length - 1]!.iteration : trainer.iteration;
  let evalSeconds = 0;
  const state = (): TrainState => ({ trainer, curve, decision, best });
  while (trainer.iteration < cfg.iterations) {
    if (o.signal?.aborted) break;
    trainer.step();
    const it = trainer.iteration;
    if (it % 25 === 0 || it === cfg.iterations) o.onProgress?.(it, cfg.iterations, { loss: trainer.losses[it - 1]! });
    let stopNow = false;
    if (stopMode === 'energy-variance' && (it % evalEvery === 0 || it === cfg.iterations)) {
      const te = now();
      const sd = trainer.samplingStateDict();
      evalNet.loadStateDict(sd);
      const gen = generateSpins(evalNet, evalSamples, evalRng, samplerOpts, { signal: o.signal }, cfg.generator);
      const varGen = energyStats(o.thetaTrain!, gen).variance;
      let loss = 0;
      for (let k = lastLossIndex; k < it; k++) loss += trainer.losses[k]!;
      loss /= Math.max(1, it - lastLossIndex);
      lastLossIndex = it;
      const point: CurvePoint = { iteration: it, varGenerated: varGen, varTest, ratio: varGen / varTest, loss };
      curve.push(point);
      if (o.keepCheckpoints) checkpoints.push({ iteration: it, stateDict: sd });
      decision = energyVarianceStop(curve.map((p) => ({ iteration: p.iteration, ratio: Math.max(p.ratio, 1e-12) })), rule);
      if (decision.bestIndex === curve.length - 1) best = { iteration: it, stateDict: sd };
      evalSeconds += now() - te;
      o.onEvaluate?.(point, decision);
      stopNow = decision.stop;
    }
    if (o.onCheckpoint && o.checkpointEvery && it % o.checkpointEvery === 0 && it < cfg.iterations && !stopNow) o.onCheckpoint(state());
    if (stopNow) break;
  }
  const stopIteration = trainer.iteration;
  const chosen = best ?? { iteration: stopIteration, stateDict: trainer.samplingStateDict() };
  return { ...state(), stopIteration, chosen, evalSeconds, ...(o.keepCheckpoints ? { checkpoints } : {}) };
}

/** Generate m spin configurations from a checkpoint's sampling weights (alias used by the CLI). */
export const sampleDiffusion = generateSpins;

export async function augment(data: SpinData, opts: AugmentOptions = {}): Promise<AugmentResult> {
  if (!opts.backend) return augmentImpl(data, opts);
  // Run on the given backend (e.g. wasm-simd from loadWasmBackend), restoring the previous one.
  const prev = getBackend();
  setBackend(opts.backend);
  try {
    return augmentImpl(data, opts);
  } finally {
    setBackend(prev);
  }
}

function augmentImpl(data: SpinData, opts: AugmentOptions): AugmentResult {
  const t0 = now();
  const timings = { split: 0, 'infer-train': 0, train: 0, evaluate: 0, generate: 0, infer: 0, total: 0 };
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const splitRng = rng.split();
  const evalRng = rng.split();
  const genRng = rng.split();
  const progress = opts.onProgress;
  const signal = opts.signal;
  const infer = opts.infer ?? ((d: SpinData) => erasureMachine(d, { signal }));

  let tt = now();
  const { train, test } = opts.test ? { train: data, test: opts.test } : splitHalves(data, splitRng);
  if (test.n !== train.n) throw new Error(`augment: test data has n=${test.n}, training data n=${train.n}`);
  timings.split = now() - tt;

  tt = now();
  progress?.('infer-train', 0, 1);
  const observed = infer(train);
  const thetaTrain = observed.params;
  progress?.('infer-train', 1, 1);
  timings['infer-train'] = now() - tt;

  const preset = opts.preset ?? 'small';
  const trainCfg: TrainConfig = { ...DEFAULT_TRAIN, seed, ...opts.train };
  const netCfg: NetworkConfig = { ...presetConfig(preset, train.n, trainCfg.T), ...opts.network, n: train.n };
  const samplerOpts: SamplerOptions = { ...DEFAULT_SAMPLER, ...opts.sampler };
  const M = opts.samples ?? AUGMENT_DEFAULTS.samples;
  if (!(Number.isInteger(M) && M >= 1)) throw new Error(`augment: samples must be an integer ≥ 1, got ${M}`);
  const stopMode = opts.stop ?? 'energy-variance';
  const evalEvery = opts.evalEvery ?? Math.max(1, Math.round(trainCfg.iterations * AUGMENT_DEFAULTS.evalFraction));
  const evalSamples = opts.evalSamples ?? AUGMENT_DEFAULTS.evalSamples;
  const rule: StopRuleOptions = { minIterations: Math.round((opts.minFraction ?? AUGMENT_DEFAULTS.minFraction) * trainCfg.iterations), ...opts.stopRule };

  tt = now();
  const run = trainDiffusion(train, {
    network: netCfg, train: trainCfg, sampler: samplerOpts, stop: stopMode, stopRule: rule, evalEvery, evalSamples,
    test, thetaTrain, rng: evalRng, keepCheckpoints: opts.keepCheckpoints, signal,
    onProgress: (d, t, info) => progress?.('train', d, t, info),
    onEvaluate: (p) => progress?.('evaluate', 1, 1, { iteration: p.iteration, ratio: p.ratio }),
  });
  timings.evaluate = run.evalSeconds;
  timings.train = now() - tt - run.evalSeconds;
  const { curve, decision, stopIteration, checkpoints } = run;
  const chosen = run.chosen;
  if (signal?.aborted) throw new Error('augment: aborted');

  tt = now();
  const genNet = new NoiseMLP(run.trainer.net.config, new Rng(0)); // with the generator's head
  genNet.loadStateDict(chosen.stateDict);
  const generated = generateSpins(genNet, M, genRng, samplerOpts, { signal, onProgress: (d, t) => progress?.('generate', d, t) }, trainCfg.generator);
  timings.generate = now() - tt;

  tt = now();
  progress?.('infer', 0, 1);
  const augmented = infer(concatData([train, generated]));
  progress?.('infer', 1, 1);
  timings.infer = now() - tt;
  timings.total = now() - t0;
  return {
    params: augmented.params,
    observedParams: observed.params,
    thetaTrain,
    generated,
    train,
    test,
    curve,
    decision,
    stopIteration,
    chosenIteration: chosen.iteration,
    losses: run.trainer.losses.slice(),
    timings,
    networkConfig: run.trainer.net.config,
    trainConfig: trainCfg,
    samplerOptions: samplerOpts,
    stateDict: chosen.stateDict,
    ...(checkpoints ? { checkpoints } : {}),
  };
}

/** Seconds since an arbitrary origin (performance.now exists in Node ≥ 16 and browsers). */
function now(): number {
  return performance.now() / 1000;
}
