import { skParams } from '../../ising/model.js';
import { Rng } from '../../random/index.js';
import type { Command } from '../context.js';
import { DRAW_OPTIONS, MAX_PARAMS_N, drawTarget, writeDrawn } from './common.js';

const command: Command = {
  spec: {
    name: 'sk',
    summary: 'draw Sherrington-Kirkpatrick parameters: b_i, w_ij ~ N(0, g²/n), w symmetric, zero diagonal',
    examples: ['spindiff sk --n 20 --g 1.0 --seed 1 --out true.json'],
    options: {
      n: { type: 'int', help: 'number of spins', required: true, min: 1, max: MAX_PARAMS_N },
      ...DRAW_OPTIONS,
    },
  },
  async run(a, ctx) {
    const n = a['n'] as number;
    const g = a['g'] as number;
    const seed = a['seed'] as number;
    const out = drawTarget(ctx, a);
    const p = skParams(n, g, new Rng(seed));
    return writeDrawn(ctx, a, out, p, { model: 'sk', g, seed }, { n, g, seed, out }, `wrote SK parameters (n=${n}, g=${g}, seed=${seed}) to ${out}`);
  },
};
export default command;
