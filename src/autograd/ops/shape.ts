/** Shape ops: reshape, 2-D transpose, concat, slice, gather rows. They move data, no arithmetic. */
import { Tensor, getBackend, shapeSize } from '../../tensor/index.js';
import type { Storage } from '../../tensor/index.js';
import { record } from '../graph.js';
import { at, dims } from '../../util/checked.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function allocLike(x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(getBackend().alloc(x.dtype, shapeSize(shape)), shape);
}

function normAxis(what: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) throw new Error(`${what}: axis ${axis} out of range for a ${ndim}-D tensor`);
  return axis < 0 ? axis + ndim : axis;
}

/** The same data with another shape (one dimension may be −1);  gradient: g reshaped back. Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const free = shape.indexOf(-1);
  let target = shape.slice();
  if (free >= 0) {
    if (shape.indexOf(-1, free + 1) >= 0) throw new Error(`reshape(): at most one −1 in ${fmt(shape)}`);
    const rest = shapeSize(shape.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`reshape(): cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
    target[free] = x.size / rest;
  }
  if (shapeSize(target) !== x.size) throw new Error(`reshape(): cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  const out = new Tensor(x.data, target);
  return record(out, 'reshape', [x], (g) => [new Tensor(g.data, x.shape)]);
}

function transposeData(src: Storage, dst: Storage, r: number, c: number): void {
  const B = 32; // cache blocks
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(r, i0 + B);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(c, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) dst[j * r + i] = src[i * c + j]!;
    }
  }
}

/** The 2-D transpose xᵀ;  gradient: gᵀ. */
export function transpose(x: Tensor): Tensor {
  if (x.ndim !== 2) throw new Error(`transpose(): expects a 2-D tensor, got ${fmt(x.shape)}`);
  const [r, c] = dims(x.shape, 2, 'transpose() input');
  const out = allocLike(x, [c, r]);
  transposeData(x.data, out.data, r, c);
  return record(out, 'transpose', [x], (g) => {
    const gx = allocLike(x, [r, c]);
    transposeData(g.data, gx.data, c, r);
    return [gx];
  });
}

/** Copy rows of `len` elements: blocks of src at srcStride into dst at dstStride. */
function copyBlocks(src: Storage, srcOff: number, srcStride: number, dst: Storage, dstOff: number, dstStride: number, len: number, count: number): void {
  for (let o = 0; o < count; o++) {
    const s = srcOff + o * srcStride;
    (dst as Float64Array).set((src as Float64Array).subarray(s, s + len), dstOff + o * dstStride);
  }
}

/** Join tensors along `axis` (other dimensions equal);  gradient: the matching slices of g. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const [first] = xs;
  if (first === undefined) throw new Error('concat(): needs at least one tensor');
  const ax = normAxis('concat()', axis, first.ndim);
  for (const [i, t] of xs.entries()) {
    if (t.dtype !== first.dtype) throw new Error(`concat(): tensor ${i} is ${t.dtype}, tensor 0 is ${first.dtype}`);
    if (t.ndim !== first.ndim || t.shape.some((d, j) => j !== ax && d !== first.shape[j])) {
      throw new Error(`concat(): tensor ${i} has shape ${fmt(t.shape)}, incompatible with ${fmt(first.shape)} along axis ${ax}`);
    }
  }
  const outer = shapeSize(first.shape.slice(0, ax));
  const inner = shapeSize(first.shape.slice(ax + 1));
  const total = xs.reduce((s, t) => s + at(t.shape, ax, 'concat() shape'), 0);
  const shape = first.shape.slice();
  shape[ax] = total;
  const out = allocLike(first, shape);
  const rowOut = total * inner;
  let off = 0;
  for (const t of xs) {
    const len = at(t.shape, ax, 'concat() shape') * inner;
    copyBlocks(t.data, 0, len, out.data, off, rowOut, len, outer);
    off += len;
  }
  return record(out, 'concat', xs, (g, needs) => {
    const grads: (Tensor | null)[] = [];
    let o = 0;
    for (const [i, t] of xs.entries()) {
      const len = at(t.shape, ax, 'concat() shape') * inner;
      if (needs[i]) {
        const gi = allocLike(t, t.shape);
        copyBlocks(g.data, o, rowOut, gi.data, 0, len, len, outer);
        grads.push(gi);
      } else grads.push(null);
      o += len;
    }
    return grads;
  });
}

/** Elements start ≤ i < end along `axis` (a copy);  gradient: g placed into zeros of x's shape. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normAxis('slice()', axis, x.ndim);
  const n = at(x.shape, ax, 'slice() shape');
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new Error(`slice(): range [${start}, ${end}) invalid for axis ${ax} of length ${n} (shape ${fmt(x.shape)})`);
  }
  const outer = shapeSize(x.shape.slice(0, ax));
  const inner = shapeSize(x.shape.slice(ax + 1));
  const shape = x.shape.slice();
  shape[ax] = end - start;
  const out = allocLike(x, shape);
  const len = (end - start) * inner;
  copyBlocks(x.data, start * inner, n * inner, out.data, 0, len, len, outer);
  return record(out, 'slice', [x], (g) => {
    const gx = allocLike(x, x.shape);
    copyBlocks(g.data, 0, len, gx.data, start * inner, n * inner, len, outer);
    return [gx];
  });
}

/** Rows x[idx[i]] of x [N, ...] → [idx.length, ...];  gradient: rows of g added back at idx (repeats add up). */
export function gatherRows(x: Tensor, idx: Int32Array | readonly number[]): Tensor {
  if (x.ndim < 1) throw new Error('gatherRows(): needs at least a 1-D tensor');
  const rows = at(x.shape, 0, 'gatherRows() shape');
  const row = x.size / Math.max(rows, 1);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (r === undefined || !Number.isInteger(r) || r < 0 || r >= rows) throw new Error(`gatherRows(): index ${r} at position ${i} out of range [0, ${rows})`);
  }
  const shape = [idx.length, ...x.shape.slice(1)];
  const out = allocLike(x, shape);
  for (let i = 0; i < idx.length; i++) {
    const s = at(idx, i, 'gatherRows() indices') * row;
    (out.data as Float64Array).set((x.data as Float64Array).subarray(s, s + row), i * row);
  }
  return record(out, 'gatherRows', [x], (g) => {
    const gx = allocLike(x, x.shape);
    const gd = gx.data, src = g.data;
    for (let i = 0; i < idx.length; i++) {
      const d = at(idx, i, 'gatherRows() indices') * row, s = i * row;
      for (let j = 0; j < row; j++) gd[d + j]! += src[s + j]!;
    }
    return [gx];
  });
}
