/** Reductions over axes. */
import { Tensor, reduceSum, expandTo, normalizeAxes, keptShapeOf } from '../../tensor/index.js';
import { record } from '../graph.js';
import { at } from '../../util/checked.js';

/** Σ over `axes` (all when omitted);  d/dx = 1, so the gradient is g broadcast back over the summed axes. */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.ndim, 'sum()');
  const out = reduceSum(x, ax, keepDims);
  const kept = keptShapeOf(x.shape, ax);
  return record(out, 'sum', [x], (g) => [expandTo(new Tensor(g.data, kept), x.shape)]);
}

/** Mean over `axes` (all when omitted);  d/dx = 1/N with N the number of averaged elements. */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.ndim, 'mean()');
  let count = 1;
  for (const a of ax) count *= at(x.shape, a, 'mean() shape');
  const out = reduceSum(x, ax, keepDims);
  const inv = 1 / count;
  for (let i = 0; i < out.size; i++) out.data[i] = out.data[i]! * inv;
  const kept = keptShapeOf(x.shape, ax);
  return record(out, 'mean', [x], (g) => [expandTo(new Tensor(g.data, kept), x.shape, inv)]);
}
