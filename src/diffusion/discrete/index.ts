/** Discrete diffusion for spins: masked (absorbing) diffusion and binary uniform D3PM. */
export * from './masked.js';
export * from './d3pm.js';
export * from './objective.js';
export * from './sample.js';
