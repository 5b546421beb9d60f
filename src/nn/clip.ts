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
  checkMaxNorm(maxNorm);
  const grads: (Float32Array | Float64Array)[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad.data);
  if (grads.length === 0) return 0;
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const { total, scale } = clipScale(sq, maxNorm, opts.errorIfNonfinite);
  if (scale !== null) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * scale;
  return total;
}

/**
 * True where clipScale(sq, maxNorm) surely leaves the gradients alone (scale null) for the
 * in-order float64 sum sq of n squares, given `sqAny`, a float64 sum of the same squares in any
 * other order: both are within γ₍ₙ₋₁₎ ≈ n·2⁻⁵³ relative of the exact sum (the terms are ≥ 0;
 * Higham 2002, §4.2), so sq ≤ sqAny·(1 + 4n·2⁻⁵³) (+2⁻⁴⁰ for the product's own rounding); and
 * the decision is monotone in sq (rounded √, + and ÷ are). Where this is true, a kernel may skip
 * the serial in-order sum: clipping would not have happened.
 */
export function clipSurelyIdle(sqAny: number, n: number, maxNorm: number): boolean {
  if (!(sqAny >= 0 && Number.isFinite(sqAny) && Number.isSafeInteger(n) && n >= 0)) return false; // n not a count: no margin known
  return clipScale(sqAny * (1 + 4 * n * 2 ** -53 + 2 ** -40), maxNorm).scale === null;
}

/** clipGradNorm's check of maxNorm. */
export function checkMaxNorm(maxNorm: number): void {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be ≥ 0, got ${maxNorm}`);
}

/**
 * clipGradNorm's decision from the float64 sum of squares `sq` of all the gradients (kernels that
 * sum elsewhere, e.g. the compiled training step's, share it): the total norm √sq and the factor
 * the gradients are multiplied by, coef = maxNorm / (total + 1e-6), or null where coef ≥ 1 leaves
 * them alone. torch.clamp(coef, max=1) keeps NaN, so a NaN coefficient is applied (NaN gradients
 * propagate) unless errorIfNonfinite.
 */
export function clipScale(sq: number, maxNorm: number, errorIfNonfinite = false): { total: number; scale: number | null } {
  const total = Math.sqrt(sq);
  if (!Number.isFinite(total) && errorIfNonfinite) {
    throw new Error(`clipGradNorm: the total norm of the gradients is ${total}; set errorIfNonfinite: false to clip anyway`);
  }
  const coef = maxNorm / (total + 1e-6);
  return { total, scale: coef >= 1 ? null : coef };
}
