/** Diffusion-model data augmentation: schedule, noise network, training, samplers, stop rule, pipeline. */
export * from './schedule.js';
export * from './samplers.js';
export * from './stopping.js';
export * from './network.js';
export * from './train.js';
export * from './streams.js';
export * from './checkpoint.js';
export * from './augment.js';
export * from './compare.js';
export * from './guidance.js';
export * from './guidance-sampling.js';
export * from './discrete/index.js';
