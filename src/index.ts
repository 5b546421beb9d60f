/**
 * spindiff core: browser-safe (no Node built-ins, no eval, no run-time code generation).
 * Node-only helpers (files, CLI) are exported from ./node.ts.
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
