/**
 * spindiff demo: the main job on defaults (SK n=20, g=1, M=2000): simulate, infer on observed
 * data, train the diffusion model with the energy-variance stop, augment, infer again; print
 * MSE(obs) vs MSE(aug+obs) and write a report folder (report.md, SVG plots, params JSON).
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { parseCompareList } from '../../diffusion/compare.js';
import type { CompareMethod } from '../../diffusion/compare.js';
import { Progress } from '../progress.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { runDemo, type DemoOptions } from '../../experiments/demo.js';
import { AUGMENT_DEFAULTS, DEFAULT_SAMPLER } from '../../diffusion/augment.js';
import { DEFAULT_TRAIN } from '../../diffusion/train.js';
import { getBackend, setBackend } from '../../tensor/backend/registry.js';
import { InferPool, poolFitRunner } from '../../ising/infer/parallel.js';
import { BACKEND_OPTION, THREADS_OPTION, checkExactMle, chooseBackend, progressMode, samplePoolFor } from './common.js';


/**
 * The demo runs the augment pipeline on its own defaults (diffusion layer: the 'small' network
 * 64-128, 4000 iterations with cosine lr and EMA, 1000 samples per energy-variance evaluation,
 * DDIM-100 with η = 1, M⁺ = 20,000), so the demo shows what `spindiff augment` does. Measured on
 * the idle 2-core machine (README, runs P–R): EM MSE 0.00533 → 0.00350 (−34.3%, seed 1) in 60–81 s
 * with two threads (sampling by row shards since run R), with the PLE and exact-MLE comparison fits.
 */
const DEFAULTS: NonNullable<DemoOptions['augment']> & { samples: number } = {
  samples: AUGMENT_DEFAULTS.samples,
  preset: 'small',
};

/** Settings of --quick: seconds, for tests and smoke checks (not a meaningful result). */
const QUICK: Pick<DemoOptions, 'augment'> & { samples: number } = {
  samples: 500,
  augment: { preset: 'tiny', network: { widths: [16, 16], timeDim: 8 }, train: { iterations: 40 }, evalEvery: 20, evalSamples: 64, sampler: { steps: 5 } },
};

const command: Command = {
  spec: {
    name: 'demo',
    summary: 'the main job on defaults: SK n=20, observed vs augmented inference, with a report',
    examples: ['spindiff demo', 'spindiff demo --n 20 --g 1.5 --M 1000 --seed 3 --out demo-g1.5', 'spindiff demo --quick --json'],
    options: {
      n: { type: 'int', help: 'spins', default: 20, min: 2, max: 60 },
      g: { type: 'number', help: 'SK coupling strength (b, w ~ N(0, g²/n))', default: 1, min: 0 },
      M: { type: 'int', help: 'observed training samples (as many again are drawn as the test half)', default: 2000, min: 4, max: 1000000 },
      samples: { type: 'int', help: `generated samples M⁺ (default ${AUGMENT_DEFAULTS.samples})`, min: 1, max: 10000000 },
      iters: { type: 'int', help: `diffusion training iterations budget (default ${DEFAULT_TRAIN.iterations})`, min: 1 },
      preset: { type: 'string', help: 'diffusion network preset (default small)', choices: ['tiny', 'small', 'paper'] },
      steps: { type: 'int', help: `sampler steps, DDIM with η = 1 (default ${DEFAULT_SAMPLER.steps})`, min: 1 },
      'eval-samples': { type: 'int', help: `generated samples per energy-variance evaluation (default ${AUGMENT_DEFAULTS.evalSamples})`, min: 2 },
      seed: { type: 'int', help: 'seed of the SK instance, the samples and the diffusion model', default: 1, min: 0 },
      out: { type: 'string', help: 'report folder', default: 'spindiff-demo', meta: 'DIR' },
      compare: { type: 'string', help: "also fit these methods on observed and observed + generated data (comma list of ple,mle; 'auto' = ple, plus exact mle for n ≤ 20; 'none')", default: 'auto', meta: 'LIST' },
      quick: { type: 'boolean', help: 'a seconds-long run with a tiny network (for tests; not a meaningful result)' },
      json: { type: 'boolean', help: 'print only one JSON line {n, M, mse_obs, mse_aug_obs, stop_iteration, seconds} on stdout (the sentence goes to stderr)' },
      progress: { type: 'boolean', help: 'progress every second when stderr is not a terminal (default: every 5 s)' },
      backend: { ...BACKEND_OPTION },
      threads: { ...THREADS_OPTION, help: `${THREADS_OPTION.help}; also the worker threads of the inference fits (the same numbers on any count)` },
    },
  },
  async run(a, ctx: CliContext) {
    setBackend(await chooseBackend(a, ctx));
    const quick = Boolean(a['quick']);
    const { samples: defaultSamples, ...defaultAugment } = DEFAULTS;
    const augmentOpts: NonNullable<DemoOptions['augment']> = { ...(quick ? QUICK.augment : defaultAugment) };
    if (a['preset'] !== undefined) augmentOpts.preset = a['preset'] as 'tiny' | 'small' | 'paper';
    if (a['iters'] !== undefined) augmentOpts.train = { ...augmentOpts.train, iterations: a['iters'] as number };
    if (a['steps'] !== undefined) augmentOpts.sampler = { ...augmentOpts.sampler, steps: a['steps'] as number };
    if (a['evalSamples'] !== undefined) augmentOpts.evalSamples = a['evalSamples'] as number;
    const samples = (a['samples'] as number | undefined) ?? (quick ? QUICK.samples : defaultSamples);
    let compare: CompareMethod[];
    try {
      compare = parseCompareList(a['compare'] as string, a['n'] as number);
    } catch (e) {
      throw new UsageError(`--compare: ${(e as Error).message}`);
    }
    if (compare.includes('mle')) checkExactMle('--compare mle', a['n'] as number);
    const out = resolve(ctx.cwd, a['out'] as string);
    const mode = progressMode(ctx, Boolean(a['progress']));
    let bar: Progress | null = null;
    let stage = '';
    let last = 0;
    const labels: Record<string, string> = { 'infer-train': 'infer (observed)', train: 'train diffusion', evaluate: 'train diffusion', generate: 'generate', infer: 'infer (augmented)' };
    // The fits (EM before and after training, the comparison fits) on worker threads: the seven
    // fits after generation are independent and run side by side, six of them started as soon as
    // the samples exist (runDemo: the same numbers as serially).
    const fitThreads = (a['threads'] as number | undefined) ?? availableParallelism();
    const pool = fitThreads > 1 ? await InferPool.start(fitThreads) : null;
    // The sampling (evaluations and generation) on row shards, one worker per thread, where the
    // backend splits over threads: the same numbers, ~1.1× faster than splitting each network call.
    const sampling = await samplePoolFor(getBackend()).catch((e: unknown) => { pool?.close(); throw e; });
    const result = await runDemo({
      n: a['n'] as number,
      g: a['g'] as number,
      M: a['M'] as number,
      seed: a['seed'] as number,
      samples,
      augment: { ...augmentOpts, ...(sampling ? { sampling } : {}) },
      compare,
      ...(pool ? { fits: poolFitRunner(pool) } : {}),
      signal: ctx.signal,
      now: () => performance.now() / 1000,
      onProgress: (s, done, total, info) => {
        if (s === 'evaluate') {
          // Evaluations happen inside training: show the latest ratio on the training bar.
          if (bar && info?.['ratio'] !== undefined) bar.tick(0, `var ratio ${info['ratio'].toFixed(3)}`);
          return;
        }
        if (s !== stage) {
          bar?.end();
          stage = s;
          last = 0;
          bar = new Progress({ total, label: labels[s] ?? s, write: ctx.stderr, ...mode });
        }
        bar!.tick(done - last, info?.['loss'] !== undefined ? `loss ${info['loss'].toFixed(4)}` : undefined);
        last = done;
      },
    }).finally(() => { pool?.close(); sampling?.close(); });
    (bar as Progress | null)?.end();
    if (ctx.signal.aborted) {
      ctx.stderr('spindiff demo: interrupted; no report written\n');
      return 130;
    }
    for (const [name, text] of Object.entries(result.svgs)) writeFileAtomic(join(out, name), text);
    for (const [name, text] of Object.entries(result.files)) writeFileAtomic(join(out, name), text);
    writeFileAtomic(join(out, 'results.json'), JSON.stringify({ summary: result.summary, details: result.details }, null, 1) + '\n');
    writeFileAtomic(join(out, 'report.md'), result.markdown);
    const s = result.summary;
    const d = result.details as { gain_percent: number; mse_obs_train_and_test: number; compare: { method: string; mse_obs: number; mse_aug_obs: number }[] };
    // With --json, stdout is the JSON line alone (for `| jq`); the sentence goes to stderr.
    const say = a['json'] ? ctx.stderr : ctx.stdout;
    say(
      `SK n=${s.n} g=${a['g']} M=${s.M}: MSE observed ${s.mse_obs.toPrecision(4)} → observed+generated ${s.mse_aug_obs.toPrecision(4)} (${d.gain_percent >= 0 ? '+' : ''}${d.gain_percent.toFixed(1)}%), stop at iteration ${s.stop_iteration}, ${s.seconds.toFixed(0)} s; report: ${join(a['out'] as string, 'report.md')}\n`,
    );
    if (d.compare.length > 0) {
      say(`  same data, other methods: ${d.compare.map((c) => `${c.method.toUpperCase()} ${c.mse_obs.toPrecision(4)} → ${c.mse_aug_obs.toPrecision(4)}`).join('; ')}\n`);
    }
    if (a['json']) ctx.stdout(JSON.stringify(s) + '\n');
    return 0;
  },
};

export default command;
