import type { Rng } from '../random/index.js';
import type { DType, Storage } from './dtype.js';
import { getBackend } from './backend/registry.js';
import { shapeSize, Tensor } from './tensor.js';

/** A new zero-filled tensor, storage from the current backend. */
export function empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return new Tensor(getBackend().alloc(dtype, shapeSize(shape)), shape);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return empty(shape, dtype);
}

export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  const t = empty(shape, dtype);
  t.data.fill(value);
  return t;
}

export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

type Nested = number | Nested[];

function inferShape(v: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as Nested;
    if (cur === undefined) break;
  }
  return shape;
}

/**
 * A tensor from nested arrays or a flat typed/plain array (then `shape` is required unless 1-D).
 * Ragged nested arrays and non-finite shapes are errors.
 */
export function tensor(values: Nested | ArrayLike<number>, opts: { dtype?: DType; shape?: readonly number[] } = {}): Tensor {
  const dtype = opts.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  if (typeof values === 'number') {
    const t = empty([], dtype);
    t.data[0] = values;
    return t;
  }
  if (Array.isArray(values) && values.some((x) => Array.isArray(x))) {
    const shape = inferShape(values as Nested);
    const t = empty(shape, dtype);
    let k = 0;
    const walk = (v: Nested, dim: number): void => {
      if (dim === shape.length) {
        if (typeof v !== 'number') throw new Error('tensor(): ragged nested array');
        t.data[k++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[dim]) throw new Error(`tensor(): ragged nested array at depth ${dim}`);
      for (const x of v) walk(x, dim + 1);
    };
    walk(values as Nested, 0);
    return t;
  }
  const flat = values as ArrayLike<number>;
  const shape = opts.shape ?? [flat.length];
  const t = empty(shape, dtype);
  if (flat.length !== t.size) throw new Error(`tensor(): ${flat.length} values do not fit shape [${shape.join(', ')}]`);
  t.data.set(flat);
  return t;
}

/** Wrap existing storage without copying. */
export function fromStorage(data: Storage, shape: readonly number[]): Tensor {
  return new Tensor(data, shape);
}

/** Uniform [lo, hi) entries. */
export function rand(shape: readonly number[], rng: Rng, dtype: DType = 'float32', lo = 0, hi = 1): Tensor {
  const t = empty(shape, dtype);
  for (let i = 0; i < t.size; i++) t.data[i] = lo + (hi - lo) * rng.uniform();
  return t;
}

/** Normal(mean, std) entries. */
export function randn(shape: readonly number[], rng: Rng, dtype: DType = 'float32', mean = 0, std = 1): Tensor {
  const t = empty(shape, dtype);
  rng.fillNormal(t.data, mean, std);
  return t;
}
