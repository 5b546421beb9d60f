export { Rng, rng } from './rng.js';
