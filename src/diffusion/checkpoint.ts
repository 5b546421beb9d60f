/**
 * Diffusion checkpoints in safetensors. The plain parameter names ('mlp_in.weight', …) hold the
 * weights to sample with (the EMA if enabled), in float32, so the file loads in PyTorch into the
 * thesis MLP with `load_state_dict({k: v for k, v in sd.items() if '.' in k and
 * not k.startswith(('train.', 'optimizer.'))})`. Training state for an exact resume sits beside
 * them: 'train.raw.<name>' (current weights), 'train.ema.<name>' (float64 EMA), 'optimizer.*'
 * (Adam moments, via nn's optimizerStateToSafetensors) and 'train.losses'. The metadata holds
 * the network and training configs as JSON (so `sample` can rebuild the network), and the
 * iteration count (with the seed it determines every later random draw).
 *
 * A training run (trainDiffusion) adds the stop rule's state: metadata 'curve' (the evaluations so
 * far, JSON) and 'chosen_iteration'; when the rule has chosen a checkpoint, its weights under
 * 'train.best.<name>' and its iteration as 'best_iteration'; in the final file the plain names
 * hold the chosen weights ('sampling_weights' says which). This file alone knows the layout.
 */
import { DataError } from '../util/errors.js';
import { Tensor } from '../tensor/index.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { optimizerStateFromSafetensors, optimizerStateToSafetensors } from '../nn/index.js';
import type { SpinData } from '../ising/index.js';
import { DiffusionTrainer, validateTrainConfig } from './train.js';
import type { TrainConfig } from './train.js';
import { NoiseMLP } from './network.js';
import type { NetworkConfig } from './network.js';
import type { CurvePoint, TrainState } from './augment.js';
import type { GeneratorConfig } from './discrete/objective.js';

export const CHECKPOINT_FORMAT = 'spindiff-diffusion-1';

export interface CheckpointInfo {
  network: NetworkConfig;
  train: TrainConfig;
  iteration: number;
  /** Whether the plain weights are the EMA (else the raw weights). */
  ema: boolean;
  /** The generator (from the training config; files without one are the analog-bits DDPM). */
  generator: GeneratorConfig;
  extra: Record<string, string>;
}

function f32(t: Tensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape);
}

/** Serialize a trainer (sampling weights + full training state). `extra` goes to the metadata. */
export function encodeCheckpoint(tr: DiffusionTrainer, extra: Record<string, string> = {}): Uint8Array {
  const { tensors, metadata } = checkpointParts(tr, extra);
  return encodeSafetensors(tensors, metadata);
}

function checkpointParts(tr: DiffusionTrainer, extra: Record<string, string>): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const tensors: Record<string, Tensor> = Object.create(null);
  const sampling = tr.samplingStateDict();
  for (const [k, t] of Object.entries(sampling)) tensors[k] = f32(t);
  for (const [k, t] of Object.entries(tr.net.stateDict({ copy: true }))) tensors[`train.raw.${k}`] = t;
  if (tr.ema) for (const [k, t] of Object.entries(tr.ema.shadow)) tensors[`train.ema.${k}`] = new Tensor(t.data.slice(), t.shape);
  const opt = optimizerStateToSafetensors(tr.optimizer.stateDict());
  Object.assign(tensors, opt.tensors);
  tensors['train.losses'] = new Tensor(Float64Array.from(tr.losses), [tr.losses.length]);
  const metadata: Record<string, string> = {
    ...extra,
    ...opt.metadata,
    format: CHECKPOINT_FORMAT,
    network: JSON.stringify(tr.net.config),
    train: JSON.stringify(tr.cfg),
    iteration: String(tr.iteration),
    ema: tr.ema ? 'true' : 'false',
    ema_updates: String(tr.ema?.updates ?? 0),
    generator: tr.objective.kind,
  };
  return { tensors, metadata };
}

const BEST = 'train.best.';

/**
 * A training run's checkpoint: the trainer, the stop rule's curve, and the chosen weights under
 * 'train.best.*' when known. `final`: the plain names hold the chosen weights (else the current
 * sampling weights, so a file written mid-run samples from where training is).
 */
export function encodeTrainState(s: TrainState, final: boolean): Uint8Array {
  const { tensors, metadata } = checkpointParts(s.trainer, { curve: JSON.stringify(s.curve), chosen_iteration: String(s.best?.iteration ?? s.trainer.iteration) });
  if (!s.best) return encodeSafetensors(tensors, metadata);
  for (const [k, t] of Object.entries(s.best.stateDict)) {
    const w = f32(t);
    tensors[`${BEST}${k}`] = w;
    if (final) tensors[k] = w;
  }
  return encodeSafetensors(tensors, { ...metadata, best_iteration: String(s.best.iteration), sampling_weights: final ? `chosen checkpoint (iteration ${s.best.iteration})` : 'current EMA' });
}

/** What trainDiffusion needs to continue a run from its checkpoint (see its resume options). */
export interface ResumedRun {
  resume: DiffusionTrainer;
  resumeCurve: CurvePoint[];
  resumeBest: { iteration: number; stateDict: Record<string, Tensor> } | null;
}

/** Continue a run written by encodeTrainState: the trainer (see resumeTrainer), the curve and the chosen checkpoint so far. */
export function resumeRun(bytes: Uint8Array, data: SpinData, opts: { iterations?: number } = {}, where = 'checkpoint'): ResumedRun {
  const file = decode(bytes, where);
  const md = file.metadata;
  const resumeCurve = md['curve'] === undefined ? [] : parseJSON<CurvePoint[]>(md['curve'], 'curve', where);
  if (!Array.isArray(resumeCurve)) throw new DataError(`${where}: metadata 'curve' is not a list of evaluations`);
  let resumeBest: ResumedRun['resumeBest'] = null;
  if (md['best_iteration'] !== undefined) {
    const iteration = Number(md['best_iteration']);
    if (!Number.isInteger(iteration) || iteration < 0) throw new DataError(`${where}: metadata 'best_iteration' is ${md['best_iteration']}`);
    const stateDict: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith(BEST)) stateDict[k.slice(BEST.length)] = t;
    resumeBest = { iteration, stateDict };
  }
  return { resume: trainerFrom(file, data, opts, where), resumeCurve, resumeBest };
}

function parseJSON<T>(s: string | undefined, what: string, where: string): T {
  if (s === undefined) throw new DataError(`${where}: metadata '${what}' is missing (not a spindiff diffusion checkpoint?)`);
  try {
    return JSON.parse(s) as T;
  } catch {
    throw new DataError(`${where}: metadata '${what}' is not valid JSON`);
  }
}

function decode(bytes: Uint8Array, where: string): ReturnType<typeof decodeSafetensors> & { info: CheckpointInfo } {
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    throw new DataError(`${where}: ${(e as Error).message}`);
  }
  const md = file.metadata;
  if (md['format'] !== CHECKPOINT_FORMAT) throw new DataError(`${where}: not a spindiff diffusion checkpoint (metadata format is ${JSON.stringify(md['format'] ?? null)}, expected '${CHECKPOINT_FORMAT}')`);
  const network = parseJSON<NetworkConfig>(md['network'], 'network', where);
  const train = parseJSON<TrainConfig>(md['train'], 'train', where);
  const iteration = Number(md['iteration']);
  if (!Number.isInteger(iteration) || iteration < 0) throw new DataError(`${where}: metadata 'iteration' is ${md['iteration']}`);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) if (!['format', 'network', 'train', 'iteration', 'ema', 'ema_updates', 'optimizer', 'generator'].includes(k)) extra[k] = v;
  const generator: GeneratorConfig = train.generator ?? { kind: 'ddpm' };
  if ((md['generator'] ?? 'ddpm') !== generator.kind) throw new Error(`${where}: metadata 'generator' is ${md['generator']} but the training config says ${generator.kind}`);
  return { ...file, info: { network, train, iteration, ema: md['ema'] === 'true', generator, extra } };
}

/** The configs and iteration of a checkpoint. */
export function checkpointInfo(bytes: Uint8Array, where = 'checkpoint'): CheckpointInfo {
  return decode(bytes, where).info;
}

/** The network with the sampling weights of a checkpoint. */
export function loadSamplingNetwork(bytes: Uint8Array, where = 'checkpoint'): { net: NoiseMLP; info: CheckpointInfo } {
  const file = decode(bytes, where);
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) if (!k.startsWith('train.') && !k.startsWith('optimizer.')) sd[k] = t;
  try {
    return { net: NoiseMLP.fromStateDict(file.info.network, sd), info: file.info };
  } catch (e) {
    throw new DataError(`${where}: ${(e as Error).message}`);
  }
}

/**
 * Rebuild a trainer from a checkpoint to continue training on `data` (the same data for an exact
 * resume). `iterations` may extend the run; the cosine schedule then uses the new total.
 */
export function resumeTrainer(bytes: Uint8Array, data: SpinData, opts: { iterations?: number } = {}, where = 'checkpoint'): DiffusionTrainer {
  return trainerFrom(decode(bytes, where), data, opts, where);
}

function trainerFrom(file: ReturnType<typeof decode>, data: SpinData, opts: { iterations?: number }, where: string): DiffusionTrainer {
  const cfg: TrainConfig = { ...file.info.train, ...(opts.iterations !== undefined ? { iterations: opts.iterations } : {}) };
  const raw: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith('train.raw.')) raw[k.slice('train.raw.'.length)] = t;
  if (Object.keys(raw).length === 0) throw new DataError(`${where}: training state 'train.raw.*' is missing (a sampling-only file cannot be resumed)`);
  let tr: DiffusionTrainer;
  try {
    validateTrainConfig(cfg);
    tr = new DiffusionTrainer(data, file.info.network, cfg, raw);
  } catch (e) {
    throw new DataError(`${where}: ${(e as Error).message}`);
  }
  if (tr.ema) {
    for (const [k, s] of Object.entries(tr.ema.shadow)) {
      const t = file.tensors[`train.ema.${k}`];
      if (!t) throw new DataError(`${where}: training state 'train.ema.${k}' is missing`);
      if (t.size !== s.size) throw new DataError(`${where}: 'train.ema.${k}' has ${t.size} values, expected ${s.size}`);
      s.data.set(t.data);
    }
    tr.ema.updates = Number(file.metadata['ema_updates'] ?? 0);
  }
  tr.optimizer.loadStateDict(optimizerStateFromSafetensors(file));
  const losses = file.tensors['train.losses'];
  if (!losses || losses.size !== file.info.iteration) throw new DataError(`${where}: 'train.losses' should hold ${file.info.iteration} values`);
  tr.losses.push(...Array.from(losses.data));
  tr.iteration = file.info.iteration;
  return tr;
}
