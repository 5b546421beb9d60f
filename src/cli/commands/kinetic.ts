/**
 * spindiff kinetic simulate --n N --g G --steps T [--dynamics parallel|sequential] --out series.txt [--params-out W.json]
 * spindiff kinetic infer --data series.txt --method nmf|tap|emf|mle|fem --out W.json [--true W.json]
 * Kinetic parameters are JSON: { kind: 'kinetic-ising', n, W: rows (row i = inputs of spin i), h }.
 */
import { asymmetricSK, inferKinetic, kineticMse, simulateKinetic, KINETIC_METHODS, type KineticMethod, type KineticParams } from '../../ising/kinetic/index.js';
import { readBytes } from '../../io/files.js';
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { checkFiles, fmt, loadData, pathOf, progressFor, writeSpins, writeText } from './common.js';

export function kineticToJSON(p: KineticParams, extra: Record<string, unknown> = {}): string {
  const rows = Array.from({ length: p.n }, (_, i) => Array.from(p.W.subarray(i * p.n, (i + 1) * p.n)));
  return JSON.stringify({ kind: 'kinetic-ising', n: p.n, W: rows, h: Array.from(p.h), ...extra }) + '\n';
}

export function kineticFromJSON(text: string, name = 'params'): KineticParams {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: invalid JSON: ${(e as Error).message}`);
  }
  const o = j as { kind?: unknown; n?: unknown; W?: unknown; h?: unknown };
  if (o.kind !== 'kinetic-ising') throw new Error(`${name}: not kinetic Ising parameters (kind must be 'kinetic-ising')`);
  const n = o.n;
  if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1)) throw new Error(`${name}: n must be a positive integer`);
  if (!Array.isArray(o.W) || o.W.length !== n || !Array.isArray(o.h) || o.h.length !== n) throw new Error(`${name}: W must be n rows and h n values`);
  const W = new Float64Array(n * n);
  o.W.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row) || row.length !== n) throw new Error(`${name}: W row ${i} must have ${n} values`);
    row.forEach((v: unknown, k: number) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}: W[${i}][${k}] is not a finite number`);
      W[i * n + k] = v;
    });
  });
  const h = Float64Array.from(o.h as unknown[], (v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}: h[${i}] is not a finite number`);
    return v;
  });
  return { n, W, h };
}

const command: Command = {
  spec: {
    name: 'kinetic',
    positionals: 'simulate | infer',
    summary: 'kinetic Ising (time series, asymmetric W): simulate | infer (nmf, tap, emf, mle, fem)',
    examples: [
      'spindiff kinetic simulate --n 20 --g 1 --steps 5000 --seed 1 --out series.txt --params-out W.json',
      'spindiff kinetic infer --data series.txt --method fem --out fem.json --true W.json',
    ],
    options: {
      n: { type: 'int', help: 'simulate: number of spins', min: 1, max: 10000 },
      g: { type: 'number', help: 'simulate: coupling strength, W_ij ~ N(0, g²/n)', default: 1, min: 0 },
      'field-sd': { type: 'number', help: 'simulate: fields h_i ~ N(0, s²)', default: 0, min: 0 },
      params: { type: 'string', help: 'simulate: kinetic params JSON instead of drawing W', meta: 'FILE' },
      steps: { type: 'int', help: 'simulate: recorded time steps T', default: 10000, min: 3 },
      dynamics: { type: 'string', help: 'simulate: parallel (all spins each step) or sequential (n random single-spin updates per step)', default: 'parallel', choices: ['parallel', 'sequential'] },
      'burn-in': { type: 'int', help: 'simulate: steps discarded first', default: 100, min: 0 },
      'params-out': { type: 'string', help: 'simulate: write the drawn W and h here', meta: 'FILE' },
      data: { type: 'string', help: 'infer: the time series (rows = time steps)', meta: 'FILE' },
      method: { type: 'string', help: 'infer: nmf | tap | emf (exact mean field) | mle | fem (expectation reflection)', default: 'fem', choices: [...KINETIC_METHODS] },
      true: { type: 'string', help: 'infer: true kinetic params, to print the MSE of W', meta: 'FILE' },
      seed: { type: 'int', help: 'simulate: random seed', default: 1, min: 0 },
      out: { type: 'string', help: 'output file (simulate: series; infer: params JSON)', meta: 'FILE' },
      json: { type: 'boolean', help: 'print a JSON summary' },
    },
  },
  async run(a, ctx) {
    const [sub, ...rest] = a.positionals;
    if (rest.length) throw new UsageError(`kinetic: unexpected argument '${rest[0]}'`);
    const out = a['out'] as string | undefined;
    if (sub === 'simulate') {
      if (!out) throw new UsageError('kinetic simulate: --out is required');
      checkFiles(ctx, [['--params', a['params'] as string | undefined]], [['--out', out], ['--params-out', a['paramsOut'] as string | undefined]]);
      const seed = a['seed'] as number;
      const rng = new Rng(seed);
      let p: KineticParams;
      const pf = a['params'] as string | undefined;
      if (pf) p = kineticFromJSON(readBytes(pathOf(ctx, pf), pf).toString('utf8'), pf);
      else {
        const n = a['n'] as number | undefined;
        if (n === undefined) throw new UsageError('kinetic simulate: give --n (or --params)');
        p = asymmetricSK(n, a['g'] as number, rng.fold('model'), a['fieldSd'] as number);
      }
      const T = a['steps'] as number;
      const prog = progressFor(ctx, 'kinetic simulate');
      const dynamics = a['dynamics'] as 'parallel' | 'sequential';
      const series = simulateKinetic(p, T, rng.fold('simulate'), { dynamics, burnIn: a['burnIn'] as number, onProgress: prog.onProgress, signal: ctx.signal });
      prog.end();
      writeSpins(ctx, out, series, { header: `kinetic Ising series: ${T} steps × ${p.n} spins, ${dynamics} Glauber dynamics, seed ${seed}` });
      const po = a['paramsOut'] as string | undefined;
      if (po) writeText(ctx, po, kineticToJSON(p, pf ? {} : { model: 'asymmetric-sk', g: a['g'], seed }));
      if (a['json']) ctx.stdout(JSON.stringify({ n: p.n, steps: T, dynamics, seed, out, ...(po ? { paramsOut: po } : {}) }) + '\n');
      else (out === '-' ? ctx.stderr : ctx.stdout)(`wrote ${T} steps of ${dynamics} Glauber dynamics (n=${p.n}) to ${out}${po ? `, parameters to ${po}` : ''}\n`);
      return 0;
    }
    if (sub === 'infer') {
      const file = a['data'] as string | undefined;
      if (!file) throw new UsageError('kinetic infer: --data is required');
      checkFiles(ctx, [['--data', file], ['--true', a['true'] as string | undefined]], [['--out', out]]);
      const method = a['method'] as KineticMethod;
      const series = loadData(ctx, file);
      const prog = progressFor(ctx, `kinetic ${method}`);
      const r = inferKinetic(method, series, { onProgress: prog.onProgress, signal: ctx.signal });
      prog.end();
      const tf = a['true'] as string | undefined;
      const score = tf ? kineticMse(kineticFromJSON(readBytes(pathOf(ctx, tf), tf).toString('utf8'), tf), r.params) : undefined;
      if (out && out !== '-') writeText(ctx, out, kineticToJSON(r.params, { method, steps: series.m, diagnostics: r.diagnostics }));
      else if (!a['json']) {
        ctx.stdout(kineticToJSON(r.params, { method, steps: series.m }));
        return 0;
      }
      if (a['json']) ctx.stdout(JSON.stringify({ method, n: series.n, steps: series.m, diagnostics: r.diagnostics, ...(score ?? {}), ...(out ? { out } : {}) }) + '\n');
      else ctx.stdout(`${method} on ${series.m} steps (n=${series.n})${score ? `: MSE(W) = ${fmt(score.mseW)}, MSE(h) = ${fmt(score.mseH)}` : ''}; wrote ${out}\n`);
      return 0;
    }
    throw new UsageError(`kinetic: expected 'simulate' or 'infer', got ${sub === undefined ? 'nothing' : `'${sub}'`}`);
  },
};
export default command;
