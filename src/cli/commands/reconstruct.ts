import { accuracyByHiddenCount, reconstruct } from '../../ising/reconstruct.js';
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { checkFiles, fmt, loadData, loadParams, progressFor, writeSpins } from './common.js';
import { at } from '../../util/checked.js';

const command: Command = {
  spec: {
    name: 'reconstruct',
    summary: 'hide spins in each sample and fill them by maximum conditional probability; reports accuracy',
    examples: [
      'spindiff reconstruct --params inferred.json --data test.txt --hidden 3,7,11',
      'spindiff reconstruct --params inferred.json --data test.txt --random-hidden 5 --seed 1 --out filled.txt --json',
    ],
    options: {
      params: { type: 'string', help: 'params JSON', required: true, meta: 'FILE' },
      data: { type: 'string', help: 'data with the true values (text or .npy)', required: true, meta: 'FILE' },
      hidden: { type: 'intList', help: 'spin indices (0-based) hidden in every sample', min: 0, meta: 'I,J,…' },
      'random-hidden': { type: 'intList', help: 'instead: hide this many random spins per sample (a list gives accuracy per count)', min: 1, meta: 'K[,K…]' },
      seed: { type: 'int', help: 'seed for --random-hidden and the approximate search', default: 1, min: 0 },
      'max-exact': { type: 'int', help: 'largest hidden count solved exactly over 2^h completions', default: 20, min: 1, max: 26 },
      out: { type: 'string', help: 'write the reconstructed data here', meta: 'FILE' },
      json: { type: 'boolean', help: 'print {"accuracy","correct","total",…}' },
    },
  },
  async run(a, ctx) {
    const hiddenList = a['hidden'] as number[] | undefined;
    const ks = a['randomHidden'] as number[] | undefined;
    if ((hiddenList === undefined) === (ks === undefined)) throw new UsageError('give exactly one of --hidden I,J,… or --random-hidden K');
    const out = a['out'] as string | undefined;
    if (ks && ks.length > 1 && out) throw new UsageError('--out needs a single --random-hidden count');
    if (out === '-' && a['json']) throw new UsageError("--json and --out - would both write to standard output; give --out a file");
    checkFiles(ctx, [['--params', a['params'] as string], ['--data', a['data'] as string]], [['--out', out]]);
    const p = loadParams(ctx, a['params'] as string);
    const data = loadData(ctx, a['data'] as string);
    if (p.n !== data.n) throw new UsageError(`${a['params']} has n=${p.n} but ${a['data']} has n=${data.n}`);
    const rng = new Rng(a['seed'] as number);
    const maxExact = a['maxExact'] as number;
    if (ks) {
      for (const k of ks) if (k > p.n) throw new UsageError(`--random-hidden: ${k} exceeds n=${p.n}`);
      const prog = progressFor(ctx, 'reconstruct');
      let results;
      let filled = null;
      if (ks.length === 1) {
        // Keep the filled data for --out.
        const k = at(ks, 0, '--random-hidden');
        const lists: number[][] = [];
        for (let r = 0; r < data.m; r++) lists.push(Array.from(rng.permutation(p.n).subarray(0, k)));
        const res = reconstruct(p, data, lists, { maxExact, rng, onProgress: prog.onProgress, signal: ctx.signal });
        filled = res.filled;
        results = [{ hidden: k, accuracy: res.accuracy, correct: res.correct, total: res.total, approximate: res.approximate }];
      } else results = accuracyByHiddenCount(p, data, ks, rng, { maxExact, signal: ctx.signal });
      prog.end();
      if (out && filled) writeSpins(ctx, out, filled);
      if (a['json']) {
        const rows = results.map((r) => ({ accuracy: r.accuracy, correct: r.correct, total: r.total, hiddenPerSample: r.hidden, samples: data.m, approximate: r.approximate }));
        ctx.stdout(JSON.stringify(rows.length === 1 ? { ...rows[0], ...(out ? { out } : {}) } : { byHidden: rows }) + '\n');
      } else {
        for (const r of results) (out === '-' ? ctx.stderr : ctx.stdout)(`accuracy ${fmt(r.accuracy)} (${r.correct}/${r.total} hidden spins, ${r.hidden} per sample${r.approximate ? `, ${r.approximate} samples approximate` : ''})${out ? `; wrote ${out}` : ''}\n`);
      }
      return 0;
    }
    const hidden = hiddenList!;
    for (const i of hidden) if (i >= p.n) throw new UsageError(`--hidden: index ${i} out of range 0..${p.n - 1}`);
    if (new Set(hidden).size !== hidden.length) throw new UsageError('--hidden: repeated index');
    const prog = progressFor(ctx, 'reconstruct');
    const res = reconstruct(p, data, hidden, { maxExact, rng, onProgress: prog.onProgress, signal: ctx.signal });
    prog.end();
    if (out) writeSpins(ctx, out, res.filled);
    const h = hidden.length;
    if (a['json']) ctx.stdout(JSON.stringify({ accuracy: res.accuracy, correct: res.correct, total: res.total, hiddenPerSample: h, samples: data.m, approximate: res.approximate, ...(out ? { out } : {}) }) + '\n');
    else (out === '-' ? ctx.stderr : ctx.stdout)(`accuracy ${fmt(res.accuracy)} (${res.correct}/${res.total} hidden spins, ${h} per sample${res.approximate ? `, ${res.approximate} samples approximate` : ''})${out ? `; wrote ${out}` : ''}\n`);
    return 0;
  },
};
export default command;
