/** Losses. */
import { Tensor, getBackend, sameShape } from '../../tensor/index.js';
import { record } from '../graph.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * mean((pred − target)²) over all elements (PyTorch's MSELoss, reduction 'mean'); shapes must match.
 * d/dpred = 2(pred − target)/N, d/dtarget = −2(pred − target)/N.
 */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) throw new Error(`mseLoss(): pred ${fmt(pred.shape)} and target ${fmt(target.shape)} differ in shape`);
  if (pred.dtype !== target.dtype) throw new Error(`mseLoss(): dtype mismatch (${pred.dtype} vs ${target.dtype})`);
  const n = pred.size;
  if (n === 0) throw new Error('mseLoss(): empty tensors');
  const be = getBackend();
  const p = pred.data, t = target.data;
  let s = 0;
  for (let i = 0; i < n; i++) { const d = p[i]! - t[i]!; s += d * d; }
  const out = new Tensor(be.alloc(pred.dtype, 1), []);
  out.data[0] = s / n;
  return record(out, 'mseLoss', [pred, target], (g, needs) => {
    const b2 = getBackend();
    const c = (2 * g.data[0]!) / n;
    const gp = new Tensor(b2.alloc(pred.dtype, n), pred.shape);
    const gd = gp.data;
    for (let i = 0; i < n; i++) gd[i] = c * (p[i]! - t[i]!);
    let gt: Tensor | null = null;
    if (needs[1]) {
      gt = new Tensor(b2.alloc(pred.dtype, n), pred.shape);
      b2.unary('neg', gd, gt.data);
    }
    return [needs[0] ? gp : null, gt];
  });
}
