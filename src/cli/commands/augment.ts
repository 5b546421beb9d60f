/**
 * spindiff augment: the whole pipeline (split, θ_train, train with the energy-variance stop,
 * generate M⁺, infer from observed + generated), with a report folder.
 */
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { errnoReason, writeFileAtomic } from '../../io/atomic.js';
import { writeParamsFile } from '../../io/files.js';
import { firstNonFinite } from '../../io/params.js';
import { mse } from '../../ising/index.js';
import type { IsingParams } from '../../ising/index.js';
import { compareMethods, compareMethodsOn, parseCompareList } from '../../diffusion/compare.js';
import { InferPool, poolFitRunner } from '../../ising/infer/parallel.js';
import { erasureMachine } from '../../ising/infer/em.js';
import { inferPLE } from '../../ising/infer/ple.js';
import { inferExactMLE } from '../../ising/infer/mle.js';
import type { Comparison, CompareMethod } from '../../diffusion/compare.js';
import { readParamsFile } from '../../io/files.js';
import { AUGMENT_DEFAULTS, augment } from '../../diffusion/augment.js';
import type { AugmentResult, AugmentStage } from '../../diffusion/augment.js';
import type { PresetName } from '../../diffusion/network.js';
import { chart, windowMeans } from '../../plot/index.js';
import { bar, modelOptions, networkFromArgs, samplerFromArgs, trainFromArgs } from './train.js';
import { checkExactMle, checkFiles, checkSampleCount, chooseBackend, loadData, pathOf, samplePoolFor, writeParams, writeSpins } from './common.js';

export function writeReport(dir: string, r: AugmentResult, extra: { method: string; truth?: IsingParams; command: string; comparisons?: Comparison[] }, shown = dir): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the report folder ${shown}: ${errnoReason(e)}`);
  }
  const curveSvg = chart({
    title: 'Energy-variance ratio Var[E(generated)] / Var[E(test)]',
    xLabel: 'training iteration', yLabel: 'ratio',
    series: [{ label: 'ratio', x: r.curve.map((p) => p.iteration), y: r.curve.map((p) => p.ratio) }],
    hLines: [{ y: 1, label: 'match' }],
    markers: [{ x: r.chosenIteration, label: `chosen ${r.chosenIteration}` }, ...(r.stopIteration !== r.chosenIteration ? [{ x: r.stopIteration, label: `stopped ${r.stopIteration}` }] : [])],
  });
  writeFileAtomic(join(dir, 'variance-curve.svg'), curveSvg);
  const lossCurve = windowMeans(r.losses, Math.max(1, Math.floor(r.losses.length / 400))); // ≤ ~400 points
  writeFileAtomic(join(dir, 'loss.svg'), chart({ title: 'training loss (ε-prediction MSE)', xLabel: 'iteration', yLabel: 'loss', yLog: true, series: [{ label: 'loss', ...lossCurve }] }));
  const lines = [
    '# spindiff augment report', '',
    `Command: \`${extra.command}\``, '',
    `Observed (train half): ${r.train.m} samples, n = ${r.train.n}; test half for the stop rule: ${r.test.m}; generated M⁺ = ${r.generated.m}.`,
    `Network: widths ${r.networkConfig.widths.join('-')}, time embedding ${r.networkConfig.timeDim}, residual ${r.networkConfig.residual}; ` +
      `training: ${r.trainConfig.iterations} iterations max, batch ${r.trainConfig.batchSize}, Adam lr ${r.trainConfig.lr} (${r.trainConfig.lrSchedule}), EMA ${r.trainConfig.emaDecay}, clip ${r.trainConfig.gradClip}; ` +
      `sampler ${r.samplerOptions.sampler}${r.samplerOptions.sampler === 'ddim' ? ` S=${r.samplerOptions.steps} η=${r.samplerOptions.eta}` : ''}.`,
    '',
    `Stop rule: training stopped at iteration ${r.stopIteration}; generation used the checkpoint of iteration ${r.chosenIteration}. ` +
      `The smoothed ratio ${r.decision?.crossed ? `crossed 1 (first at iteration ${r.curve[r.decision.firstCrossingIndex]?.iteration})` : 'never crossed 1'}.`,
    '', '![variance curve](variance-curve.svg)', '', '![loss](loss.svg)', '',
    '| iteration | Var gen | Var test | ratio | mean loss |', '|---|---|---|---|---|',
    ...r.curve.map((p) => `| ${p.iteration} | ${p.varGenerated.toFixed(4)} | ${p.varTest.toFixed(4)} | ${p.ratio.toFixed(4)} | ${p.loss.toFixed(4)} |`),
    '', '## Timings (s)', '', ...Object.entries(r.timings).map(([k, v]) => `- ${k}: ${v.toFixed(1)}`),
  ];
  if (extra.truth) {
    const a = mse(extra.truth, r.observedParams);
    const b = mse(extra.truth, r.params);
    lines.push('', `## MSE against the true parameters (${extra.method})`, '', '| data | MSE | MSE b | MSE w |', '|---|---|---|---|',
      `| observed only | ${a.mse.toExponential(3)} | ${a.mse_b.toExponential(3)} | ${a.mse_w.toExponential(3)} |`,
      `| observed + generated | ${b.mse.toExponential(3)} | ${b.mse_b.toExponential(3)} | ${b.mse_w.toExponential(3)} |`,
      '', `Change: ${((b.mse / a.mse - 1) * 100).toFixed(1)}%.`);
    if (extra.comparisons?.length) {
      lines.push('', '## Other inference methods on the same data', '', '| method | observed only | observed + generated | change |', '|---|---|---|---|');
      for (const c of extra.comparisons) {
        const o = mse(extra.truth, c.observed).mse;
        const g = mse(extra.truth, c.augmented).mse;
        lines.push(`| ${c.method} | ${o.toExponential(3)} | ${g.toExponential(3)} | ${((g / o - 1) * 100).toFixed(1)}% |`);
      }
      lines.push('', 'Exact MLE on the observed data alone can beat EM with augmentation (n = 20): compare the rows.');
    }
  }
  writeFileAtomic(join(dir, 'report.md'), lines.join('\n') + '\n');
  writeFileAtomic(join(dir, 'report.json'), JSON.stringify({ curve: r.curve, stopIteration: r.stopIteration, chosenIteration: r.chosenIteration, crossed: r.decision?.crossed ?? null, timings: r.timings, network: r.networkConfig, train: r.trainConfig, sampler: r.samplerOptions, losses: r.losses }) + '\n');
  writeParamsFile(join(dir, 'observed-only.json'), r.observedParams, { method: extra.method, data: 'observed (train half) only' });
}

const command: Command = {
  spec: {
    name: 'augment',
    summary: 'the whole pipeline: train, stop by energy variance, generate, infer from observed + generated',
    examples: [
      'spindiff augment --data data.txt --samples 20000 --out inferred.json --report report/',
      'spindiff augment --data train.txt --test test.txt --samples 100000 --out inferred.json --true true.json --json',
    ],
    options: {
      data: { type: 'string', help: 'observed data (text ±1 or 0/1, or .npy)', required: true, meta: 'FILE' },
      test: { type: 'string', help: 'held-out data for the stop rule (default: split --data in half, as the paper)', meta: 'FILE' },
      samples: { type: 'int', help: 'generated configurations M⁺', default: AUGMENT_DEFAULTS.samples, min: 1 },
      out: { type: 'string', help: 'params inferred from observed + generated (JSON)', required: true, meta: 'FILE' },
      method: { type: 'string', help: 'inference method for θ_train and the final fits', default: 'em', choices: ['em', 'ple', 'mle'] },
      report: { type: 'string', help: 'write a report folder (markdown, SVG curve and loss, JSON)', meta: 'DIR' },
      true: { type: 'string', help: 'true params JSON, to report MSEs', meta: 'FILE' },
      compare: { type: 'string', help: "with --true: also fit these methods on observed-only and observed + generated (comma list of em,ple,mle; 'auto' = ple, plus mle for n ≤ 20; 'none')", default: 'auto', meta: 'LIST' },
      'generated-out': { type: 'string', help: 'also write the generated configurations', meta: 'FILE' },
      ...modelOptions,
    },
  },
  async run(a, ctx) {
    const outFile = a['out'] as string;
    if (outFile === '-' && a['json']) throw new UsageError("--json and --out - would both write to standard output; give --out a file");
    checkFiles(ctx, [['--data', a['data'] as string], ['--test', a['test'] as string | undefined], ['--true', a['true'] as string | undefined]],
      [['--out', outFile], ['--generated-out', a['generatedOut'] as string | undefined]]);
    const data = loadData(ctx, a['data'] as string);
    const test = a['test'] ? loadData(ctx, a['test'] as string) : undefined;
    if (test && test.n !== data.n) throw new UsageError(`${a['test']}: n=${test.n}, but ${a['data']} has n=${data.n}`);
    const truth = a['true'] ? readParamsFile(pathOf(ctx, a['true'] as string), a['true'] as string) : undefined;
    if (truth && truth.n !== data.n) throw new UsageError(`${a['true']}: n=${truth.n}, but ${a['data']} has n=${data.n}`);
    const method = a['method'] as CompareMethod;
    if (method === 'mle') checkExactMle('--method mle', data.n);
    checkSampleCount('--samples', a['samples'] as number, data.n, a['generatedOut'] as string | undefined);
    // Checked before training, so a typo does not cost minutes.
    let list: CompareMethod[] = [];
    try {
      list = truth ? parseCompareList(a['compare'] as string, data.n) : [];
    } catch (e) {
      throw new UsageError(`--compare: ${(e as Error).message}`);
    }
    if (list.includes('mle')) checkExactMle('--compare mle', data.n);
    const net = networkFromArgs(a, data.n);
    const backend = await chooseBackend(a, ctx);
    const bars: Partial<Record<AugmentStage, ReturnType<typeof bar>>> = {};
    const train = trainFromArgs(a), sampler = samplerFromArgs(a);
    // Row-sharded sampling on one worker per thread (analog bits only; the same numbers).
    const sampling = train.generator && train.generator.kind !== 'ddpm' ? null : await samplePoolFor(backend);
    const res = await augment(data, {
      test, samples: a['samples'] as number, preset: a['preset'] as PresetName, network: net, train, sampler,
      stop: a['stop'] as 'energy-variance' | 'none', stopRule: { patience: a['patience'] as number }, minFraction: a['minFraction'] as number,
      evalEvery: a['evalEvery'] as number | undefined, evalSamples: a['evalSamples'] as number, seed: a['seed'] as number,
      infer: (d) => {
        // Progress of the fits too: EM or PLE on large n takes minutes.
        const p = bar(ctx, a, `infer ${method} (${d.m} samples)`);
        const hooks = { signal: ctx.signal, onProgress: p.onProgress };
        const r = method === 'em' ? erasureMachine(d, hooks) : method === 'ple' ? inferPLE(d, hooks) : inferExactMLE(d, hooks);
        p.end();
        return r;
      },
      signal: ctx.signal, backend, ...(sampling ? { sampling } : {}),
      onProgress: (stage, done, total, info) => {
        if (stage !== 'train' && stage !== 'generate') return;
        const b = (bars[stage] ??= bar(ctx, a, stage));
        b.onProgress(done, total, info);
        if (done >= total) b.end();
      },
    }).finally(() => sampling?.close());
    for (const b of Object.values(bars)) b.end();
    const bad = firstNonFinite(res.params) ?? firstNonFinite(res.observedParams);
    if (bad !== null) throw new Error(`${method}: the fitted parameters are not finite (${bad}); nothing written`);
    const command = `spindiff augment --data ${a['data']}${a['test'] ? ` --test ${a['test']}` : ''} --samples ${a['samples']} --method ${method} --preset ${a['preset']} --iters ${trainFromArgs(a).iterations} --seed ${a['seed']}`;
    // The comparison fits are independent: on several cores they run side by side on worker threads (the same numbers).
    const others = list.filter((m) => m !== method);
    const fitThreads = (a['threads'] as number | undefined) ?? availableParallelism(); // --threads 1: serially
    const pool = others.length > 0 && fitThreads > 1 ? await InferPool.start(fitThreads) : null;
    const comparisons = pool
      ? await compareMethodsOn(poolFitRunner(pool), res.train, res.generated, others, ctx.signal).finally(() => pool.close())
      : compareMethods(res.train, res.generated, others, ctx.signal);
    if (ctx.signal.aborted) throw new Error('interrupted');
    // The primary output last: when it exists, everything else was written too.
    if (a['report']) writeReport(pathOf(ctx, a['report'] as string), res, { method, truth, command, comparisons }, a['report'] as string);
    if (a['generatedOut']) writeSpins(ctx, a['generatedOut'] as string, res.generated);
    writeParams(ctx, outFile, res.params, {
      method: `${method}+diffusion`, observed: res.train.m, generated: res.generated.m, stopIteration: res.stopIteration, chosenIteration: res.chosenIteration,
    });
    const scores = truth ? { observed: mse(truth, res.observedParams), augmented: mse(truth, res.params) } : null;
    const cmpScores = truth ? Object.fromEntries(comparisons.map((c) => [c.method, { observed: mse(truth, c.observed).mse, augmented: mse(truth, c.augmented).mse }])) : {};
    if (a['json']) {
      ctx.stdout(JSON.stringify({ out: outFile, method, observed: res.train.m, test: res.test.m, generated: res.generated.m, stopIteration: res.stopIteration, chosenIteration: res.chosenIteration, crossed: res.decision?.crossed ?? null, curve: res.curve, timings: res.timings, ...(scores ? { mse: scores, compare: cmpScores } : {}) }) + '\n');
    } else {
      (outFile === '-' ? ctx.stderr : ctx.stdout)(`augmented ${res.train.m} observed with ${res.generated.m} generated (checkpoint ${res.chosenIteration}, stopped at ${res.stopIteration}, ${res.timings.total.toFixed(0)} s)` +
        (scores ? `; ${method} MSE observed-only ${scores.observed.mse.toExponential(3)} → augmented ${scores.augmented.mse.toExponential(3)} (${((scores.augmented.mse / scores.observed.mse - 1) * 100).toFixed(1)}%)` : '') +
        Object.entries(cmpScores).map(([m, v]) => `; ${m} ${v.observed.toExponential(3)} → ${v.augmented.toExponential(3)}`).join('') + `; wrote ${outFile}\n`);
    }
    return 0;
  },
};
export default command;
