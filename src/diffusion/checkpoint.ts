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
import { at, last } from '../util/checked.js';
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
    network: JSON.stringify(tr.networkConfig),
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
  const damaged = `${where}: metadata 'curve' (the stop rule's history) is damaged; resume with --stop none, or start again`;
  let resumeCurve: CurvePoint[] = [];
  if (md['curve'] !== undefined) {
    try {
      resumeCurve = JSON.parse(md['curve']) as CurvePoint[];
    } catch {
      throw new DataError(damaged);
    }
  }
  const keys = ['iteration', 'varGenerated', 'varTest', 'ratio', 'loss'] as const;
  const pointOk = (p: unknown): boolean => p !== null && typeof p === 'object' && keys.every((k) => typeof (p as Record<string, unknown>)[k] === 'number' || (k !== 'iteration' && (p as Record<string, unknown>)[k] === null));
  if (!Array.isArray(resumeCurve) || !resumeCurve.every(pointOk)) throw new DataError(damaged);
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

function parseJSON<T = unknown>(s: string | undefined, what: string, where: string): T {
  if (s === undefined) throw new DataError(`${where}: metadata '${what}' is missing (not a spindiff diffusion checkpoint?)`);
  try {
    return JSON.parse(s) as T;
  } catch {
    throw new DataError(`${where}: metadata '${what}' is not valid JSON (damaged file?)`);
  }
}

/**
 * Limits on a checkpoint's network config, far above any real model: the config comes from a file
 * and sizes what is allocated, so it is checked before anything is built.
 */
export const CHECKPOINT_LIMITS = { maxN: 100_000, maxWidth: 16_384, maxDepth: 16, maxT: 100_000, maxTable: 1 << 24, maxBatch: 1 << 16 } as const;

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * The network config of a checkpoint, validated against sane limits and against the shapes of
 * the stored sampling tensors (every width, n and the embedding size appear in them), before any
 * network is built: then building allocates no more than the file holds, plus the T × timeDim
 * embedding table, which is bounded here. Errors name the file.
 */
export function validateCheckpointNetwork(raw: unknown, tensors: Record<string, Tensor>, where: string): NetworkConfig {
  const bad = (what: string): never => {
    throw new DataError(`${where}: metadata 'network' ${what}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) bad('must be an object {n, widths, timeDim, T, residual}');
  const c = raw as Record<string, unknown>;
  const L = CHECKPOINT_LIMITS;
  if (!isInt(c['n'], 1, L.maxN)) bad(`n must be an integer in 1..${L.maxN}, got ${JSON.stringify(c['n'])}`);
  const widths = c['widths'];
  if (!Array.isArray(widths) || widths.length < 2 || widths.length > L.maxDepth || !widths.every((w) => isInt(w, 1, L.maxWidth))) {
    bad(`widths must be 2..${L.maxDepth} integers in 1..${L.maxWidth}, got ${JSON.stringify(widths)?.slice(0, 80)}`);
  }
  if (!isInt(c['timeDim'], 4, L.maxWidth) || (c['timeDim'] as number) % 2 !== 0) bad(`timeDim must be an even integer in 4..${L.maxWidth}, got ${JSON.stringify(c['timeDim'])}`);
  if (!isInt(c['T'], 1, L.maxT)) bad(`T must be an integer in 1..${L.maxT}, got ${JSON.stringify(c['T'])}`);
  if (typeof c['residual'] !== 'boolean') bad(`residual must be true or false, got ${JSON.stringify(c['residual'])}`);
  for (const k of ['inputChannels', 'outputChannels']) if (c[k] !== undefined && !isInt(c[k], 1, 16)) bad(`${k} must be an integer in 1..16, got ${JSON.stringify(c[k])}`);
  const cin = (c['inputChannels'] as number | undefined) ?? 1, cout = (c['outputChannels'] as number | undefined) ?? 1;
  const cfg: NetworkConfig = {
    n: c['n'] as number, widths: (widths as number[]).slice(), timeDim: c['timeDim'] as number, T: c['T'] as number, residual: c['residual'] as boolean,
    ...(c['inputChannels'] !== undefined ? { inputChannels: cin } : {}), ...(c['outputChannels'] !== undefined ? { outputChannels: cout } : {}),
  };
  if (cfg.T * cfg.timeDim > L.maxTable) bad(`T × timeDim = ${cfg.T * cfg.timeDim} is above the limit of ${L.maxTable}`);
  // The architecture of network.ts, as [out, in] of the first Linear of each part.
  const w = cfg.widths;
  const D = w.length;
  const w0 = at(w, 0, 'widths');
  const wL = last(w, 'widths');
  const dIn = w.slice();
  const dOut = [...w.slice(1), wL];
  const want: [string, number, number][] = [
    ['mlp_in.weight', w0, cfg.n * cin],
    ['mlp_out.weight', cfg.n * cout, 2 * w0],
    ['t_emb.1.weight', at(w, 1, 'widths'), cfg.timeDim],
    ['mid.mlp1.weight', wL, wL],
  ];
  for (const [i, din] of dIn.entries()) want.push([`downs.${i}.mlp1.weight`, at(dOut, i, 'block widths out'), din]);
  let cur = wL;
  for (let j = D - 1, k = 0; j >= 0; j--, k++) {
    const din = at(dIn, j, 'block widths in');
    want.push([`ups.${k}.mlp1.weight`, din, cur + at(dOut, j, 'block widths out')]);
    cur = din;
  }
  for (const [name, rows, cols] of want) {
    const t = tensors[name];
    if (!t) throw new DataError(`${where}: tensor '${name}' is missing`);
    if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) {
      throw new DataError(`${where}: tensor '${name}' has shape [${t.shape.join(', ')}], but the metadata 'network' implies [${rows}, ${cols}] (damaged or edited file?)`);
    }
  }
  const shortcut = Object.keys(tensors).some((k) => !k.startsWith('train.') && k.includes('conv_shortcut'));
  const needShortcut = cfg.residual && dIn.some((v, i) => v !== dOut[i]);
  if (shortcut !== needShortcut) throw new DataError(`${where}: metadata 'network' says residual ${cfg.residual}, which does not match the stored tensors`);
  return cfg;
}

/** The train config of a checkpoint, checked (as the trainer would) with errors naming the file. */
function validateCheckpointTrain(raw: unknown, network: NetworkConfig, where: string): TrainConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new DataError(`${where}: metadata 'train' must be an object`);
  const cfg = raw as TrainConfig;
  try {
    validateTrainConfig(cfg);
  } catch (e) {
    throw new DataError(`${where}: metadata ${(e as Error).message}`);
  }
  if (!isInt(cfg.batchSize, 1, CHECKPOINT_LIMITS.maxBatch)) throw new DataError(`${where}: metadata 'train' batchSize must be at most ${CHECKPOINT_LIMITS.maxBatch}, got ${cfg.batchSize}`);
  if (cfg.T !== network.T) throw new DataError(`${where}: metadata 'train' has T=${cfg.T} but 'network' T=${network.T}`);
  if (cfg.schedule !== 'linear' && cfg.schedule !== 'cosine') throw new DataError(`${where}: metadata 'train' schedule must be linear|cosine, got ${JSON.stringify(cfg.schedule)}`);
  return cfg;
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
  const network = validateCheckpointNetwork(parseJSON(md['network'], 'network', where), file.tensors, where);
  const train = validateCheckpointTrain(parseJSON(md['train'], 'train', where), network, where);
  const iteration = Number(md['iteration']);
  if (!Number.isInteger(iteration) || iteration < 0) throw new DataError(`${where}: metadata 'iteration' is ${JSON.stringify(md['iteration'] ?? null)}, not a count`);
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

function firstNonFinite(a: Float32Array | Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

/** The network with the sampling weights of a checkpoint (refused when any weight is NaN or infinite). */
export function loadSamplingNetwork(bytes: Uint8Array, where = 'checkpoint'): { net: NoiseMLP; info: CheckpointInfo } {
  const file = decode(bytes, where);
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (k.startsWith('train.') || k.startsWith('optimizer.')) continue;
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new DataError(`${where}: tensor '${k}' holds a non-finite value (${t.data[bad]} at index ${bad}): the training diverged; retrain with a smaller --lr or with --clip`);
    sd[k] = t;
  }
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
    const updates = Number(file.metadata['ema_updates'] ?? 0);
    if (!(Number.isInteger(updates) && updates >= 0)) throw new DataError(`${where}: metadata 'ema_updates' is ${JSON.stringify(file.metadata['ema_updates'])}, not a count`);
    tr.ema.updates = updates;
  }
  try {
    tr.optimizer.loadStateDict(optimizerStateFromSafetensors(file));
  } catch (e) {
    throw new DataError(`${where}: optimizer state: ${(e as Error).message}`);
  }
  const losses = file.tensors['train.losses'];
  if (!losses || losses.size !== file.info.iteration) throw new DataError(`${where}: 'train.losses' should hold ${file.info.iteration} values`);
  tr.losses.push(...Array.from(losses.data));
  tr.iteration = file.info.iteration;
  return tr;
}
