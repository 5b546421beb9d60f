import { mse, paramCorrelation } from '../../ising/metrics.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { fmt, loadParams } from './common.js';

const command: Command = {
  spec: {
    name: 'score',
    summary: 'MSE between true and inferred params (total over b and the upper triangle of w, and each part)',
    examples: ['spindiff score --true true.json --inferred inferred.json', 'spindiff score --true true.json --inferred inferred.json --json'],
    options: {
      true: { type: 'string', help: 'true params JSON', required: true, meta: 'FILE' },
      inferred: { type: 'string', help: 'inferred params JSON', required: true, meta: 'FILE' },
      json: { type: 'boolean', help: 'print {"mse","mse_b","mse_w","corr"}' },
    },
  },
  async run(a, ctx) {
    const t = loadParams(ctx, a['true'] as string);
    const i = loadParams(ctx, a['inferred'] as string);
    if (t.n !== i.n) throw new UsageError(`${a['true']} has n=${t.n} but ${a['inferred']} has n=${i.n}`);
    const r = mse(t, i);
    const corr = t.n > 1 || t.b.length > 1 ? paramCorrelation(t, i) : NaN;
    if (a['json']) ctx.stdout(JSON.stringify({ ...r, corr: Number.isFinite(corr) ? corr : null }) + '\n');
    else ctx.stdout(`mse ${fmt(r.mse)} (b ${fmt(r.mse_b)}, w ${fmt(r.mse_w)}), correlation ${Number.isFinite(corr) ? corr.toFixed(4) : 'n/a'}\n`);
    return 0;
  },
};
export default command;
