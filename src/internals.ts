/**
 * `spindiff/internals`: every layer's full surface (tensor kernels, autograd graph helpers, the
 * Ising layer's formats and solvers, the diffusion building blocks, plot helpers). Used by the
 * tests and by power users; unlike the root (src/index.ts), it carries no stability promise.
 */
export * from './random/index.js';
export * from './util/index.js';
export * from './tensor/index.js';
export * from './autograd/index.js';
export * from './nn/index.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export type { DecodedSafetensors, SafetensorsDType } from './io/safetensors.js';
export * from './ising/index.js';
export * from './diffusion/index.js';
export * from './plot/index.js';
export * from './models/index.js';
export * from './attack/index.js';
