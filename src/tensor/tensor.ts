import type { DType, Storage } from './dtype.js';
import { dtypeOf } from './dtype.js';
import { at } from '../util/checked.js';

/** Product of a shape's dimensions (1 for a scalar []). */
export function shapeSize(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]: dimensions must be integers ≥ 0`);
    s *= d;
  }
  return s;
}

/**
 * A contiguous row-major tensor, float32 or float64. `data` is the storage (allocated by the
 * current backend); `shape` its dimensions. Autograd state (requiresGrad, grad, node) lives here
 * too, but only the autograd layer reads `node`.
 */
export class Tensor {
  readonly data: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** Whether gradients flow to this tensor (parameters, or inputs of gradcheck). */
  requiresGrad = false;
  /** Accumulated gradient, same shape and dtype; null until a backward pass reaches it. */
  grad: Tensor | null = null;
  /** The autograd graph node that produced this tensor (opaque outside src/autograd). */
  node: unknown = null;

  constructor(data: Storage, shape: readonly number[]) {
    const size = shapeSize(shape);
    if (data.length !== size) throw new Error(`Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    this.data = data;
    this.shape = Object.freeze(shape.slice());
    this.dtype = dtypeOf(data);
    this.size = size;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements, expected 1`);
    return this.data[0]!;
  }

  /** Nested JS arrays (for printing and tests). */
  toArray(): any {
    const rec = (dim: number, offset: number): any => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: at(this.shape, dim, 'shape') }, (_, i) => rec(dim + 1, offset + i * stride));
    };
    return rec(0, 0);
  }

  /** Mark as requiring gradients; returns this. */
  requireGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}
