import { availableParallelism } from 'node:os';
import { defaultEpsGrid, EM_DEFAULTS, erasureMachine, linspace } from '../../ising/infer/em.js';
import { inferNMF, inferTAP } from '../../ising/infer/meanfield.js';
import { EXACT_MLE_DEFAULTS, inferExactMLE, inferMcmcMLE, MCMC_MLE_DEFAULTS } from '../../ising/infer/mle.js';
import { erasureMachineParallel, inferPLEParallel } from '../../ising/infer/parallel.js';
import { inferPLE } from '../../ising/infer/ple.js';
import { inferScreening, SCREENING_DEFAULT_C, type ScreeningMethod } from '../../ising/infer/rise.js';
import { inferAuto } from '../../ising/infer/auto.js';
import type { InferResult } from '../../ising/types.js';
import { firstNonFinite, paramsToJSON } from '../../io/params.js';
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { checkExactMle, checkFiles, fmt, loadData, progressFor, writeParams } from './common.js';

/** Exact MLE enumerates 2^n states per step: fine to n ≈ 20. */
const AUTO_EXACT_MLE_N = 16;

/** --threads: a positive integer, or auto = the core count. */
export function parseThreads(s: string): number {
  if (s === 'auto') return availableParallelism();
  const t = Number(s);
  if (!(s.trim() !== '' && Number.isInteger(t) && t >= 1 && t <= 256)) throw new UsageError(`--threads: expected an integer from 1 to 256 or auto, got '${s}'`);
  return t;
}

/** --eps: "a:b:k" (k points from a to b, as numpy.linspace) or a comma list. */
export function parseEpsGrid(s: string): number[] {
  const bad = () => new UsageError(`--eps: expected START:STOP:COUNT (e.g. 0.4:0.9:21) or a comma list, got '${s}'`);
  let grid: number[];
  if (s.includes(':')) {
    const parts = s.split(':').map((x) => Number(x.trim()));
    const [start, stop, count] = parts;
    if (parts.length !== 3 || start === undefined || stop === undefined || count === undefined) throw bad();
    if (parts.some((x) => !Number.isFinite(x)) || !Number.isInteger(count) || count < 1) throw bad();
    grid = linspace(start, stop, count);
  } else {
    grid = s.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
    if (grid.length === 0 || grid.some((x) => !Number.isFinite(x))) throw bad();
  }
  for (const e of grid) if (!(e > 0 && e <= 1)) throw new UsageError(`--eps: every ε must be in (0, 1], got ${e}`);
  return grid;
}

/** What to change when a method's fit is not finite. */
const DIVERGED_HINT: Record<string, string> = {
  em: `the step size is too large: lower --gamma (default ${EM_DEFAULTS.gamma})`,
  mle: 'lower --gamma (mcmc), or use --method ple',
  ple: 'the data are separable for some spin: add an L2 penalty, e.g. --lambda 0.001',
  nmf: 'the correlation matrix is singular (a constant or duplicated spin?); try --method ple',
  tap: 'the correlation matrix is singular (a constant or duplicated spin?); try --method ple',
};

const command: Command = {
  spec: {
    name: 'infer',
    summary: 'infer fields b and couplings w from data: em (erasure machine) | mle | ple | nmf | tap | rise | logrise | rple | auto',
    examples: [
      'spindiff infer --data data.txt --out inferred.json',
      'spindiff infer --data data.txt --method ple --out ple.json --json',
      'spindiff infer --data data.txt --method em --eps 0.7:0.9:21 --out em.json',
    ],
    options: {
      data: { type: 'string', help: 'data file (text ±1 or 0/1, or .npy)', required: true, meta: 'FILE' },
      method: { type: 'string', help: 'inference method', default: 'em', choices: ['em', 'mle', 'ple', 'nmf', 'tap', 'rise', 'logrise', 'rple', 'auto'] },
      out: { type: 'string', help: "output params JSON (omit, or '-', to print it)", meta: 'FILE' },
      eps: { type: 'string', help: 'em: ε grid START:STOP:COUNT or a comma list', default: `${EM_DEFAULTS.eps.start}:${EM_DEFAULTS.eps.stop}:${EM_DEFAULTS.eps.count}`, meta: 'GRID' },
      iterations: { type: 'int', help: `em: iterations per ε (${EM_DEFAULTS.iterations}); mle mcmc: learning steps (${MCMC_MLE_DEFAULTS.iterations}); mle exact: max L-BFGS steps (${EXACT_MLE_DEFAULTS.maxIterLbfgs})`, min: 1 },
      gamma: { type: 'number', help: `step size: em (${EM_DEFAULTS.gamma}) / mle mcmc (${MCMC_MLE_DEFAULTS.gamma})`, min: 0 },
      mle: { type: 'string', help: `mle: exact moments (enumeration) or mcmc (Boltzmann learning); auto = exact for n ≤ ${AUTO_EXACT_MLE_N}`, default: 'auto', choices: ['auto', 'exact', 'mcmc'] },
      chains: { type: 'int', help: 'mle mcmc: persistent chains', default: MCMC_MLE_DEFAULTS.chains, min: 1, max: 65536 },
      lambda: { type: 'number', help: 'ple: L2 penalty on couplings (0 = plain pseudo-likelihood)', default: 0, min: 0 },
      c: { type: 'number', help: `rise/logrise/rple: ℓ1 constant c in λ = c·√(log(n²/δ)/M) (default ${SCREENING_DEFAULT_C.rise} / ${SCREENING_DEFAULT_C.logrise} / ${SCREENING_DEFAULT_C.rple})`, min: 0 },
      delta: { type: 'number', help: 'rise/logrise/rple: δ in λ', default: 0.05, min: 1e-300, max: 1 },
      seed: { type: 'int', help: 'em: seed of the random start (the reference\'s); mle mcmc: chain seed; auto: the 80/20 split', default: EM_DEFAULTS.seed, min: 0 },
      threads: { type: 'string', help: 'em, ple: worker threads (the ε grid or the spins split over them; the same result), or auto = the core count', default: '1', meta: 'N' },
      json: { type: 'boolean', help: 'print method, settings and diagnostics as JSON' },
    },
  },
  async run(a, ctx) {
    const method = a['method'] as string;
    const grid = method === 'em' ? parseEpsGrid(a['eps'] as string) : defaultEpsGrid();
    const threads = parseThreads(a['threads'] as string);
    const file = a['data'] as string;
    const out = a['out'] as string | undefined;
    if (out === '-' && a['json']) throw new UsageError("--json and --out - would both write to standard output; give --out a file");
    checkFiles(ctx, [['--data', file]], [['--out', out]]);
    const data = loadData(ctx, file);
    const prog = progressFor(ctx, `infer ${method}`);
    const hooks = { onProgress: prog.onProgress, signal: ctx.signal };
    const iterations = a['iterations'] as number | undefined;
    const gamma = a['gamma'] as number | undefined;
    let r: InferResult;
    let autoNote = '';
    switch (method) {
      case 'em': {
        const o = { epsGrid: grid, iterations, gamma, seed: a['seed'] as number, ...hooks };
        r = threads > 1 ? await erasureMachineParallel(data, { ...o, threads }) : erasureMachine(data, o);
        break;
      }
      case 'mle': {
        let mode = a['mle'] as string;
        if (mode === 'auto') mode = data.n <= AUTO_EXACT_MLE_N ? 'exact' : 'mcmc';
        if (mode === 'exact') checkExactMle('--mle exact', data.n);
        r = mode === 'exact'
          ? inferExactMLE(data, { maxIter: iterations, ...hooks })
          : inferMcmcMLE(data, new Rng(a['seed'] as number), { iterations, gamma, chains: a['chains'] as number, ...hooks });
        break;
      }
      case 'ple':
        r = threads > 1 ? await inferPLEParallel(data, { lambda: a['lambda'] as number, threads, ...hooks }) : inferPLE(data, { lambda: a['lambda'] as number, ...hooks });
        if (!r.diagnostics.converged) {
          ctx.stderr(`note: pseudo-likelihood did not converge for spins ${r.diagnostics.unconvergedSpins.join(',')} (separable data: couplings grow without bound); try --lambda 0.001\n`);
        }
        break;
      case 'rise':
      case 'logrise':
      case 'rple':
        r = inferScreening(method as ScreeningMethod, data, { c: a['c'] as number | undefined, delta: a['delta'] as number, ...hooks });
        break;
      case 'auto': {
        const au = inferAuto(data, { ...hooks, seed: a['seed'] as number });
        r = { ...au, settings: { ...au.settings, auto: au.choice } };
        autoNote = `auto: ${au.choice.method} — ${au.choice.reason}\n`;
        break;
      }
      case 'nmf':
        r = inferNMF(data);
        break;
      default:
        r = inferTAP(data);
    }
    prog.end();
    if (ctx.signal.aborted) throw new Error('interrupted; nothing written');
    // auto's choice and reason: on stdout beside the summary; on stderr when stdout holds params or JSON.
    if (autoNote) (out && out !== '-' && !a['json'] ? ctx.stdout : ctx.stderr)(autoNote);
    const extra = { method: r.method, settings: r.settings, diagnostics: r.diagnostics, data: file, samples: data.m };
    const hint = DIVERGED_HINT[method] ?? '';
    const bad = firstNonFinite(r.params);
    if (bad !== null) throw new Error(`${r.method}: the fitted parameters are not finite (${bad}); nothing written — ${hint}`);
    if (out) writeParams(ctx, out, r.params, extra, hint);
    else if (!a['json']) {
      writeParams(ctx, '-', r.params, extra, hint);
      return 0;
    }
    if (out === '-') return 0;
    if (a['json']) {
      ctx.stdout(JSON.stringify({ method: r.method, n: data.n, samples: data.m, settings: r.settings, diagnostics: r.diagnostics, ...(out ? { out } : { params: JSON.parse(paramsToJSON(r.params)) }) }) + '\n');
    } else {
      const detail = r.method === 'em' ? `, ε = ${fmt(r.diagnostics.epsilon)} chosen from ${grid.length} values, ${r.diagnostics.uniquePatterns} unique patterns`
        : r.method === 'mle-exact' ? `, max moment mismatch ${fmt(r.diagnostics.gradMax)} after ${r.diagnostics.iterations} steps`
        : r.method === 'rise' || r.method === 'logrise' || r.method === 'rple' ? `, λ = ${fmt(r.settings['lambda'] as number)}, KKT residual ${fmt(r.diagnostics.kktMax)}`
        : '';
      ctx.stdout(`${r.method} on ${data.m} samples (n=${data.n})${detail}; wrote ${out}\n`);
    }
    return 0;
  },
};
export default command;
