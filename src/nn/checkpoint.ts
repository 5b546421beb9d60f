import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor/index.js';
import type { EMA } from './ema.js';
import type { Module } from './module.js';
import { entry } from '../util/checked.js';
import { optimizerStateFromSafetensors, optimizerStateToSafetensors, type Optimizer } from './optim/optimizer.js';

const EMA_PREFIX = 'ema.';
const OPT_PREFIX = 'optimizer.';

export interface CheckpointParts {
  model: Module;
  ema?: EMA | null;
  optimizer?: Optimizer | null;
  metadata?: Record<string, string>;
}

/**
 * One safetensors file with everything needed to resume training: the model's parameters under
 * their PyTorch names ('downs.0.mlp1.weight', so `model.load_state_dict(load_file(f), strict=False)`
 * works in PyTorch), the EMA shadows under 'ema.<name>', the optimizer's buffers under
 * 'optimizer.<i>.<buffer>' with its step counts and hyperparameters as JSON in metadata
 * 'optimizer'. Metadata 'format' defaults to 'pt', as safetensors.torch writes.
 */
export function encodeTrainingCheckpoint(parts: CheckpointParts): Uint8Array {
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const [name, p] of parts.model.namedParameters()) {
    if (name.startsWith(EMA_PREFIX) || name.startsWith(OPT_PREFIX)) {
      throw new Error(`encodeTrainingCheckpoint: parameter name '${name}' clashes with the '${EMA_PREFIX}' / '${OPT_PREFIX}' prefixes of a checkpoint`);
    }
    tensors[name] = p;
  }
  if (parts.ema) for (const [name, s] of Object.entries(parts.ema.shadow)) tensors[EMA_PREFIX + name] = s;
  const metadata: Record<string, string> = { format: 'pt', ...(parts.metadata ?? {}) };
  if (parts.optimizer) {
    const packed = optimizerStateToSafetensors(parts.optimizer.stateDict());
    Object.assign(tensors, packed.tensors);
    if (metadata.optimizer !== undefined) throw new Error("encodeTrainingCheckpoint: metadata key 'optimizer' is reserved");
    metadata.optimizer = packed.metadata.optimizer!;
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Load a checkpoint written by encodeTrainingCheckpoint (or a plain PyTorch state dict file) into the
 * given model, and the EMA and optimizer when given. The model's keys are checked strictly
 * (missing, unexpected and mis-shaped names are errors). Returns the file's metadata.
 */
export function decodeTrainingCheckpoint(bytes: Uint8Array, parts: { model: Module; ema?: EMA | null; optimizer?: Optimizer | null }): { metadata: Record<string, string> } {
  const file = decodeSafetensors(bytes);
  const model: Record<string, Tensor> = Object.create(null);
  const ema: Record<string, Tensor> = Object.create(null);
  for (const [k, t] of Object.entries(file.tensors)) {
    if (k.startsWith(EMA_PREFIX)) ema[k.slice(EMA_PREFIX.length)] = t;
    else if (!k.startsWith(OPT_PREFIX)) model[k] = t;
  }
  // Check everything that can be checked before changing anything.
  if (parts.ema) {
    const shadow = parts.ema.shadow;
    const missing = Object.keys(shadow).filter((n) => ema[n] === undefined);
    if (missing.length > 0) throw new Error(`decodeTrainingCheckpoint: the file has no EMA shadow for ${missing.slice(0, 5).map((n) => `'${n}'`).join(', ')}${missing.length > 5 ? ' …' : ''}`);
    for (const [n, s] of Object.entries(shadow)) {
      const e = entry(ema, n, 'EMA shadows in the file');
      if (e.size !== s.size) throw new Error(`decodeTrainingCheckpoint: EMA shadow '${n}' has ${e.size} elements in the file, ${s.size} in the model`);
    }
  }
  const optState = parts.optimizer ? optimizerStateFromSafetensors(file) : null;
  parts.model.loadStateDict(model, true);
  if (parts.ema) for (const [n, s] of Object.entries(parts.ema.shadow)) s.data.set(entry(ema, n, 'EMA shadows in the file').data);
  if (parts.optimizer && optState) parts.optimizer.loadStateDict(optState);
  return { metadata: file.metadata };
}
