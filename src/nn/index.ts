/** Neural-network layer: modules with PyTorch names, Linear, activations, time embedding, loss, optimizers, clipping, EMA. */
export { Module, Sequential } from './module.js';
export type { StateDict, LoadStateDictResult } from './module.js';
export { Linear, uniformInit } from './linear.js';
export type { LinearOptions } from './linear.js';
export { GELU, SiLU, ReLU, Tanh, Sigmoid, Identity } from './activations.js';
export { SinusoidalTimeEmbedding } from './embedding.js';
export { MSELoss } from './loss.js';
export { Optimizer, optimizerStateToSafetensors, optimizerStateFromSafetensors } from './optim/optimizer.js';
export type { OptimizerState } from './optim/optimizer.js';
export { SGD } from './optim/sgd.js';
export type { SGDOptions } from './optim/sgd.js';
export { Adam, AdamW } from './optim/adam.js';
export type { AdamOptions } from './optim/adam.js';
export { clipGradNorm, checkMaxNorm, clipScale, clipSurelyIdle } from './clip.js';
export { EMA } from './ema.js';
export { encodeTrainingCheckpoint, decodeTrainingCheckpoint } from './checkpoint.js';
export type { CheckpointParts } from './checkpoint.js';
