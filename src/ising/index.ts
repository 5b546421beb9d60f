/** The Ising layer: model, exact enumeration, samplers, inference, reconstruction, metrics. */
export * from './types.js';
export * from './model.js';
export * from './metrics.js';
export * from './patterns.js';
export * from './enumerate.js';
export * from './blocked.js';
export * from './infer/em.js';
export * from '../io/data.js';
export * from '../io/params.js';
export * from '../io/npy.js';
export * from './linalg.js';
export * from './mcmc.js';
export * from './reconstruct.js';
export * from './infer/mle.js';
export * from './infer/ple.js';
export * from './infer/meanfield.js';
export * from './tails.js';
