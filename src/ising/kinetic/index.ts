/** Kinetic (non-equilibrium) Ising: asymmetric couplings, Glauber dynamics, inverse methods. */
export * from './simulate.js';
export * from './infer.js';
