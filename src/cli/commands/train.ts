/** spindiff train: train the diffusion model on spin data, with the energy-variance stop rule. */
import { readBytes } from '../../io/files.js';
import { UsageError } from '../args.js';
import type { OptionSpec, ParsedArgs } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { BACKEND_OPTION, THREADS_OPTION, loadData, onBackend, pathOf, progressFor } from './common.js';
import { decodeSafetensors, encodeSafetensors } from '../../io/safetensors.js';
import { Rng } from '../../random/index.js';
import { Tensor } from '../../tensor/index.js';
import { erasureMachine } from '../../ising/index.js';
import type { SpinData } from '../../ising/index.js';
import { presetConfig } from '../../diffusion/network.js';
import type { NetworkConfig, PresetName } from '../../diffusion/network.js';
import { DEFAULT_TRAIN } from '../../diffusion/train.js';
import type { TrainConfig } from '../../diffusion/train.js';
import { DEFAULT_SAMPLER, splitHalves, trainDiffusion } from '../../diffusion/augment.js';
import type { CurvePoint, SamplerOptions, TrainState } from '../../diffusion/augment.js';
import { encodeCheckpoint, resumeTrainer } from '../../diffusion/checkpoint.js';

/** Options shared by train and augment: network, training, sampler, stop rule. */
export const modelOptions: Record<string, OptionSpec> = {
  preset: { type: 'string', help: 'network: small (CPU default), tiny, or paper (thesis widths 128-256-512, 200-400-600 for n ≥ 60)', default: 'small', choices: ['small', 'tiny', 'paper'] },
  widths: { type: 'intList', help: 'encoder widths overriding the preset, e.g. 128,256,512', min: 1, meta: 'W0,W1,…' },
  'time-dim': { type: 'int', help: 'sinusoidal time-embedding dimension (thesis: 1000 = T)', min: 4, meta: 'D' },
  residual: { type: 'boolean', help: 'residual shortcuts in the blocks (--no-residual to drop them)', default: true },
  iters: { type: 'int', help: 'training iterations', default: DEFAULT_TRAIN.iterations, min: 1 },
  batch: { type: 'int', help: 'minibatch size', default: DEFAULT_TRAIN.batchSize, min: 1 },
  lr: { type: 'number', help: 'Adam learning rate (paper: 1e-4 constant)', default: DEFAULT_TRAIN.lr, min: 0 },
  'lr-schedule': { type: 'string', help: 'learning-rate schedule', default: DEFAULT_TRAIN.lrSchedule, choices: ['cosine', 'constant'] },
  ema: { type: 'number', help: 'EMA decay of the sampling weights (0 = off)', default: DEFAULT_TRAIN.emaDecay, min: 0, max: 0.999999 },
  clip: { type: 'number', help: 'max gradient norm (0 = off)', default: DEFAULT_TRAIN.gradClip, min: 0 },
  schedule: { type: 'string', help: 'noise schedule (paper: linear 1e-4..0.02, T=1000)', default: 'linear', choices: ['linear', 'cosine'] },
  stop: { type: 'string', help: 'stopping rule', default: 'energy-variance', choices: ['energy-variance', 'none'] },
  'eval-every': { type: 'int', help: 'evaluate the energy-variance ratio every K iterations (default iters/10)', min: 1, meta: 'K' },
  'eval-samples': { type: 'int', help: 'generated samples per evaluation', default: 1000, min: 2 },
  'min-fraction': { type: 'number', help: 'stop rule: never choose a checkpoint before this fraction of the iterations', default: 0.5, min: 0, max: 1 },
  patience: { type: 'int', help: 'stop rule: evaluations without improvement before stopping', default: 5, min: 1 },
  sampler: { type: 'string', help: 'sampler for evaluation/generation', default: DEFAULT_SAMPLER.sampler, choices: ['ddpm', 'ddim'] },
  steps: { type: 'int', help: 'DDIM steps', default: DEFAULT_SAMPLER.steps, min: 1, max: 1000 },
  eta: { type: 'number', help: 'DDIM η (1 = stochastic, 0 = deterministic)', default: DEFAULT_SAMPLER.eta, min: 0 },
  seed: { type: 'int', help: 'seed (init, minibatches, noise, split, generation)', default: 1, min: 0 },
  backend: { ...BACKEND_OPTION },
  threads: { ...THREADS_OPTION },
  progress: { type: 'boolean', help: 'draw progress bars even when stderr is not a terminal' },
  json: { type: 'boolean', help: 'print a JSON summary' },
};


export type Args = ParsedArgs & { positionals: string[] };

export function networkFromArgs(a: Args, n: number): NetworkConfig {
  const base = presetConfig(a['preset'] as PresetName, n);
  const widths = a['widths'] as number[] | undefined;
  if (widths && widths.length < 2) throw new UsageError(`--widths: need at least two widths, got ${widths.join(',')}`);
  const timeDim = a['timeDim'] as number | undefined;
  if (timeDim !== undefined && timeDim % 2 !== 0) throw new UsageError(`--time-dim: must be even, got ${timeDim}`);
  return { ...base, ...(widths ? { widths } : {}), ...(timeDim ? { timeDim } : {}), residual: a['residual'] as boolean };
}

export function trainFromArgs(a: Args): TrainConfig {
  return {
    ...DEFAULT_TRAIN,
    iterations: a['iters'] as number,
    batchSize: a['batch'] as number,
    lr: a['lr'] as number,
    lrSchedule: a['lrSchedule'] as 'cosine' | 'constant',
    emaDecay: a['ema'] as number,
    gradClip: a['clip'] as number,
    schedule: a['schedule'] as 'linear' | 'cosine',
    seed: a['seed'] as number,
  };
}

export function samplerFromArgs(a: Args): SamplerOptions {
  return { ...DEFAULT_SAMPLER, sampler: a['sampler'] as 'ddpm' | 'ddim', steps: a['steps'] as number, eta: a['eta'] as number };
}

/** A progress bar (progressFor) shown when stderr is a TTY or with --progress. */
export function bar(ctx: CliContext, a: Args, label: string): ReturnType<typeof progressFor> {
  return progressFor(ctx, label, ctx.isTTY || Boolean(a['progress']));
}

/** Metadata of the stop rule's state, so a resumed run continues the same curve. */
function stateMetadata(s: TrainState): Record<string, string> {
  return {
    curve: JSON.stringify(s.curve),
    chosen_iteration: String(s.best?.iteration ?? s.trainer.iteration),
  };
}

/** The checkpoint file: the trainer, with the chosen weights under 'train.best.*' when known. */
export function checkpointBytes(s: TrainState, final: boolean): Uint8Array {
  const bytes = encodeCheckpoint(s.trainer, stateMetadata(s));
  if (!s.best) return bytes;
  // Re-encode with the chosen checkpoint's weights as the plain (sampling) names at the end,
  // and always kept under train.best.* for a resume.
  return reencodeWithBest(bytes, s.best, final);
}

function reencodeWithBest(bytes: Uint8Array, best: { iteration: number; stateDict: Record<string, Tensor> }, final: boolean): Uint8Array {
  const f = decodeSafetensors(bytes);
  const tensors = { ...f.tensors };
  for (const [k, t] of Object.entries(best.stateDict)) {
    const f32 = new Tensor(Float32Array.from(t.data), t.shape);
    tensors[`train.best.${k}`] = f32;
    if (final) tensors[k] = f32;
  }
  return encodeSafetensors(tensors, { ...f.metadata, best_iteration: String(best.iteration), sampling_weights: final ? `chosen checkpoint (iteration ${best.iteration})` : 'current EMA' });
}

function readBest(bytes: Uint8Array): { iteration: number; stateDict: Record<string, Tensor> } | null {
  const f = decodeSafetensors(bytes);
  const it = f.metadata['best_iteration'];
  if (it === undefined) return null;
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(f.tensors)) if (k.startsWith('train.best.')) sd[k.slice('train.best.'.length)] = t;
  return { iteration: Number(it), stateDict: sd };
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
      const h = splitHalves(train, new Rng(a['seed'] as number).split());
      train = h.train;
      test = h.test;
      ctx.stderr(`train: no --test; split ${dataFile} into ${train.m} train / ${test.m} test rows for the stop rule\n`);
    }
    const out = pathOf(ctx, a['out'] as string);
    let resumeState: { trainer: ReturnType<typeof resumeTrainer>; curve: CurvePoint[]; best: ReturnType<typeof readBest> } | null = null;
    let netCfg = networkFromArgs(a, train.n);
    let trainCfg = trainFromArgs(a);
    if (a['resume']) {
      const rf = a['resume'] as string;
      const bytes = new Uint8Array(readBytes(pathOf(ctx, rf), rf));
      const trainer = resumeTrainer(bytes, train, { iterations: a['iters'] as number }, rf);
      const md = decodeSafetensors(bytes).metadata;
      const curve = md['curve'] ? (JSON.parse(md['curve']) as CurvePoint[]) : [];
      resumeState = { trainer, curve, best: readBest(bytes) };
      netCfg = trainer.net.config;
      trainCfg = trainer.cfg;
      ctx.stderr(`train: resuming ${rf} at iteration ${trainer.iteration} of ${trainCfg.iterations}\n`);
    }
    const thetaTrain = stop === 'energy-variance' ? erasureMachine(train, { signal: ctx.signal }).params : undefined;
    const startIt = resumeState?.trainer.iteration ?? 0;
    const b = bar(ctx, a, 'train');
    const t0 = performance.now();
    const res = await trainDiffusion(train, {
      network: netCfg, train: trainCfg, sampler: samplerFromArgs(a), stop,
      stopRule: { minIterations: Math.round((a['minFraction'] as number) * trainCfg.iterations), patience: a['patience'] as number },
      evalEvery: a['evalEvery'] as number | undefined, evalSamples: a['evalSamples'] as number,
      test, thetaTrain, rng: new Rng((a['seed'] as number) + 1),
      resume: resumeState?.trainer, resumeCurve: resumeState?.curve, resumeBest: resumeState?.best,
      checkpointEvery: a['checkpointEvery'] as number,
      onCheckpoint: (s) => writeFileAtomic(out, checkpointBytes(s, false)),
      onProgress: b.onProgress,
      signal: ctx.signal,
    });
    b.end();
    writeFileAtomic(out, checkpointBytes(res, true));
    const secs = (performance.now() - t0) / 1000;
    const done = res.trainer.iteration - startIt;
    const summary = {
      out: a['out'], iterations: res.trainer.iteration, stopIteration: res.stopIteration, chosenIteration: res.chosen.iteration,
      interrupted: ctx.signal.aborted, crossed: res.decision?.crossed ?? null, finalLoss: res.trainer.losses.at(-1) ?? null,
      curve: res.curve.map((p) => ({ iteration: p.iteration, ratio: p.ratio, loss: p.loss })), seconds: secs, network: netCfg, train: trainCfg,
    };
    if (a['json']) ctx.stdout(JSON.stringify(summary) + '\n');
    else {
      const last = res.curve.at(-1);
      ctx.stdout(`trained ${done} iterations (${(secs).toFixed(1)} s)${ctx.signal.aborted ? ', interrupted' : ''}; loss ${summary.finalLoss?.toFixed(4)}` +
        (stop === 'energy-variance' ? `; stop rule chose iteration ${res.chosen.iteration}${last ? ` (last ratio ${last.ratio.toFixed(3)}, ${res.decision?.crossed ? 'crossed 1' : 'never crossed 1'})` : ''}` : '') + `; wrote ${a['out']}\n`);
    }
    return ctx.signal.aborted ? 130 : 0;
  }
}
export default command;
