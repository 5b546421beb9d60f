import { reconstruct } from '../../ising/reconstruct.js';
import { writeSpinFile } from '../../io/files.js';
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { fmt, loadData, loadParams, pathOf, progressFor } from './ising-common.js';

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
      'random-hidden': { type: 'int', help: 'instead: hide this many random spins per sample', min: 1 },
      seed: { type: 'int', help: 'seed for --random-hidden and the approximate search', default: 1, min: 0 },
      'max-exact': { type: 'int', help: 'largest hidden count solved exactly over 2^h completions', default: 20, min: 1, max: 26 },
      out: { type: 'string', help: 'write the reconstructed data here', meta: 'FILE' },
      json: { type: 'boolean', help: 'print {"accuracy","correct","total",…}' },
    },
  },
  async run(a, ctx) {
    const hiddenList = a['hidden'] as number[] | undefined;
    const k = a['randomHidden'] as number | undefined;
    if ((hiddenList === undefined) === (k === undefined)) throw new UsageError('give exactly one of --hidden I,J,… or --random-hidden K');
    const p = loadParams(ctx, a['params'] as string);
    const data = loadData(ctx, a['data'] as string);
    if (p.n !== data.n) throw new UsageError(`${a['params']} has n=${p.n} but ${a['data']} has n=${data.n}`);
    const rng = new Rng(a['seed'] as number);
    let hidden: number[] | number[][];
    if (hiddenList) {
      for (const i of hiddenList) if (i >= p.n) throw new UsageError(`--hidden: index ${i} out of range 0..${p.n - 1}`);
      if (new Set(hiddenList).size !== hiddenList.length) throw new UsageError('--hidden: repeated index');
      hidden = hiddenList;
    } else {
      if (k! > p.n) throw new UsageError(`--random-hidden: ${k} exceeds n=${p.n}`);
      const lists: number[][] = [];
      for (let r = 0; r < data.m; r++) lists.push(Array.from(rng.permutation(p.n).subarray(0, k!)));
      hidden = lists;
    }
    const prog = progressFor(ctx, 'reconstruct');
    const res = reconstruct(p, data, hidden, { maxExact: a['maxExact'] as number, rng, onProgress: prog.onProgress, signal: ctx.signal });
    prog.end();
    const out = a['out'] as string | undefined;
    if (out) writeSpinFile(pathOf(ctx, out), res.filled);
    const h = hiddenList ? hiddenList.length : k!;
    if (a['json']) ctx.stdout(JSON.stringify({ accuracy: res.accuracy, correct: res.correct, total: res.total, hiddenPerSample: h, samples: data.m, approximate: res.approximate, ...(out ? { out } : {}) }) + '\n');
    else ctx.stdout(`accuracy ${fmt(res.accuracy)} (${res.correct}/${res.total} hidden spins, ${h} per sample${res.approximate ? `, ${res.approximate} samples approximate` : ''})${out ? `; wrote ${out}` : ''}\n`);
    return 0;
  },
};
export default command;
