export { Rng, rng } from './rng.js';
export type { RngSnapshot } from './rng.js';
