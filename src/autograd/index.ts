/**
 * Tape-based reverse-mode autograd: functional ops on Tensor. Each op computes its output with
 * the backend kernels and, when an input needs gradients and recording is on, attaches a node
 * (inputs + backward) to the output. `backward(loss)` walks the tape.
 */
export { noGrad, isGradEnabled, needsGrad } from './graph.js';
export type { Node, BackwardFn } from './graph.js';
export { backward, zeroGrad, topoOrder } from './backward.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { add, sub, mul, div } from './ops/elementwise.js';
export type { Operand } from './ops/elementwise.js';
export { neg, pow, exp, log, sqrt, tanh, sigmoid, relu, gelu, silu, sin, cos, softplus, logSigmoid } from './ops/unary.js';
export { matmul, linear } from './ops/matmul.js';
export { sum, mean } from './ops/reduce.js';
export { reshape, transpose, concat, slice, gatherRows } from './ops/shape.js';
export { mseLoss } from './ops/loss.js';
export { detach } from './detach.js';
export { inverse } from './ops/linalg.js';
