// Messages between a SpindiffWorker (the page or main thread) and the worker that serves it.
// Values cross by structured clone: typed arrays and plain objects as they are; Tensors as
// { __tensor: shape, data } records revived on the other side (a clone drops the class).
import { Tensor } from '../tensor/tensor.js';

export type Request = { id: number; type: 'run'; op: string; args: unknown[] } | { id: number; type: 'abort' };
export type Reply =
  | { id: number; type: 'progress'; args: unknown[] }
  | { id: number; type: 'result'; value: unknown }
  | { id: number; type: 'error'; name: string; message: string };

interface PackedTensor { __tensor: readonly number[]; data: Tensor['data'] }

/** Replace Tensors (at any depth in arrays and plain objects) by packed records. */
export function pack(v: unknown): unknown {
  if (v instanceof Tensor) return { __tensor: v.shape.slice(), data: v.data } satisfies PackedTensor;
  if (Array.isArray(v)) return v.map(pack);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'function') out[k] = pack(x);
    return out;
  }
  return v;
}

/** The inverse of pack. */
export function unpack(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unpack);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['__tensor']) && ArrayBuffer.isView(o['data'])) return new Tensor(o['data'] as Tensor['data'], o['__tensor'] as number[]);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = unpack(x);
    return out;
  }
  return v;
}
