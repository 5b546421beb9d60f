import { skParams } from '../../ising/model.js';
import { Rng } from '../../random/index.js';
import type { Command } from '../context.js';
import { MAX_PARAMS_N, checkFiles, writeParams } from './common.js';

const command: Command = {
  spec: {
    name: 'sk',
    summary: 'draw Sherrington-Kirkpatrick parameters: b_i, w_ij ~ N(0, g²/n), w symmetric, zero diagonal',
    examples: ['spindiff sk --n 20 --g 1.0 --seed 1 --out true.json'],
    options: {
      n: { type: 'int', help: 'number of spins', required: true, min: 1, max: MAX_PARAMS_N },
      g: { type: 'number', help: 'coupling strength g', default: 1, min: 0 },
      seed: { type: 'int', help: 'random seed', default: 1, min: 0 },
      out: { type: 'string', help: "output params JSON (omit, or '-', to print it)", meta: 'FILE' },
      json: { type: 'boolean', help: 'print a JSON summary instead of a sentence' },
    },
  },
  async run(a, ctx) {
    const n = a['n'] as number;
    const g = a['g'] as number;
    const seed = a['seed'] as number;
    const out = (a['out'] as string | undefined) ?? '-';
    checkFiles(ctx, [], [['--out', out]]);
    const p = skParams(n, g, new Rng(seed));
    const extra = { model: 'sk', g, seed };
    writeParams(ctx, out, p, extra);
    if (out === '-') return 0;
    if (a['json']) ctx.stdout(JSON.stringify({ n, g, seed, out }) + '\n');
    else ctx.stdout(`wrote SK parameters (n=${n}, g=${g}, seed=${seed}) to ${out}\n`);
    return 0;
  },
};
export default command;
