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
import { at, last } from '../util/checked.js';
import { DataError, UsageError } from '../util/errors.js';
import type { Rng } from '../random/index.js';
import { Tensor, getBackend, setBackend } from '../tensor/index.js';
import type { Backend } from '../tensor/index.js';
import type { InferResult, IsingParams, SpinData } from '../ising/index.js';
import { concatData, energyStats, erasureMachine, selectRows } from '../ising/index.js';
import { DEFAULT_PRESET, NoiseMLP, presetConfig } from './network.js';
import type { NetworkConfig, PresetName } from './network.js';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from './train.js';
import type { TrainConfig } from './train.js';
import { reverseSteps, sampleLoop, thresholdSpins } from './samplers.js';
import type { SamplerKind } from './samplers.js';
import { energyVarianceStop } from './stopping.js';
import { runStreams } from './streams.js';
import type { StopDecision, StopRuleOptions } from './stopping.js';
import { makeSchedule } from './schedule.js';
import type { GeneratorConfig } from './discrete/objective.js';
import { discreteSampleLoop, runStepLoopAsync } from './discrete/sample.js';
import { throwIfAborted, Yielder } from '../util/abort.js';
import type { LoopHooks } from '../util/abort.js';

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

/**
 * Sampling run elsewhere with the same numbers as sampleLoop here (SamplePool: row shards on
 * worker threads). `sample` returns sampleLoop's rows and advances rng as sampleLoop would, or
 * null where it cannot (the caller then samples on its own thread).
 */
export interface OffThreadSampling {
  sample(net: NoiseMLP, m: number, rng: Rng, s: SamplerOptions, hooks?: LoopHooks): Promise<Float32Array | null>;
}

/** Pipeline defaults (README, diffusion section, gives the measurements behind them). */
export const AUGMENT_DEFAULTS = { samples: 20000, stop: 'energy-variance', evalSamples: 1000, evalFraction: 0.1, minFraction: 0.5 } as const;

export type AugmentStage = 'split' | 'infer-train' | 'train' | 'evaluate' | 'generate' | 'infer';
/** Progress of augment(), stage by stage. */
export type AugmentProgressFn = (stage: AugmentStage, done: number, total: number, info?: Record<string, number>) => void;

export interface AugmentOptions extends LoopHooks<AugmentProgressFn> {
  /** Held-out test set for the stopping rule; without it the data are split in half. */
  test?: SpinData;
  /** Number of generated configurations M⁺. */
  samples?: number;
  /** Network preset (default DEFAULT_PRESET), or explicit config fields overriding it. */
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
  /** Inference from data (default: the erasure machine with its defaults); may run elsewhere (a worker) and resolve later. */
  infer?: (data: SpinData) => InferResult | Promise<InferResult>;
  /** The run's seed: every random stream of the run (streams.ts) derives from it; overrides train.seed. */
  seed?: number;
  /** Tensor backend to run on (default: the current one); e.g. `await loadWasmBackend()`. */
  backend?: Backend;
  /** Keep the sampling weights of every evaluated checkpoint (for studies of the stop rule). */
  keepCheckpoints?: boolean;
  /**
   * Run the evaluations' and the generation's sampling here (e.g. `await SamplePool.start()`): the
   * same numbers, faster. Not used by discrete generators (masked, d3pm), which sample in this thread.
   */
  sampling?: OffThreadSampling;
  /**
   * Called with the generated samples as soon as they exist, before the final inference (e.g. to
   * start other fits on them meanwhile, on other threads); the final inference starts once it
   * returns (or its promise resolves). It must not change them (the final fit and the result use
   * them). What it throws or rejects with ends the run.
   */
  onGenerated?: (generated: SpinData) => void | Promise<void>;
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

/** The train / test halves of a run with this seed when no test set is given (its 'split' stream). */
export function splitForSeed(data: SpinData, seed: number): { train: SpinData; test: SpinData } {
  return splitHalves(data, runStreams(seed).split());
}

/** Split rows in half at random (first half train, second half test). */
export function splitHalves(data: SpinData, rng: Rng): { train: SpinData; test: SpinData } {
  if (data.m < 4) throw new DataError(`augment: need at least 4 samples to split into train/test, got ${data.m}`);
  const perm = rng.permutation(data.m);
  const h = Math.floor(data.m / 2);
  return { train: selectRows(data, perm.subarray(0, h)), test: selectRows(data, perm.subarray(h)) };
}

/**
 * Generate m spin configurations from sampling weights (async: yields between steps). A discrete
 * `generator` (masked, d3pm) runs its own sampler with `steps` reverse steps (all T with sampler 'ddpm').
 */
export async function generateSpins(net: NoiseMLP, m: number, rng: Rng, s: SamplerOptions, hooks: LoopHooks & { sampling?: OffThreadSampling } = {}, generator?: GeneratorConfig): Promise<SpinData> {
  if (generator && generator.kind !== 'ddpm') {
    const steps = reverseSteps(s.sampler, s.steps, net.config.T);
    return (await runStepLoopAsync(discreteSampleLoop(net, generator, m, rng, { steps, batch: s.batch, onProgress: hooks.onProgress }), hooks.signal)).data;
  }
  const { sampling, ...loopHooks } = hooks;
  const x = (await sampling?.sample(net, m, rng, s, loopHooks))
    ?? (await sampleLoop(makePredictor(net), makeSchedule({ T: net.config.T }), { n: net.config.n, m, rng, sampler: s.sampler, steps: s.steps, eta: s.eta, batch: s.batch, onProgress: hooks.onProgress, signal: hooks.signal }));
  // NaN would threshold to +1 and pass as data: refuse instead.
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new DataError(`sampling produced a non-finite value (${x[i]} in sample ${Math.floor(i / net.config.n) + 1}): the network's outputs overflow; the model is unusable (retrain with a smaller learning rate or gradient clipping)`);
  }
  return { n: net.config.n, m, s: thresholdSpins(x) };
}

export interface TrainDiffusionOptions extends LoopHooks {
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
  /** Minimum budget of the stop rule as a fraction of the iterations (default 0.5; stopRule.minIterations wins). */
  minFraction?: number;
  /** Continue this trainer (from resumeTrainer) instead of starting a new one. */
  resume?: DiffusionTrainer;
  /** The curve recorded before the resume point, and the chosen checkpoint so far. */
  resumeCurve?: CurvePoint[];
  resumeBest?: { iteration: number; stateDict: Record<string, Tensor> } | null;
  /** Called every `checkpointEvery` iterations (and at the end) with the state to save. */
  checkpointEvery?: number;
  onCheckpoint?: (s: TrainState) => void;
  keepCheckpoints?: boolean;
  onEvaluate?: (p: CurvePoint, d: StopDecision) => void;
  /** Where the evaluations sample (AugmentOptions.sampling). */
  sampling?: OffThreadSampling;
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
export async function trainDiffusion(train: SpinData, o: TrainDiffusionOptions): Promise<TrainDiffusionResult> {
  const stopMode = o.stop ?? AUGMENT_DEFAULTS.stop;
  const samplerOpts: SamplerOptions = { ...DEFAULT_SAMPLER, ...o.sampler };
  const cfg = o.train;
  const evalEvery = o.evalEvery ?? Math.max(1, Math.round(cfg.iterations * AUGMENT_DEFAULTS.evalFraction));
  const evalSamples = o.evalSamples ?? AUGMENT_DEFAULTS.evalSamples;
  const rule: StopRuleOptions = { minIterations: Math.round((o.minFraction ?? AUGMENT_DEFAULTS.minFraction) * cfg.iterations), ...o.stopRule };
  let varTest = 0;
  if (stopMode === 'energy-variance') {
    if (!o.test || !o.thetaTrain) throw new UsageError('trainDiffusion: the energy-variance rule needs test data and θ_train');
    varTest = energyStats(o.thetaTrain, o.test).variance;
    if (!(varTest > 0)) throw new DataError('trainDiffusion: the test energies have zero variance under θ_train (constant data?)');
  }
  // Each evaluation's samples come from the stream named by its iteration: a resumed run draws
  // exactly what the uninterrupted run drew.
  const streams = runStreams(cfg.seed);
  const trainer = o.resume ?? new DiffusionTrainer(train, o.network, cfg);
  const evalNet = new NoiseMLP(trainer.networkConfig, null);
  const curve: CurvePoint[] = o.resumeCurve ? o.resumeCurve.slice() : [];
  const checkpoints: { iteration: number; stateDict: Record<string, Tensor> }[] = [];
  let best = o.resumeBest ?? null;
  let decision: StopDecision | null = null;
  let lastLossIndex = curve.length > 0 ? last(curve, 'curve').iteration : trainer.iteration;
  let evalSeconds = 0;
  const state = (): TrainState => ({ trainer, curve, decision, best });
  const decide = (): StopDecision => energyVarianceStop(curve.map((p) => ({ iteration: p.iteration, ratio: Math.max(p.ratio, 1e-12) })), rule);
  const isEvalPoint = (it: number): boolean => stopMode === 'energy-variance' && it > 0 && (it % evalEvery === 0 || it === cfg.iterations);
  /** Evaluate the current weights as those of iteration `it`: whether to stop, or 'aborted' (nothing recorded). */
  const evaluate = async (it: number): Promise<boolean | 'aborted'> => {
    const te = now();
    const sd = trainer.samplingStateDict();
    evalNet.loadStateDict(sd);
    let gen: SpinData;
    try {
      gen = await generateSpins(evalNet, evalSamples, streams.eval(it), samplerOpts, { signal: o.signal, sampling: o.sampling }, cfg.generator);
    } catch (e) {
      evalSeconds += now() - te;
      if (o.signal?.aborted) return 'aborted';
      throw e;
    }
    const varGen = energyStats(o.thetaTrain!, gen).variance;
    let loss = 0;
    for (let k = lastLossIndex; k < it; k++) loss += at(trainer.losses, k, 'training losses');
    loss /= Math.max(1, it - lastLossIndex);
    lastLossIndex = it;
    const point: CurvePoint = { iteration: it, varGenerated: varGen, varTest, ratio: varGen / varTest, loss };
    curve.push(point);
    if (o.keepCheckpoints) checkpoints.push({ iteration: it, stateDict: sd });
    decision = decide();
    if (decision.bestIndex === curve.length - 1) best = { iteration: it, stateDict: sd };
    evalSeconds += now() - te;
    o.onEvaluate?.(point, decision);
    return decision.stop;
  };
  let stopped = false;
  if (o.resume && stopMode === 'energy-variance') {
    // A resumed run first does what the interrupted one left undone at its iteration: the
    // evaluation it was interrupted in, or the rule's decision on the curve so far (a run that
    // had stopped stays stopped). Then it continues exactly as the uninterrupted run did.
    const it = trainer.iteration;
    if (isEvalPoint(it) && curve.at(-1)?.iteration !== it) stopped = (await evaluate(it)) !== false;
    else if (curve.length > 0) stopped = (decision = decide()).stop;
  }
  // Give the host (a page, Node's signal handlers) a turn every ~40 ms; on abort the loop ends
  // with the state so far (the CLI saves it), so the yielder itself never throws.
  const host = new Yielder();
  while (!stopped && trainer.iteration < cfg.iterations) {
    await host.tick();
    if (o.signal?.aborted) break;
    trainer.step();
    const it = trainer.iteration;
    if (it % 25 === 0 || it === cfg.iterations) o.onProgress?.(it, cfg.iterations, { loss: at(trainer.losses, it - 1, 'training losses') });
    let stopNow = false;
    if (isEvalPoint(it)) {
      const r = await evaluate(it);
      if (r === 'aborted') break; // resumed by evaluating iteration it first
      stopNow = r;
    }
    if (o.onCheckpoint && o.checkpointEvery && it % o.checkpointEvery === 0 && it < cfg.iterations && !stopNow) o.onCheckpoint(state());
    if (stopNow) break;
  }
  const stopIteration = trainer.iteration;
  const chosen = best ?? { iteration: stopIteration, stateDict: trainer.samplingStateDict() };
  trainer.dispose(); // the backend memory goes to sampling (a resumed trainer compiles its step again)
  return { ...state(), stopIteration, chosen, evalSeconds, ...(o.keepCheckpoints ? { checkpoints } : {}) };
}

/** Generate m spin configurations from a checkpoint's sampling weights (alias used by the CLI). */
export const sampleDiffusion = generateSpins;

export async function augment(data: SpinData, opts: AugmentOptions = {}): Promise<AugmentResult> {
  if (!opts.backend) return await augmentImpl(data, opts);
  // Run on the given backend (e.g. wasm-simd from loadWasmBackend), restoring the previous one.
  const prev = getBackend();
  setBackend(opts.backend);
  try {
    return await augmentImpl(data, opts);
  } finally {
    setBackend(prev);
  }
}

async function augmentImpl(data: SpinData, opts: AugmentOptions): Promise<AugmentResult> {
  const t0 = now();
  const timings = { split: 0, 'infer-train': 0, train: 0, evaluate: 0, generate: 0, infer: 0, total: 0 };
  const trainCfg: TrainConfig = { ...DEFAULT_TRAIN, ...opts.train, seed: opts.seed ?? opts.train?.seed ?? DEFAULT_TRAIN.seed };
  const streams = runStreams(trainCfg.seed);
  const progress = opts.onProgress;
  const signal = opts.signal;
  const infer = opts.infer ?? ((d: SpinData) => erasureMachine(d, { signal }));

  let tt = now();
  const { train, test } = opts.test ? { train: data, test: opts.test } : splitForSeed(data, trainCfg.seed);
  if (test.n !== train.n) throw new DataError(`augment: test data has n=${test.n}, training data n=${train.n}`);
  timings.split = now() - tt;

  // Between stages the host gets a turn and a set signal ends the run (AbortError).
  const host = new Yielder(signal, 40, 'augment');
  tt = now();
  await host.tick();
  progress?.('infer-train', 0, 1);
  const observed = await infer(train);
  const thetaTrain = observed.params;
  progress?.('infer-train', 1, 1);
  timings['infer-train'] = now() - tt;

  const preset = opts.preset ?? DEFAULT_PRESET;
  const netCfg: NetworkConfig = { ...presetConfig(preset, train.n, trainCfg.T), ...opts.network, n: train.n };
  const samplerOpts: SamplerOptions = { ...DEFAULT_SAMPLER, ...opts.sampler };
  const M = opts.samples ?? AUGMENT_DEFAULTS.samples;
  if (!(Number.isInteger(M) && M >= 1)) throw new UsageError(`augment: samples must be an integer ≥ 1, got ${M}`);

  tt = now();
  await host.tick();
  const run = await trainDiffusion(train, {
    network: netCfg, train: trainCfg, sampler: samplerOpts, stop: opts.stop, stopRule: opts.stopRule, minFraction: opts.minFraction,
    evalEvery: opts.evalEvery, evalSamples: opts.evalSamples, test, thetaTrain, keepCheckpoints: opts.keepCheckpoints, signal, sampling: opts.sampling,
    onProgress: (d, t, info) => progress?.('train', d, t, info),
    onEvaluate: (p) => progress?.('evaluate', 1, 1, { iteration: p.iteration, ratio: p.ratio }),
  });
  timings.evaluate = run.evalSeconds;
  timings.train = now() - tt - run.evalSeconds;
  const { curve, decision, stopIteration, checkpoints } = run;
  const chosen = run.chosen;
  throwIfAborted(signal, 'augment');

  tt = now();
  const genNet = NoiseMLP.fromStateDict(run.trainer.networkConfig, chosen.stateDict); // with the generator's head
  const generated = await generateSpins(genNet, M, streams.generate(), samplerOpts, { signal, onProgress: (d, t) => progress?.('generate', d, t), sampling: opts.sampling }, trainCfg.generator);
  timings.generate = now() - tt;
  await opts.onGenerated?.(generated);

  tt = now();
  await host.tick();
  progress?.('infer', 0, 1);
  const augmented = await infer(concatData([train, generated]));
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
    networkConfig: run.trainer.networkConfig,
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
