import { Tensor, fromStorage } from '../../tensor/index.js';
import { at } from '../../util/checked.js';

/**
 * Optimizer state in a form safetensors can hold: float64 buffers named '<param index>.<buffer>'
 * (PyTorch's state keys: exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer), the per-parameter
 * step counts, and the hyperparameters (lr included, so a schedule resumes where it was).
 */
export interface OptimizerState {
  kind: string;
  hyper: Record<string, number | boolean>;
  steps: number[];
  buffers: Record<string, Tensor>;
}

/** Base of SGD, Adam and AdamW: the parameter list, a mutable learning rate, zeroGrad. */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  /** Learning rate, read at every step (set it for schedules). */
  lr: number;
  /** Steps taken per parameter (a parameter without a gradient is skipped, as in PyTorch). */
  protected readonly steps: number[];

  constructor(params: Iterable<Tensor>, lr: number, kind: string) {
    const list = Array.from(params);
    const seen = new Set<Tensor>();
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${kind}: parameter ${i} is not a Tensor`);
      if (!p.requiresGrad) throw new Error(`${kind}: parameter ${i} (shape [${p.shape.join(', ')}]) does not have requiresGrad`);
      if (seen.has(p)) throw new Error(`${kind}: parameter ${i} appears more than once`);
      seen.add(p);
    });
    if (list.length === 0) throw new Error(`${kind}: got an empty parameter list`);
    checkNonNegative(kind, 'lr', lr);
    this.params = list;
    this.lr = lr;
    this.steps = list.map(() => 0);
  }

  abstract step(): void;

  /** Drop gradients (setToNone, PyTorch's default) or zero them in place (keeps the storage). */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (setToNone) p.grad = null;
      else p.grad?.data.fill(0);
    }
  }

  abstract stateDict(): OptimizerState;
  abstract loadStateDict(state: OptimizerState): void;

  /** The gradient of parameter i, or null; checks its shape. */
  protected gradOf(i: number): Float32Array | Float64Array | null {
    const p = at(this.params, i, 'optimizer parameters');
    const g = p.grad;
    if (g === null) return null;
    if (g.size !== p.size) throw new Error(`optimizer: gradient of parameter ${i} has ${g.size} elements, the parameter ${p.size}`);
    return g.data;
  }

  protected exportBuffers(kind: string, hyper: Record<string, number | boolean>, named: Record<string, (Float64Array | null)[]>): OptimizerState {
    const buffers: Record<string, Tensor> = Object.create(null);
    for (const [bname, arrs] of Object.entries(named)) {
      arrs.forEach((a, i) => {
        if (a !== null) buffers[`${i}.${bname}`] = fromStorage(a.slice(), at(this.params, i, 'optimizer parameters').shape);
      });
    }
    return { kind, hyper: { ...hyper, lr: this.lr }, steps: this.steps.slice(), buffers };
  }

  /** Check a saved state against this optimizer and copy its steps; returns a buffer getter. */
  protected importCommon(kind: string, state: OptimizerState): (i: number, bname: string) => Float64Array | null {
    if (state.kind !== kind) throw new Error(`${kind}.loadStateDict: state is from a ${state.kind} optimizer`);
    if (state.steps.length !== this.params.length) {
      throw new Error(`${kind}.loadStateDict: state has ${state.steps.length} parameters, this optimizer ${this.params.length}`);
    }
    return (i, bname) => {
      const t = state.buffers[`${i}.${bname}`];
      if (t === undefined) return null;
      const p = at(this.params, i, 'optimizer parameters');
      if (t.size !== p.size) throw new Error(`${kind}.loadStateDict: buffer '${i}.${bname}' has ${t.size} elements, parameter ${i} has ${p.size}`);
      return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
    };
  }
}

/** Copy known numeric/boolean hyperparameters from a saved state onto the optimizer. */
export function applyHyper(target: object, hyper: Record<string, number | boolean>): void {
  const t = target as Record<string, unknown>;
  for (const [k, v] of Object.entries(hyper)) {
    if (k in t && typeof t[k] === typeof v) t[k] = v;
  }
}

export function checkNonNegative(kind: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${kind}: invalid ${name} ${v} (must be a finite number ≥ 0)`);
}

export function checkBeta(kind: string, i: number, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new Error(`${kind}: invalid beta parameter at index ${i}: ${v} (must be in [0, 1))`);
}

/**
 * Pack an optimizer state for a safetensors file: its buffers as tensors, the rest as JSON in
 * the metadata key 'optimizer'.
 */
export function optimizerStateToSafetensors(state: OptimizerState): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const [k, t] of Object.entries(state.buffers)) tensors[`optimizer.${k}`] = t;
  return { tensors, metadata: { optimizer: JSON.stringify({ kind: state.kind, hyper: state.hyper, steps: state.steps }) } };
}

/** Inverse of optimizerStateToSafetensors (other tensors in the file are ignored). */
export function optimizerStateFromSafetensors(file: { tensors: Record<string, Tensor>; metadata: Record<string, string> }): OptimizerState {
  const meta = file.metadata.optimizer;
  if (meta === undefined) throw new Error("optimizer state: metadata key 'optimizer' not found in the file");
  let parsed: { kind?: unknown; hyper?: unknown; steps?: unknown };
  try {
    parsed = JSON.parse(meta);
  } catch {
    throw new Error("optimizer state: metadata 'optimizer' is not valid JSON");
  }
  if (typeof parsed.kind !== 'string' || !Array.isArray(parsed.steps) || typeof parsed.hyper !== 'object' || parsed.hyper === null) {
    throw new Error("optimizer state: metadata 'optimizer' must have kind, hyper and steps");
  }
  const buffers: Record<string, Tensor> = Object.create(null);
  for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith('optimizer.')) buffers[k.slice('optimizer.'.length)] = t;
  return { kind: parsed.kind, hyper: parsed.hyper as Record<string, number | boolean>, steps: parsed.steps as number[], buffers };
}
