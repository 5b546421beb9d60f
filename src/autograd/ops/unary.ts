/**
 * Unary elementwise ops. Each forward is one backend `unary` kernel and each backward one
 * `unaryGrad` kernel (out = g·f'(x)). Value and derivative of each op sit side by side in one
 * table (src/tensor/backend/unary.ts: UNARY_OPS), which the backends and the op tests iterate;
 * the formulas below repeat its `doc` strings for the reader.
 */
import { Tensor, mapUnary, mapUnaryGrad } from '../../tensor/index.js';
import type { UnaryOp } from '../../tensor/index.js';
import { record } from '../graph.js';

function unaryOp(op: UnaryOp, x: Tensor, p?: number): Tensor {
  const y = mapUnary(op, x, p);
  return record(y, op, [x], (g) => [mapUnaryGrad(op, x, y, g, p)]);
}

/** −x;  d/dx = −1 */
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
/** x^p for a constant p;  d/dx = p·x^(p−1) */
export function pow(x: Tensor, p: number): Tensor {
  if (typeof p !== 'number' || !Number.isFinite(p)) throw new Error(`pow(): exponent must be a finite number, got ${String(p)}`);
  return unaryOp('pow', x, p);
}
/** eˣ;  d/dx = eˣ */
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
/** ln x;  d/dx = 1/x */
export const log = (x: Tensor): Tensor => unaryOp('log', x);
/** √x;  d/dx = 1/(2√x) */
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
/** tanh x;  d/dx = 1 − tanh²x */
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
/** σ(x) = 1/(1+e⁻ˣ);  d/dx = σ(1−σ) */
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
/** max(x, 0);  d/dx = [x > 0] (0 at x = 0, as PyTorch) */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
/** x·Φ(x), exact erf form (PyTorch's default);  d/dx = Φ(x) + x·φ(x) */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', x);
/** x·σ(x);  d/dx = σ(x)·(1 + x·(1 − σ(x))) */
export const silu = (x: Tensor): Tensor => unaryOp('silu', x);
/** sin x;  d/dx = cos x */
export const sin = (x: Tensor): Tensor => unaryOp('sin', x);
/** cos x;  d/dx = −sin x */
export const cos = (x: Tensor): Tensor => unaryOp('cos', x);
/** ln(1 + eˣ), stable for large |x|;  d/dx = σ(x) */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x);
/** ln σ(x) = −softplus(−x) (use instead of log(sigmoid(x)));  d/dx = σ(−x) = 1 − σ(x) */
export const logSigmoid = (x: Tensor): Tensor => unaryOp('logSigmoid', x);
