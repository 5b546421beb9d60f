/**
 * The public root API of `spindiff`: browser-safe (no Node built-ins, no eval, no run-time code
 * generation). This file IS the curated list — what the README documents — one block per layer;
 * to make a name public, add it to its layer's block here (and export it from the layer's index).
 *
 * Other entry points: `spindiff/backends` (loadBackend: wasm, threads, gpu.js), `spindiff/parallel`
 * (the worker pools: parallel fits, sampling by row shards), `spindiff/node` (files, CLI),
 * `spindiff/worker` (long operations off the main thread), and `spindiff/internals` (every
 * layer's full surface, for tests and power users; no stability promise).
 */

// Random numbers, errors, cancellation
export { Rng } from './random/index.js';
export type { RngSnapshot } from './random/index.js';
export { UsageError, DataError, AbortError, throwIfAborted, yieldToHost, Yielder } from './util/index.js';
export type { AbortLike, LoopHooks, ProgressFn } from './util/index.js';

// Tensors and backends (choosing one: `spindiff/backends`)
export { Tensor, tensor, zeros, ones, full, empty, rand, randn, fromStorage, getBackend, setBackend, withBackend, jsBackend } from './tensor/index.js';
export type { DType, Storage, Backend } from './tensor/index.js';

// Autograd
export {
  noGrad, backward, zeroGrad, gradcheck, detach,
  add, sub, mul, div, neg, pow, exp, log, sqrt, tanh, sigmoid, relu, gelu, silu, sin, cos, softplus, logSigmoid,
  matmul, linear, sum, mean, reshape, transpose, concat, slice, gatherRows, mseLoss, inverse,
} from './autograd/index.js';
export type { GradcheckOptions, GradcheckResult } from './autograd/index.js';

// Networks, optimizers, checkpoints
export {
  Module, Sequential, Linear, GELU, SiLU, ReLU, Tanh, Sigmoid, Identity, SinusoidalTimeEmbedding, MSELoss,
  Optimizer, SGD, Adam, AdamW, clipGradNorm, EMA, encodeTrainingCheckpoint, decodeTrainingCheckpoint,
} from './nn/index.js';
export type { StateDict, SGDOptions, AdamOptions, OptimizerState } from './nn/index.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export type { DecodedSafetensors, SafetensorsDType } from './io/safetensors.js';

// Ising models, inference, reconstruction, data and params formats
export {
  makeSpinData, zeroParams, skParams, energy, energies, energyStats, enumerate, probabilities, sampleExact, sampleMcmc, sampleTempering,
  erasureMachine, combineEpsRuns, defaultEpsGrid, EM_DEFAULTS, EXACT_MLE_DEFAULTS, MCMC_MLE_DEFAULTS, inferPLE, inferExactMLE, inferMcmcMLE, inferNMF, inferTAP,
  mse, paramCorrelation, reconstruct, accuracyByHiddenCount, completeExact,
  parseSpinText, formatSpinText, spinsFrom01, spinsTo01, parseNpy, encodeNpy, paramsFromJSON, paramsToJSON,
  cholesky, invertSPD, solveSPD,
  rejectTail, importanceResample, effectiveSampleSize, mixtureWeights, tailMeasures, truthTables, energyTable, temperedTable, tailTable,
  energyQuantiles, sampleTable, energyBins,
  inferScreening, inferRISE, inferLogRISE, inferRPLE, screeningLambda, SCREENING_DEFAULT_C, parseHistogram, l1KktResidual,
  supportF1, latticeParams, erdosRenyiParams, latticeEdges, erdosRenyiEdges, paramsOnEdges, inferAuto, pseudoLogLikelihood,
  asymmetricSK, simulateKinetic, inferKinetic, kineticNMF, kineticTAP, kineticEMF, kineticMLE, kineticFEM, kineticMoments, kineticMse, KINETIC_METHODS,
} from './ising/index.js';
export type {
  IsingParams, SpinData, InferResult, Enumeration, ErasureMachineOptions, PLEOptions, ExactMLEOptions, McmcMLEOptions,
  McmcOptions, McmcResult, TemperingOptions, ReconstructOptions, ReconstructResult, HiddenCountResult,
  InferResultOf, InferMethod, DiagnosticsByMethod, ScreeningMethod, ScreeningOptions, Histogram, SupportScore, AutoChoice,
  KineticParams, KineticResult, TailMeasures,
} from './ising/index.js';

// Diffusion augmentation
export {
  augment, AUGMENT_DEFAULTS, trainDiffusion, generateSpins, sampleDiffusion, splitHalves, NoiseMLP, presetConfig,
  DiffusionTrainer, DEFAULT_TRAIN, makeSchedule, energyVarianceStop, encodeCheckpoint, loadSamplingNetwork, checkpointInfo,
  compareMethods, compareMethodsOn, SERIAL_FITS, DEFAULT_SAMPLER, DEFAULT_PRESET, runStreams, splitForSeed, encodeTrainState, resumeRun, TrainingDivergedError,
  validateCheckpointNetwork, CHECKPOINT_LIMITS,
  generatorConfig, GENERATOR_KINDS, D3PM_LAMBDA, epsObjective, discreteSampleLoop, runStepLoop, runStepLoopAsync, sampleDiscrete,
  maskedNelboExact, maskedNelboOrders, d3pmNelboMC,
  sampleLoop, ddpmSampler, ddimSampler, makeSampler, thresholdSpins, sampleTails, TAIL_SAMPLERS, scoreScale, tweedieEnergyGuidance,
  classifierGuidance, trainTailClassifier, TailClassifier,
} from './diffusion/index.js';
export type {
  AugmentOptions, AugmentResult, AugmentStage, AugmentProgressFn, CurvePoint, SamplerOptions, SamplerKind, OffThreadSampling, TrainConfig, NetworkConfig, PresetName,
  TrainDiffusionOptions, TrainDiffusionResult, Schedule, StopDecision, StopRuleOptions, CheckpointInfo, CompareMethod, Comparison, FitRunner,
  RunStreams, ResumedRun, GeneratorConfig, GeneratorKind, DiscreteSampleOptions, DiscreteSampleResult, TrainObjective,
  Sampler, Guidance, CorrectorOptions, TailSampleOptions,
} from './diffusion/index.js';

// Poisoning attacks on inverse inference (threat model: src/attack/attacks.ts, README)
export {
  attack, estimatorFor, randomFlips, applyFlips, flipMask, feasible, nmfSurrogate, tapSurrogate, pleSurrogate,
} from './attack/index.js';
export type { AttackOptions, AttackResult, AttackMethod, Budget, AttackLoss, EstimatorName, SurrogateObjective } from './attack/index.js';

// Generative baselines
export { fitRBM, fitVAE, fitGAN, rbmExactProbs, diversity } from './models/index.js';
export type { GenerativeModel, FitHistory, Diversity, RBMOptions, VAEOptions, GANOptions } from './models/index.js';

// Charts (SVG strings)
export { chart, grid } from './plot/index.js';
export type { Series, Marker, ChartOptions } from './plot/index.js';
