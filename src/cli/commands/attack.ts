/**
 * spindiff attack --data D --method random|fgsm|pgd|greedy (--budget K | --fraction RHO)
 *   --estimator em|ple|mle|nmf --seed S --out poisoned.txt [--loss change|oracle|target --true T --target i,j]
 * Threat model: the attacker changes the observed data before inference, within the budget; the
 * estimator is then refitted on the poisoned data in full (see src/attack).
 */
import { Rng } from '../../random/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { attack, type AttackLoss, type AttackMethod, type Budget, type EstimatorName, type SurrogateName } from '../../attack/index.js';
import { mse } from '../../ising/metrics.js';
import { checkFiles, fmt, loadData, loadParams, progressFor, writeSpins } from './common.js';

const command: Command = {
  spec: {
    name: 'attack',
    summary: 'poison data within a budget so that an estimator refitted on it moves most (random|fgsm|pgd|greedy)',
    examples: [
      'spindiff attack --data data.txt --method pgd --budget 1 --estimator ple --seed 1 --out poisoned.txt',
      'spindiff attack --data data.txt --method fgsm --fraction 0.05 --estimator nmf --seed 1 --out poisoned.txt --json',
      'spindiff attack --data data.txt --method pgd --budget 1 --loss target --target 0,1 --estimator ple --out poisoned.txt',
    ],
    options: {
      data: { type: 'string', help: 'observed data file (text ±1 or 0/1, or .npy)', required: true, meta: 'FILE' },
      method: { type: 'string', help: 'attack', default: 'pgd', choices: ['random', 'fgsm', 'pgd', 'greedy'] },
      budget: { type: 'int', help: 'at most K spin flips in every sample (one of --budget, --fraction)', min: 0, meta: 'K' },
      fraction: { type: 'number', help: 'at most ⌊ρM⌋ samples replaced arbitrarily (contamination)', min: 0, max: 1, meta: 'RHO' },
      estimator: { type: 'string', help: 'the estimator refitted on the poisoned data', default: 'ple', choices: ['em', 'ple', 'mle', 'nmf'] },
      loss: { type: 'string', help: 'change: ‖θ̂(D′) − θ̂(D)‖²; oracle: MSE to --true (synthetic data only); target: flip the sign of --target', default: 'change', choices: ['change', 'oracle', 'target'] },
      true: { type: 'string', help: 'true params JSON (for --loss oracle; also scores the result)', meta: 'FILE' },
      target: { type: 'string', help: 'the coupling i,j for --loss target (0-based)', meta: 'I,J' },
      surrogate: { type: 'string', help: 'differentiable surrogate for the gradients (default: nmf for nmf, ple otherwise)', choices: ['nmf', 'tap', 'ple'] },
      steps: { type: 'int', help: 'pgd: gradient steps per restart', default: 100, min: 1 },
      restarts: { type: 'int', help: 'pgd: restarts (the first starts from FGSM)', default: 3, min: 1 },
      draws: { type: 'int', help: 'pgd: randomised roundings per restart, each scored by a refit', default: 8, min: 0 },
      candidates: { type: 'int', help: 'greedy: candidates re-evaluated exactly per flip, ranked by the surrogate gradient (0 = all)', default: 64, min: 0 },
      'max-flips': { type: 'int', help: 'greedy: most flips accepted (default: the whole budget)', min: 1 },
      seed: { type: 'int', help: 'seed of the attack', default: 1, min: 0 },
      out: { type: 'string', help: 'poisoned data file', required: true, meta: 'FILE' },
      json: { type: 'boolean', help: 'print the result as JSON' },
    },
  },
  async run(a, ctx) {
    const hasK = a['budget'] !== undefined, hasRho = a['fraction'] !== undefined;
    if (hasK === hasRho) throw new UsageError('give exactly one of --budget K (flips per sample) or --fraction RHO (contaminated samples)');
    const out = a['out'] as string;
    if (out === '-' && a['json']) throw new UsageError("--json and --out - would both write to standard output; give --out a file");
    checkFiles(ctx, [['--data', a['data'] as string], ['--true', a['true'] as string | undefined]], [['--out', out]]);
    const data = loadData(ctx, a['data'] as string);
    const budget: Budget = hasK ? { kind: 'perRow', k: a['budget'] as number } : { kind: 'fraction', rho: a['fraction'] as number };
    if (budget.kind === 'perRow' && budget.k > data.n) throw new UsageError(`--budget ${budget.k}: a sample has only ${data.n} spins`);
    const truth = a['true'] ? loadParams(ctx, a['true'] as string) : null;
    if (truth && truth.n !== data.n) throw new UsageError(`--true has n=${truth.n} but the data have n=${data.n}`);
    let loss: AttackLoss;
    switch (a['loss']) {
      case 'oracle':
        if (!truth) throw new UsageError('--loss oracle needs --true FILE (synthetic data only)');
        loss = { kind: 'oracle', truth };
        break;
      case 'target': {
        const t = String(a['target'] ?? '').split(',').map((v) => Number(v.trim()));
        const [i, j] = t;
        if (t.length !== 2 || i === undefined || j === undefined || !t.every((v) => Number.isInteger(v) && v >= 0 && v < data.n) || i === j) {
          throw new UsageError(`--loss target needs --target i,j: two different spins in 0..${data.n - 1}`);
        }
        loss = { kind: 'target', i, j };
        break;
      }
      default:
        loss = { kind: 'change' };
    }
    const method = a['method'] as AttackMethod;
    const prog = progressFor(ctx, `attack ${method}`);
    const cand = a['candidates'] as number;
    const r = attack(data, {
      method, budget, estimator: a['estimator'] as EstimatorName, loss, rng: new Rng(a['seed'] as number).fold('attack'),
      surrogate: a['surrogate'] as SurrogateName | undefined,
      pgd: { steps: a['steps'] as number, restarts: a['restarts'] as number, draws: a['draws'] as number },
      greedy: { candidates: cand === 0 ? Infinity : cand, maxFlips: a['max-flips'] as number | undefined },
      signal: ctx.signal, onProgress: prog.onProgress,
    });
    prog.end();
    if (ctx.signal.aborted) throw new Error('interrupted; nothing written');
    writeSpins(ctx, out, r.data, { header: `spindiff attack ${method} ${hasK ? `--budget ${a['budget']}` : `--fraction ${a['fraction']}`} --estimator ${a['estimator']} --loss ${loss.kind} --seed ${a['seed']}` });
    const scores = truth ? { mse_clean: mse(truth, r.cleanParams).mse, mse_attacked: mse(truth, r.params).mse } : {};
    if (a['json']) {
      ctx.stdout(JSON.stringify({
        method, budget, estimator: a['estimator'], loss: loss.kind, attack_loss: r.loss, clean_loss: r.cleanLoss,
        flips: r.flipCount, rows_changed: r.rowsChanged, evaluations: r.evaluations, gradients: r.gradients, seconds: r.seconds,
        improved: r.improved, ...scores, out,
      }) + '\n');
    } else {
      const sc = truth ? `; MSE ${fmt(scores.mse_clean!)} → ${fmt(scores.mse_attacked!)}` : '';
      (out === '-' ? ctx.stderr : ctx.stdout)(`${method} attack on ${a['estimator']} (${hasK ? `≤ ${a['budget']} flips per sample` : `ρ = ${a['fraction']}`}): ${r.flipCount} flips in ${r.rowsChanged} of ${data.m} samples, ${loss.kind} loss ${fmt(r.cleanLoss)} → ${fmt(r.loss)}${sc}; ${r.evaluations} refits, ${fmt(r.seconds)} s; wrote ${out}\n`);
    }
    return 0;
  },
};
export default command;
