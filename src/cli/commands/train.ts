/** spindiff train: train the diffusion model on spin data, with the energy-variance stop rule. */
import { readBytes } from '../../io/files.js';
import { UsageError } from '../args.js';
import type { OptionSpec, ParsedArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { BACKEND_OPTION, THREADS_OPTION, checkFiles, loadData, onBackend, pathOf, progressFor } from './common.js';
import { erasureMachine } from '../../ising/index.js';
import type { SpinData } from '../../ising/index.js';
import { DEFAULT_PRESET, parameterCount, presetConfig } from '../../diffusion/network.js';
import type { NetworkConfig, PresetName } from '../../diffusion/network.js';
import { DEFAULT_TRAIN, validateTrainConfig } from '../../diffusion/train.js';
import type { GeneratorKind, TrainConfig } from '../../diffusion/train.js';
import { D3PM_LAMBDA, generatorConfig } from '../../diffusion/discrete/objective.js';
import { AUGMENT_DEFAULTS, DEFAULT_SAMPLER, splitForSeed, trainDiffusion } from '../../diffusion/augment.js';
import type { SamplerOptions } from '../../diffusion/augment.js';
import { DEFAULT_STOP_RULE } from '../../diffusion/stopping.js';
import { encodeTrainState, resumeRun } from '../../diffusion/checkpoint.js';
import type { ResumedRun } from '../../diffusion/checkpoint.js';

/** Options shared by train and augment: network, training, sampler, stop rule. */
export const modelOptions: Record<string, OptionSpec> = {
  preset: { type: 'string', help: 'network: small (CPU default), tiny, or paper (thesis widths 128-256-512, 200-400-600 for n ≥ 60)', default: DEFAULT_PRESET, choices: ['small', 'tiny', 'paper'] },
  widths: { type: 'intList', help: 'encoder widths overriding the preset, e.g. 128,256,512', min: 1, max: 4096, meta: 'W0,W1,…' },
  'time-dim': { type: 'int', help: 'sinusoidal time-embedding dimension (thesis: 1000 = T)', min: 4, max: 4096, meta: 'D' },
  residual: { type: 'boolean', help: 'residual shortcuts in the blocks (--no-residual to drop them)', default: true },
  iters: { type: 'int', help: `training iterations (default ${DEFAULT_TRAIN.iterations}; with --resume: the checkpoint's)`, min: 1 },
  batch: { type: 'int', help: 'minibatch size', default: DEFAULT_TRAIN.batchSize, min: 1, max: 65536 },
  lr: { type: 'number', help: 'Adam learning rate (paper: 1e-4 constant)', default: DEFAULT_TRAIN.lr, min: 0 },
  'lr-schedule': { type: 'string', help: 'learning-rate schedule', default: DEFAULT_TRAIN.lrSchedule, choices: ['cosine', 'constant'] },
  ema: { type: 'number', help: 'EMA decay of the sampling weights (0 = off)', default: DEFAULT_TRAIN.emaDecay, min: 0, max: 0.999999 },
  clip: { type: 'number', help: 'max gradient norm (0 = off)', default: DEFAULT_TRAIN.gradClip, min: 0 },
  schedule: { type: 'string', help: 'noise schedule (paper: linear 1e-4..0.02, T=1000)', default: DEFAULT_TRAIN.schedule, choices: ['linear', 'cosine'] },
  stop: { type: 'string', help: 'stopping rule', default: AUGMENT_DEFAULTS.stop, choices: ['energy-variance', 'none'] },
  'eval-every': { type: 'int', help: `evaluate the energy-variance ratio every K iterations (default iters × ${AUGMENT_DEFAULTS.evalFraction})`, min: 1, meta: 'K' },
  'eval-samples': { type: 'int', help: 'generated samples per evaluation', default: AUGMENT_DEFAULTS.evalSamples, min: 2, max: 1000000 },
  'min-fraction': { type: 'number', help: 'stop rule: never choose a checkpoint before this fraction of the iterations', default: AUGMENT_DEFAULTS.minFraction, min: 0, max: 1 },
  patience: { type: 'int', help: 'stop rule: evaluations without improvement before stopping', default: DEFAULT_STOP_RULE.patience, min: 1 },
  sampler: { type: 'string', help: 'sampler for evaluation/generation', default: DEFAULT_SAMPLER.sampler, choices: ['ddpm', 'ddim'] },
  steps: { type: 'int', help: 'DDIM steps', default: DEFAULT_SAMPLER.steps, min: 1, max: 1000 },
  eta: { type: 'number', help: 'DDIM η (1 = stochastic, 0 = deterministic)', default: DEFAULT_SAMPLER.eta, min: 0 },
  generator: { type: 'string', help: 'ddpm (analog bits, the paper), masked (absorbing-state diffusion) or d3pm (binary uniform D3PM)', default: 'ddpm', choices: ['ddpm', 'masked', 'd3pm'] },
  lambda: { type: 'number', help: `d3pm: weight λ of the auxiliary cross-entropy in L_vb + λ·CE (Austin et al.: ${D3PM_LAMBDA})`, default: D3PM_LAMBDA, min: 0 },
  seed: { type: 'int', help: 'seed of the run (named streams: init, minibatches and noise, evaluations, split, generation)', default: DEFAULT_TRAIN.seed, min: 0 },
  backend: { ...BACKEND_OPTION },
  threads: { ...THREADS_OPTION },
  progress: { type: 'boolean', help: 'progress every second when stderr is not a terminal (default: every 5 s)' },
  json: { type: 'boolean', help: 'print a JSON summary' },
};


export type Args = ParsedArgs & { positionals: string[] };

export function networkFromArgs(a: Args, n: number): NetworkConfig {
  const base = presetConfig(a['preset'] as PresetName, n);
  const widths = a['widths'] as number[] | undefined;
  if (widths && widths.length < 2) throw new UsageError(`--widths: need at least two widths, got ${widths.join(',')}`);
  const timeDim = a['timeDim'] as number | undefined;
  if (timeDim !== undefined && timeDim % 2 !== 0) throw new UsageError(`--time-dim: must be even, got ${timeDim}`);
  const cfg = { ...base, ...(widths ? { widths } : {}), ...(timeDim ? { timeDim } : {}), residual: a['residual'] as boolean };
  const params = parameterCount(cfg);
  if (params > MAX_PARAMETERS) throw new UsageError(`--widths ${cfg.widths.join(',')}: a network of ${params.toExponential(2)} parameters is above the limit of ${MAX_PARAMETERS.toExponential(0)} (each takes ~20 bytes while training)`);
  return cfg;
}

/** Largest network built from flags: 5·10⁷ parameters is ~1 GB of training state. */
const MAX_PARAMETERS = 5e7;

export function trainFromArgs(a: Args): TrainConfig {
  if (!((a['lr'] as number) > 0)) throw new UsageError(`--lr: must be > 0, got ${a['lr']}`);
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN,
    iterations: (a['iters'] as number | undefined) ?? DEFAULT_TRAIN.iterations,
    batchSize: a['batch'] as number,
    lr: a['lr'] as number,
    lrSchedule: a['lrSchedule'] as 'cosine' | 'constant',
    emaDecay: a['ema'] as number,
    gradClip: a['clip'] as number,
    schedule: a['schedule'] as 'linear' | 'cosine',
    seed: a['seed'] as number,
    ...(a['generator'] !== 'ddpm' ? { generator: generatorConfig(a['generator'] as GeneratorKind, { lambda: a['lambda'] as number, schedule: a['schedule'] as 'linear' | 'cosine' }) } : {}),
  };
  try {
    validateTrainConfig(cfg);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return cfg;
}

export function samplerFromArgs(a: Args): SamplerOptions {
  return { ...DEFAULT_SAMPLER, sampler: a['sampler'] as 'ddpm' | 'ddim', steps: a['steps'] as number, eta: a['eta'] as number };
}

/** Progress (progressFor): a bar on a terminal, else a line every 5 s (every second with --progress). */
export function bar(ctx: CliContext, a: Args, label: string): ReturnType<typeof progressFor> {
  return progressFor(ctx, label, Boolean(a['progress']));
}

const command: Command = {
  spec: {
    name: 'train',
    summary: 'train the diffusion model on spin data (energy-variance stopping, safetensors checkpoints, resume)',
    examples: [
      'spindiff train --data train.txt --test test.txt --out model.safetensors',
      'spindiff train --data train.txt --test test.txt --out model.safetensors --iters 20000 --resume model.safetensors',
      'spindiff train --data data.txt --out model.safetensors --preset paper --lr 1e-4 --lr-schedule constant --ema 0 --stop none',
    ],
    options: {
      data: { type: 'string', help: 'training data (text ±1 or 0/1, or .npy)', required: true, meta: 'FILE' },
      test: { type: 'string', help: 'held-out data for the stop rule (default: split --data in half)', meta: 'FILE' },
      out: { type: 'string', help: 'checkpoint to write (safetensors)', required: true, meta: 'FILE' },
      resume: { type: 'string', help: 'continue from this checkpoint (same data; --iters may extend the run)', meta: 'FILE' },
      'checkpoint-every': { type: 'int', help: 'write --out every K iterations', default: 1000, min: 1, meta: 'K' },
      ...modelOptions,
    },
  },
  async run(a, ctx) {
    const dataFile = a['data'] as string;
    trainFromArgs(a); // flag errors before reading anything
    if (a['out'] === '-') throw new UsageError('--out: a checkpoint is binary and is written to a file, not standard output');
    // --resume may name --out (continue in place); any other input may not.
    checkFiles(ctx, [['--data', dataFile], ['--test', a['test'] as string | undefined]], [['--out', a['out'] as string]]);
    return onBackend(a, ctx, () => runTrain(a, ctx, dataFile));
  },
};

async function runTrain(a: Args, ctx: CliContext, dataFile: string): Promise<number> {
  {
    let train: SpinData = loadData(ctx, dataFile);
    let test: SpinData | undefined = a['test'] ? loadData(ctx, a['test'] as string) : undefined;
    if (test && test.n !== train.n) throw new UsageError(`${a['test']}: n=${test.n}, but ${dataFile} has n=${train.n}`);
    const stop = a['stop'] as 'energy-variance' | 'none';
    if (stop === 'energy-variance' && !test) {
      const h = splitForSeed(train, a['seed'] as number);
      train = h.train;
      test = h.test;
      ctx.stderr(`train: no --test; split ${dataFile} into ${train.m} train / ${test.m} test rows for the stop rule\n`);
    }
    const out = pathOf(ctx, a['out'] as string);
    let resumed: ResumedRun | null = null;
    const shownOut = a['out'] as string;
    let netCfg = networkFromArgs(a, train.n);
    let trainCfg = trainFromArgs(a);
    if (a['resume']) {
      const rf = a['resume'] as string;
      const bytes = new Uint8Array(readBytes(pathOf(ctx, rf), rf));
      resumed = resumeRun(bytes, train, a['iters'] !== undefined ? { iterations: a['iters'] as number } : {}, rf);
      netCfg = resumed.resume.net.config;
      trainCfg = resumed.resume.cfg;
      ctx.stderr(`train: resuming ${rf} at iteration ${resumed.resume.iteration} of ${trainCfg.iterations}\n`);
    }
    let thetaTrain;
    if (stop === 'energy-variance') {
      const p = progressFor(ctx, 'θ_train (erasure machine)', Boolean(a['progress']));
      thetaTrain = erasureMachine(train, { signal: ctx.signal, onProgress: p.onProgress }).params;
      p.end();
    }
    const startIt = resumed?.resume.iteration ?? 0;
    const b = bar(ctx, a, 'train');
    const t0 = performance.now();
    const res = await trainDiffusion(train, {
      network: netCfg, train: trainCfg, sampler: samplerFromArgs(a), stop,
      minFraction: a['minFraction'] as number, stopRule: { patience: a['patience'] as number },
      evalEvery: a['evalEvery'] as number | undefined, evalSamples: a['evalSamples'] as number,
      test, thetaTrain, ...resumed,
      checkpointEvery: a['checkpointEvery'] as number,
      onCheckpoint: (s) => writeFileAtomic(out, encodeTrainState(s, false), shownOut),
      onProgress: b.onProgress,
      signal: ctx.signal,
    });
    b.end();
    // Interrupted: the final checkpoint holds the state to resume from (its plain weights are the
    // current EMA, as at a periodic checkpoint); complete: the chosen weights.
    writeFileAtomic(out, encodeTrainState(res, !ctx.signal.aborted), shownOut);
    const secs = (performance.now() - t0) / 1000;
    const done = res.trainer.iteration - startIt;
    const summary = {
      out: a['out'], iterations: res.trainer.iteration, stopIteration: res.stopIteration, chosenIteration: res.chosen.iteration,
      interrupted: ctx.signal.aborted, crossed: res.decision?.crossed ?? null, finalLoss: res.trainer.losses.at(-1) ?? null,
      curve: res.curve.map((p) => ({ iteration: p.iteration, ratio: p.ratio, loss: p.loss })), seconds: secs, network: netCfg, train: trainCfg,
      step: done > 0 ? res.trainer.lastStepPath : null,
    };
    // Half the speed without saying so would be a silent surprise (where a compiled step exists).
    if (done > 0 && res.trainer.lastStepRefused) ctx.stderr(`train: the steps ran through ${res.trainer.lastStepPath}\n`);
    if (a['json']) ctx.stdout(JSON.stringify(summary) + '\n');
    else {
      const last = res.curve.at(-1);
      ctx.stdout(`trained ${done} iterations (${(secs).toFixed(1)} s)${ctx.signal.aborted ? ', interrupted' : ''}; loss ${summary.finalLoss?.toFixed(4)}` +
        (stop === 'energy-variance' && !ctx.signal.aborted ? `; stop rule chose iteration ${res.chosen.iteration}${last ? ` (last ratio ${last.ratio.toFixed(3)}, ${res.decision?.crossed ? 'crossed 1' : 'never crossed 1'})` : ''}` : '') + `; wrote ${a['out']}\n`);
    }
    if (ctx.signal.aborted) {
      ctx.stderr(`train: interrupted at iteration ${res.trainer.iteration}; continue with --resume ${a['out']}\n`);
      return 130;
    }
    return 0;
  }
}
export default command;
