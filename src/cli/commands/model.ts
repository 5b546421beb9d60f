import { erdosRenyiParams, latticeParams, squarishShape, type CouplingLaw } from '../../ising/graphs.js';
import { skParams } from '../../ising/model.js';
import type { IsingParams } from '../../ising/types.js';
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { DRAW_OPTIONS, MAX_PARAMS_N, drawTarget, writeDrawn } from './common.js';

const command: Command = {
  spec: {
    name: 'model',
    summary: 'draw a true model: SK (dense), 2D lattice or Erdős–Rényi (sparse) couplings',
    examples: [
      'spindiff model --graph sk --n 20 --g 1 --seed 1 --out sk.json',
      'spindiff model --graph lattice --rows 5 --cols 8 --J 0.5 --out lattice.json',
      'spindiff model --graph er --n 40 --degree 3 --J 0.5 --law gauss --out er.json',
    ],
    options: {
      graph: { type: 'string', help: 'sk (as `spindiff sk`), lattice (nearest neighbours) or er (Erdős–Rényi)', default: 'sk', choices: ['sk', 'lattice', 'er'] },
      n: { type: 'int', help: 'number of spins (lattice: the most square rows × cols = n unless --rows/--cols)', min: 1, max: MAX_PARAMS_N },
      g: { ...DRAW_OPTIONS.g, help: `sk: ${DRAW_OPTIONS.g.help}` },
      rows: { type: 'int', help: 'lattice: rows', min: 1, max: 1000 },
      cols: { type: 'int', help: 'lattice: columns', min: 1, max: 1000 },
      open: { type: 'boolean', help: 'lattice: open boundaries (default periodic)' },
      degree: { type: 'number', help: 'er: mean degree', default: 3, min: 0 },
      J: { type: 'number', help: 'lattice/er: coupling strength (±J, or the s.d. of Gaussian couplings)', default: 0.5, min: 0 },
      law: { type: 'string', help: 'lattice/er: couplings ±J (pm) or N(0, J²) (gauss)', default: 'pm', choices: ['pm', 'gauss'] },
      'field-sd': { type: 'number', help: 'lattice/er: fields b_i ~ N(0, s²)', default: 0, min: 0 },
      seed: DRAW_OPTIONS.seed,
      out: DRAW_OPTIONS.out,
      json: DRAW_OPTIONS.json,
    },
  },
  async run(a, ctx) {
    const graph = a['graph'] as string;
    const seed = a['seed'] as number;
    const out = drawTarget(ctx, a);
    const rng = new Rng(seed);
    let p: IsingParams;
    let extra: Record<string, unknown>;
    const sparse = { J: a['J'] as number, law: a['law'] as CouplingLaw, fieldSd: a['fieldSd'] as number };
    if (graph === 'sk') {
      const n = a['n'] as number | undefined;
      if (n === undefined) throw new UsageError('model --graph sk: --n is required');
      p = skParams(n, a['g'] as number, rng);
      extra = { model: 'sk', g: a['g'], seed };
    } else if (graph === 'lattice') {
      let rows = a['rows'] as number | undefined;
      let cols = a['cols'] as number | undefined;
      const n = a['n'] as number | undefined;
      if (rows === undefined || cols === undefined) {
        if (n === undefined) throw new UsageError('model --graph lattice: give --n or both --rows and --cols');
        if (rows !== undefined || cols !== undefined) throw new UsageError('model --graph lattice: give both --rows and --cols, or --n alone');
        [rows, cols] = squarishShape(n);
      } else if (n !== undefined && n !== rows * cols) throw new UsageError(`model --graph lattice: --n ${n} ≠ rows × cols = ${rows * cols}`);
      if (rows * cols > MAX_PARAMS_N) throw new UsageError(`model --graph lattice: rows × cols = ${rows * cols} spins is above the limit of ${MAX_PARAMS_N}`);
      const periodic = !a['open'];
      p = latticeParams(rows, cols, rng, { ...sparse, periodic });
      extra = { model: 'lattice', rows, cols, periodic, ...sparse, seed };
    } else {
      const n = a['n'] as number | undefined;
      if (n === undefined || n < 2) throw new UsageError('model --graph er: --n ≥ 2 is required');
      const degree = a['degree'] as number;
      if (degree > n - 1) throw new UsageError(`model --graph er: --degree ${degree} exceeds n − 1 = ${n - 1}`);
      p = erdosRenyiParams(n, degree, rng, sparse);
      extra = { model: 'er', degree, ...sparse, seed };
    }
    let edges = 0;
    for (let i = 0; i < p.n; i++) for (let j = i + 1; j < p.n; j++) if (p.w[i * p.n + j] !== 0) edges++;
    return writeDrawn(ctx, a, out, p, extra, { ...extra, n: p.n, edges, out }, `wrote ${graph} parameters (n=${p.n}, ${edges} couplings, seed=${seed}) to ${out}`);
  },
};
export default command;
