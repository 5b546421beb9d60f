import type { Rng } from '../random/index.js';
import { Tensor, empty, type DType } from '../tensor/index.js';
import { linear } from '../autograd/index.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

/**
 * y = x·Wᵀ + b with W of shape [out, in], as torch.nn.Linear. PyTorch's default init:
 * kaiming_uniform_(W, a=√5) has bound gain·√(3/in) with gain = √(2/(1+5)), i.e. 1/√in, and the
 * bias is U(-1/√in, 1/√in) too. Drawn from `rng`: W row-major first, then b. With `rng` null the
 * parameters are zeros, to be filled by loadStateDict (no initialisation thrown away).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, rng: Rng | null, opts: LinearOptions = {}) {
    super();
    for (const [what, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Linear: ${what} must be an integer ≥ 0, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = opts.dtype ?? 'float32';
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = uniformInit([outFeatures, inFeatures], bound, rng, dtype);
    this.bias = opts.bias === false ? null : uniformInit([outFeatures], bound, rng, dtype);
  }

  forward(x: Tensor): Tensor {
    const last = x.shape[x.shape.length - 1];
    if (last !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): input has shape [${x.shape.join(', ')}], expected last dimension ${this.inFeatures}`);
    }
    return linear(x, this.weight, this.bias);
  }
}

/** A parameter tensor with entries U(-bound, bound) (zeros without an rng). */
export function uniformInit(shape: readonly number[], bound: number, rng: Rng | null, dtype: DType = 'float32'): Tensor {
  const t = empty(shape, dtype);
  if (rng) for (let i = 0; i < t.size; i++) t.data[i] = (2 * rng.uniform() - 1) * bound;
  return t.requireGrad();
}
