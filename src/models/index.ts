/** Generative baselines (RBM, VAE, GAN) with the diffusion model's train/sample interface, and diversity measures. */
export * from './types.js';
export * from './rbm.js';
export * from './vae.js';
export * from './gan.js';
export * from './diversity.js';
