import { MAX_TABLE_N, sampleExact } from '../../ising/enumerate.js';
import { sampleMcmc, sampleTempering, type McmcResult } from '../../ising/mcmc.js';
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { checkFiles, checkSampleCount, fmt, loadParams, progressFor, writeSpins } from './common.js';

/** Exact sampling builds a 2^n table: up to n = 20 it takes under a second and 8 MiB. */
const AUTO_EXACT_N = 20;

const command: Command = {
  spec: {
    name: 'simulate',
    summary: 'sample spin configurations from params (exact by enumeration where n allows, else MCMC)',
    examples: [
      'spindiff simulate --params true.json --samples 4000 --seed 2 --out data.txt',
      'spindiff simulate --params true.json --samples 4000 --sampler tempering --out data.npy',
    ],
    options: {
      params: { type: 'string', help: 'params JSON', required: true, meta: 'FILE' },
      samples: { type: 'int', help: 'number of samples', default: 1000, min: 1 },
      seed: { type: 'int', help: 'random seed', default: 2, min: 0 },
      out: { type: 'string', help: "output data (.txt text, .npy int8; '-' for standard output)", required: true, meta: 'FILE' },
      sampler: { type: 'string', help: `exact (n ≤ ${MAX_TABLE_N}) | gibbs | metropolis | tempering; auto = exact for n ≤ ${AUTO_EXACT_N}, else metropolis`, default: 'auto', choices: ['auto', 'exact', 'gibbs', 'metropolis', 'tempering'] },
      chains: { type: 'int', help: 'independent chains (MCMC)', default: 16, min: 1, max: 65536 },
      'burn-in': { type: 'int', help: 'sweeps discarded per chain (MCMC)', default: 1000, min: 0 },
      thin: { type: 'int', help: 'sweeps between kept samples (MCMC)', default: 10, min: 1 },
      'zero-one': { type: 'boolean', help: 'write 0/1 instead of ±1 (text output)' },
      json: { type: 'boolean', help: 'print a JSON summary' },
    },
  },
  async run(a, ctx) {
    const out = a['out'] as string;
    if (out === '-' && a['json']) throw new UsageError("--json and --out - would both write to standard output; give --out a file");
    checkFiles(ctx, [['--params', a['params'] as string]], [['--out', out]]);
    const p = loadParams(ctx, a['params'] as string);
    const m = a['samples'] as number;
    checkSampleCount('--samples', m, p.n, out);
    let sampler = a['sampler'] as string;
    if (sampler === 'auto') sampler = p.n <= AUTO_EXACT_N ? 'exact' : 'metropolis';
    if (sampler === 'exact' && p.n > MAX_TABLE_N) throw new UsageError(`--sampler exact: n=${p.n} is too large to enumerate (max ${MAX_TABLE_N}); use metropolis, gibbs or tempering`);
    const rng = new Rng(a['seed'] as number);
    const prog = progressFor(ctx, sampler);
    const hooks = { onProgress: prog.onProgress, signal: ctx.signal };
    let res: McmcResult | null = null;
    let data;
    if (sampler === 'exact') data = sampleExact(p, m, rng, hooks);
    else {
      const common = { chains: a['chains'] as number, burnIn: a['burnIn'] as number, thin: a['thin'] as number, ...hooks };
      res = sampler === 'tempering' ? sampleTempering(p, m, rng, common) : sampleMcmc(p, m, rng, { ...common, sampler: sampler as 'gibbs' | 'metropolis' });
      data = res.data;
    }
    prog.end();
    writeSpins(ctx, out, data, { zeroOne: Boolean(a['zeroOne']) });
    const summary: Record<string, unknown> = { n: p.n, samples: m, sampler, seed: a['seed'], out };
    if (res) {
      summary['acceptance'] = res.acceptance;
      if (res.swapAcceptance) summary['swapAcceptance'] = res.swapAcceptance;
    }
    if (a['json']) ctx.stdout(JSON.stringify(summary) + '\n');
    else {
      const acc = res ? `, acceptance ${fmt(res.acceptance)}${res.swapAcceptance ? `, swap acceptance ${res.swapAcceptance.map(fmt).join(' ')}` : ''}` : '';
      (out === '-' ? ctx.stderr : ctx.stdout)(`wrote ${m} samples (n=${p.n}, ${sampler}${acc}) to ${out === '-' ? 'standard output' : out}\n`);
    }
    return 0;
  },
};
export default command;
