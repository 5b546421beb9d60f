import type { Tensor } from '../tensor/index.js';

/**
 * Scale all gradients together so that their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖, ‖g₂‖, …)‖₂, coef = maxNorm / (total + 1e-6),
 * and the gradients are multiplied by coef when coef < 1. Returns the norm before clipping.
 * Parameters without a gradient are skipped. The norm is accumulated in float64. A non-finite
 * norm is an error with errorIfNonfinite; otherwise (PyTorch's default) the gradients are
 * multiplied by the NaN coefficient, as PyTorch does.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, opts: { errorIfNonfinite?: boolean } = {}): number {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be ≥ 0, got ${maxNorm}`);
  const grads: (Float32Array | Float64Array)[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad.data);
  if (grads.length === 0) return 0;
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const total = Math.sqrt(sq);
  if (!Number.isFinite(total) && opts.errorIfNonfinite) {
    throw new Error(`clipGradNorm: the total norm of the gradients is ${total}; set errorIfNonfinite: false to clip anyway`);
  }
  const coef = maxNorm / (total + 1e-6);
  // torch.clamp(coef, max=1) keeps NaN, so NaN gradients propagate; coef ≥ 1 leaves them alone.
  if (!(coef >= 1)) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  return total;
}
