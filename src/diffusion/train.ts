/**
 * Training of the noise network on ±1 data as reals (analog bits): the ε-prediction MSE
 * L = E_{t, x0, ε} ‖ε - ε̂(√ᾱ_t x0 + √(1-ᾱ_t) ε, t)‖² with Adam, optional cosine learning-rate
 * decay, gradient clipping and an EMA of the weights (used for sampling).
 *
 * Determinism and resume: iteration k draws its minibatch rows, steps and noise from the named
 * stream ('train', k) of the seed alone (streams.ts), so a run resumed from a checkpoint at
 * iteration k (weights, EMA, Adam moments, step count) follows exactly the uninterrupted run's
 * loss trajectory.
 */
import { DataError, UsageError } from '../util/errors.js';
import { entry } from '../util/checked.js';
import { Tensor, fromStorage, getBackend } from '../tensor/index.js';
import type { Backend } from '../tensor/index.js';
import { compilePlan } from '../tensor/backend/plan.js';
import type { PlanRunner } from '../tensor/backend/plan.js';
import { noisePlan } from './plan.js';
import { compileTrainStep, NoTrainPlan } from './trainplan.js';
import type { ResidentUpdate, TrainStepPlan } from './trainplan.js';
import { backward, mseLoss } from '../autograd/index.js';
import { Adam, EMA, clipGradNorm } from '../nn/index.js';
import type { SpinData } from '../ising/index.js';
import { makeSchedule, qSample } from './schedule.js';
import type { Schedule, ScheduleKind } from './schedule.js';
import { NoiseMLP } from './network.js';
import type { NetworkConfig } from './network.js';
import type { EpsPredictor } from './samplers.js';
import { runStreams } from './streams.js';
import type { Rng } from '../random/index.js';
import { makeDiscreteObjective, validateGeneratorConfig } from './discrete/objective.js';
import type { GeneratorConfig } from './discrete/objective.js';

/**
 * What the trainer minimises, given the minibatch x0 (B×n ±1, drawn first from the iteration's
 * generator) and that generator for everything else the loss draws. The ε-prediction MSE of the
 * analog-bits DDPM is one instance (epsObjective); discrete/ holds the masked and D3PM losses.
 */
export interface TrainObjective {
  readonly kind: GeneratorKind;
  /** Head the network needs (input/output channels per spin); {} for the plain ε-network. */
  readonly head: Pick<NetworkConfig, 'inputChannels' | 'outputChannels'>;
  loss(net: NoiseMLP, x0: Float32Array, B: number, rng: Rng): Tensor;
  /**
   * Present where the loss is the ε-prediction MSE mseLoss(net.forward(x_t, t), ε) of these draws
   * (the same draws from `rng` as `loss`): the trainer may then run the step compiled (trainplan.ts).
   */
  epsBatch?(x0: Float32Array, B: number, rng: Rng): EpsBatch;
}

/** One minibatch of the ε-objective: steps t [B], noise ε and x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε, both [B, n]. */
export interface EpsBatch { t: Int32Array; eps: Float32Array; xt: Float32Array }

/** The generator families: analog-bits Gaussian DDPM, masked (absorbing) diffusion, binary D3PM. */
export type GeneratorKind = 'ddpm' | 'masked' | 'd3pm';

/** The paper's loss: ‖ε − ε̂(√ᾱ_t x0 + √(1−ᾱ_t) ε, t)‖², t uniform over 0..T−1. */
export function epsObjective(sched: Schedule): TrainObjective {
  const draw = (x0: Float32Array, B: number, rng: Rng): EpsBatch => {
    const n = x0.length / B;
    const t = new Int32Array(B);
    for (let b = 0; b < B; b++) t[b] = rng.int(sched.T);
    const eps = rng.fillNormal(new Float32Array(B * n));
    return { t, eps, xt: qSample(sched, x0, t, eps) };
  };
  return {
    kind: 'ddpm',
    head: {},
    epsBatch: draw,
    loss(net, x0, B, rng) {
      const n = x0.length / B;
      const { t, eps, xt } = draw(x0, B, rng);
      const pred = net.forward(fromStorage(xt, [B, n]), t);
      return mseLoss(pred, fromStorage(eps, [B, n]));
    },
  };
}

export interface TrainConfig {
  /** Total iterations of the run (the cosine schedule decays to 0 at this count). */
  iterations: number;
  batchSize: number;
  lr: number;
  lrSchedule: 'cosine' | 'constant';
  /** EMA decay of the weights used for sampling; 0 turns the EMA off. */
  emaDecay: number;
  /** Max global gradient norm; 0 turns clipping off. */
  gradClip: number;
  seed: number;
  schedule: ScheduleKind;
  T: number;
  /**
   * The generator trained (absent = 'ddpm', the paper's ε-MSE) and its settings, recorded in
   * checkpoints so that sampling and resume rebuild the same objective and sampler.
   */
  generator?: GeneratorConfig;
}

export const DEFAULT_TRAIN: TrainConfig = {
  iterations: 4000,
  batchSize: 128,
  lr: 2e-3,
  lrSchedule: 'cosine',
  emaDecay: 0.999,
  gradClip: 1,
  seed: 1,
  schedule: 'linear',
  T: 1000,
};

const MAX_ITERATIONS = 2097152; // 2^21, a bound on the run length (the cosine schedule, losses kept in memory)

/** The learning rate at iteration k (0-based) of a run of N iterations. */
export function learningRate(cfg: Pick<TrainConfig, 'lr' | 'lrSchedule' | 'iterations'>, k: number): number {
  if (cfg.lrSchedule === 'constant') return cfg.lr;
  return 0.5 * cfg.lr * (1 + Math.cos((Math.PI * Math.min(k, cfg.iterations)) / cfg.iterations));
}

export function validateTrainConfig(c: TrainConfig): void {
  const bad = (what: string): never => {
    throw new UsageError(`train config: ${what}`);
  };
  if (!(Number.isInteger(c.iterations) && c.iterations >= 1 && c.iterations < MAX_ITERATIONS)) bad(`iterations must be an integer in 1..${MAX_ITERATIONS - 1}, got ${c.iterations}`);
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1)) bad(`batchSize must be an integer ≥ 1, got ${c.batchSize}`);
  if (!(c.lr > 0)) bad(`lr must be > 0, got ${c.lr}`);
  if (c.lrSchedule !== 'cosine' && c.lrSchedule !== 'constant') bad(`lrSchedule must be cosine|constant, got ${String(c.lrSchedule)}`);
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) bad(`emaDecay must be in [0, 1), got ${c.emaDecay}`);
  if (!(c.gradClip >= 0)) bad(`gradClip must be ≥ 0, got ${c.gradClip}`);
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed < 2 ** 32)) bad(`seed must be an integer in [0, 2^32), got ${c.seed}`);
  if (c.generator !== undefined) {
    try {
      validateGeneratorConfig(c.generator);
    } catch (e) {
      bad((e as Error).message);
    }
  }
}

/** The loss became NaN or infinite: the weights have diverged (learning rate too high, no clipping). */
export class TrainingDivergedError extends Error {
  constructor(readonly iteration: number, readonly loss: number) {
    super(`training diverged: the loss is ${loss} at iteration ${iteration}; lower the learning rate or enable gradient clipping`);
    this.name = 'TrainingDivergedError';
  }
}

/** A training run in progress: network, optimizer, EMA and iteration counter. */
export class DiffusionTrainer {
  readonly sched: Schedule;
  readonly cfg: TrainConfig;
  readonly objective: TrainObjective;
  /** Iterations done so far. */
  iteration = 0;
  /** Loss of every iteration done (index = iteration). */
  readonly losses: number[] = [];
  /**
   * Run the step compiled (trainplan.ts: resident in the backend's memory, bit-identical to the
   * autograd step) where it applies: the ε-objective on a backend with resident kernels (wasm,
   * threads). Elsewhere (discrete objectives, the js and gpu.js backends) and when false, the
   * step runs through autograd, the reference.
   */
  compiledStep = true;
  /** Whether the last step ran compiled. */
  lastStepCompiled = false;
  /**
   * Why the last step ran through autograd instead (compiledStep off, an objective or backend
   * without the compiled step, or the refusal of compileTrainStep, e.g. no room left in the
   * backend's memory for another resident training state); null when it ran compiled.
   */
  lastStepFallback: string | null = null;
  /**
   * Whether the last step could have run compiled — the objective and the backend have the
   * compiled step and compiledStep is on — but compileTrainStep refused it (e.g. no room).
   */
  lastStepRefused = false;
  /** The last step's path in words: 'compiled, update resident', 'compiled, update in JS' or 'autograd (why)'. */
  get lastStepPath(): string {
    if (!this.lastStepCompiled) return `autograd (${this.lastStepFallback ?? 'no step yet'})`;
    return this.lastStepResident ? 'compiled, update resident' : 'compiled, update in JS';
  }
  /**
   * Where the step runs compiled, run its update resident too (trainplan.ts ResidentUpdate:
   * clipping, Adam and the EMA on the backend's copies, the parameters, Adam's moments and the
   * EMA's averages kept there between steps, bit-identical). The gradients then stay in the
   * backend: the network's parameters have no `.grad` after such a step. False: the compiled
   * step copies the gradients out (into `.grad`) and the update runs in JS (clipGradNorm,
   * Adam.step, EMA.update), as before; kept to compare, and for a caller that reads the gradients.
   */
  residentUpdate = true;
  /** Whether the last step's update ran resident. */
  lastStepResident = false;
  private readonly model: NoiseMLP;
  private readonly adam: Adam;
  private readonly average: EMA | null;
  /**
   * What the compiled step's resident copy holds current: the parameters, Adam's moments and
   * the EMA's averages. Where it holds them they are current only there: they are copied back
   * before `net`, `optimizer` or `ema` is handed out (or the step runs elsewhere), not after
   * every step.
   */
  private live = { params: false, moments: false, shadow: false };
  private readonly x0: Float32Array;
  private readonly m: number;
  private readonly n: number;
  /**
   * The compiled step and the backend it was compiled for; or the backend that has none, and why
   * (with the backend's count of freed blocks where it was refused for room: once blocks have been
   * freed since, the next step tries again).
   */
  private compiled: { backend: Backend; plan: TrainStepPlan | null; refused: string | null; freedAt: number | null } | null = null;

  /**
   * A new run, its network initialised from the seed's 'init' stream, or from `weights` (a state
   * dict, e.g. a checkpoint's raw weights: nothing is drawn then).
   */
  constructor(data: SpinData, netConfig: NetworkConfig, cfg: TrainConfig, weights?: Record<string, Tensor>) {
    validateTrainConfig(cfg);
    if (data.n !== netConfig.n) throw new DataError(`trainer: data has n=${data.n} but the network n=${netConfig.n}`);
    if (data.m < 1) throw new DataError('trainer: no training samples');
    this.cfg = { ...cfg };
    this.sched = makeSchedule({ kind: cfg.schedule, T: cfg.T });
    if (netConfig.T !== cfg.T) throw new UsageError(`trainer: network embeds T=${netConfig.T} steps but the schedule has T=${cfg.T}`);
    this.objective = cfg.generator && cfg.generator.kind !== 'ddpm' ? makeDiscreteObjective(cfg.generator, cfg.T) : epsObjective(this.sched);
    const headed = { ...netConfig, ...this.objective.head };
    this.model = weights ? NoiseMLP.fromStateDict(headed, weights) : new NoiseMLP(headed, runStreams(cfg.seed).init());
    this.adam = new Adam(this.model.parameters(), { lr: cfg.lr });
    this.average = cfg.emaDecay > 0 ? new EMA(this.model, cfg.emaDecay) : null;
    this.n = data.n;
    this.m = data.m;
    this.x0 = Float32Array.from(data.s);
  }

  /**
   * The network, its parameters current as of the last step: a resident step's are copied into it
   * here, not after every step, so what this returns is current until the next step() (read it
   * again after stepping). They may be changed before the next step, which then takes them. For
   * the configuration alone, `networkConfig` copies nothing.
   */
  get net(): NoiseMLP {
    this.pull('params');
    this.live.params = false; // the caller may change them: the next step copies them in
    return this.model;
  }

  /** The network's configuration (copies nothing back from a resident step, unlike `net`). */
  get networkConfig(): NetworkConfig {
    return this.model.config;
  }

  /** The optimizer (Adam's moments brought back from the resident step first). */
  get optimizer(): Adam {
    this.release();
    return this.adam;
  }

  /** The EMA of the weights, or null (its averages brought back from the resident step first). */
  get ema(): EMA | null {
    this.release();
    return this.average;
  }

  /** One optimisation step; returns the minibatch loss. */
  step(): number {
    const k = this.iteration;
    const { batchSize: B } = this.cfg;
    const n = this.n;
    const rng = runStreams(this.cfg.seed).train(k);
    const x0 = new Float32Array(B * n);
    for (let b = 0; b < B; b++) {
      const row = rng.int(this.m);
      x0.set(this.x0.subarray(row * n, row * n + n), b * n);
    }
    const epsBatch = this.objective.epsBatch;
    const plan = this.compiledStep && epsBatch ? this.trainPlan() : null;
    const up = plan ? this.residentFor(plan) : null;
    if (!up) this.release(); // the update below runs in JS, on the JS copies
    let value: number, gradients: () => void;
    if (plan && epsBatch) {
      const { xt, t, eps } = epsBatch(x0, B, rng);
      value = plan.forward(xt, t, eps, up !== null && this.live.params);
      gradients = () => plan.backward();
    } else {
      const loss = this.objective.loss(this.model, x0, B, rng);
      value = loss.item();
      gradients = () => backward(loss);
    }
    this.lastStepCompiled = plan !== null;
    this.lastStepResident = up !== null;
    this.lastStepFallback = plan ? null : !this.compiledStep ? 'compiledStep is off'
      : !epsBatch ? 'the objective has no compiled step' : this.compiled?.refused ?? 'no compiled step';
    this.lastStepRefused = !plan && this.compiledStep && !!epsBatch && !!this.compiled?.backend.resident;
    // Stop before the update, so the trainer keeps its last finite state.
    if (!Number.isFinite(value)) throw new TrainingDivergedError(k + 1, value);
    this.adam.zeroGrad();
    // Warm-up of the average (as TensorFlow's ExponentialMovingAverage with num_updates):
    // without it, a run of a few thousand steps samples from weights still near the init.
    const decay = Math.min(this.cfg.emaDecay, (1 + k) / (10 + k));
    if (up) {
      // The same update on the resident copies: the parameters are there (forward), the moments
      // and averages are copied in where they are not.
      this.live.params = true;
      this.push(up);
      up.backward();
      if (this.cfg.gradClip > 0) up.clipGradNorm(this.cfg.gradClip);
      this.adam.lr = learningRate(this.cfg, k);
      const h = this.adam.plainHyper();
      if (!h) throw new Error('trainer: Adam\'s step stopped being the plain update');
      if (this.average) {
        // Adam's update and the average's in one pass over the parameters.
        this.average.decay = decay;
        this.average.updateWith((d) => up.adam(h, d));
      } else up.adam(h);
      this.adam.countPlainStep();
    } else {
      gradients();
      if (this.cfg.gradClip > 0) clipGradNorm(this.model.parameters(), this.cfg.gradClip);
      this.adam.lr = learningRate(this.cfg, k);
      this.adam.step();
      if (this.average) {
        this.average.decay = decay;
        this.average.update(this.model);
      }
    }
    this.losses.push(value);
    this.iteration = k + 1;
    return value;
  }

  /**
   * The plan's resident update where this step can take it: enabled, Adam's step the plain
   * update (Adam.plainHyper), the EMA's averages float64.
   */
  private residentFor(plan: TrainStepPlan): ResidentUpdate | null {
    const up = plan.update;
    if (!up || !this.residentUpdate || this.adam.plainHyper() === null) return null;
    if (this.average && !Object.values(this.average.shadow).every((s) => s.data instanceof Float64Array)) return null;
    return up;
  }

  /** Copy Adam's moments and the EMA's averages into the resident update where it does not hold them. */
  private push(up: ResidentUpdate): void {
    const n = this.adam.params.length;
    if (!this.live.moments) {
      this.adam.releaseKernel(); // the moments live in `up` now: a kernel's copy would only take memory
      for (let k = 0; k < n; k++) {
        const { m, v } = this.adam.readMoments(k);
        up.writeMoments(k, m, v);
      }
      this.live.moments = true;
    }
    if (this.average && !this.live.shadow) {
      const shadow = this.average.shadow;
      this.model.namedParameters().forEach(([name], k) => up.writeShadow(k, entry(shadow, name, 'EMA averages').data));
      this.live.shadow = true;
    }
  }

  /** Copy the resident parameters, moments or averages back into the network, Adam or the EMA where they are current only there. */
  private pull(what: 'params' | 'moments' | 'shadow'): void {
    const up = this.compiled?.plan?.update;
    if (!this.live[what] || !up) return;
    if (what === 'params') up.copyParamsOut();
    else if (what === 'moments') {
      for (let k = 0; k < this.adam.params.length; k++) {
        const { m, v } = up.readMoments(k);
        this.adam.writeMoments(k, m, v);
      }
    } else if (this.average) {
      const shadow = this.average.shadow;
      this.model.namedParameters().forEach(([name], k) => entry(shadow, name, 'EMA averages').data.set(up.readShadow(k)));
    }
  }

  /** Bring everything back into the JS objects, and let the next resident step copy it all in again. */
  private release(): void {
    this.pull('params');
    this.pull('moments');
    this.pull('shadow');
    this.live = { params: false, moments: false, shadow: false };
  }

  /** The compiled step for the current backend (compiled on first use), or null where it has none. */
  private trainPlan(): TrainStepPlan | null {
    const be = getBackend();
    const c = this.compiled;
    if (c?.backend === be && (c.freedAt === null || be.resident?.()?.freedBlocks() === c.freedAt)) return c.plan;
    this.dispose();
    const rk = be.resident?.() ?? null;
    let plan: TrainStepPlan | null = null;
    let refused: string | null = rk ? null : `the ${be.name} backend has no compiled step`;
    let freedAt: number | null = null;
    if (rk) {
      try {
        plan = compileTrainStep(this.model, this.cfg.batchSize, rk);
      } catch (e) {
        if (!(e instanceof NoTrainPlan)) throw e;
        refused = e.message;
        if (e.noRoom) freedAt = rk.freedBlocks();
      }
    }
    this.compiled = { backend: be, plan, refused, freedAt };
    if (plan) plans?.register(this, plan.dispose, this);
    return plan;
  }

  /**
   * Free the backend memory this trainer holds — the compiled step's resident state, and an Adam
   * kernel's moments (a trainer on the autograd step) — now rather than when the trainer is
   * collected; Adam's moments and the EMA's averages are brought back first, and a later step
   * compiles again. A backend's memory holds a few resident training states (the paper n = 40
   * network's takes 175 MiB of its 512 at batch 128); a trainer that finds no room steps through
   * autograd, about half as fast (lastStepFallback says why), until blocks are freed (it then
   * tries again at its next step): dispose of trainers that are done.
   */
  dispose(): void {
    this.release();
    this.adam.releaseKernel();
    if (this.compiled?.plan) {
      plans?.unregister(this);
      this.compiled.plan.dispose();
    }
    this.compiled = null;
  }

  /** The weights to sample with: the EMA shadow if enabled, else the raw weights (copies). */
  samplingStateDict(): Record<string, Tensor> {
    if (this.average) {
      this.pull('shadow');
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(this.average.shadow)) out[name] = new Tensor(t.data.slice(), t.shape);
      return out;
    }
    this.pull('params');
    return this.model.stateDict({ copy: true });
  }
}

/** Frees a compiled step's resident memory when its trainer is collected. */
const plans = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<() => void>((free) => free()) : null;

/**
 * An ε-predictor over a network for the samplers: the network compiled into a fused forward plan
 * (diffusion/plan.ts) that runs on the current backend — resident in wasm memory and split over
 * threads where the backend can — with the time path computed once per step t and cached.
 * The predictor snapshots the weights: make a new one after they change.
 */
export function makePredictor(net: NoiseMLP): EpsPredictor {
  const { plan, stepVectors } = noisePlan(net);
  const perStep = new Map<number, Map<number, Float32Array>>();
  let runner: PlanRunner | null = null, runnerBackend: Backend | null = null, stepSet = -1;
  return (x, t, B) => {
    const be = getBackend();
    if (!runner || runnerBackend !== be) {
      runner = compilePlan(be, plan);
      runnerBackend = be;
      stepSet = -1;
    }
    if (t !== stepSet) {
      let v = perStep.get(t);
      if (!v) perStep.set(t, (v = stepVectors(t)));
      for (const [i, values] of v) runner.setVector(i, values);
      stepSet = t;
    }
    return runner.run(x, B);
  };
}
