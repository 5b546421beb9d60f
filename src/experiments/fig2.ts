/**
 * Fig. 2: MSE of inference from generated (aug) and observed + generated (aug+obs) data versus
 * the diffusion model's training iterations, beside the energy-variance ratio
 * Var[E_θtrain(generated)] / Var[E_θtrain(test)] and the stopping point it picks; scatter of
 * inferred vs true couplings (observed only, and augmented at the chosen checkpoint).
 */
import { Rng } from '../random/index.js';
import { chart, grid } from '../plot/index.js';
import {
  PAPER_DIFFUSION, QUICK_DIFFUSION, concatSpins, energyVariance, generateFromStateDict, inferEM, mseOf, paramPairs, runDiffusion, seedOf, skInstanceFor,
  type DiffusionSettings,
} from './pipeline.js';
import { fmt, fmtMeanSe, gridJobs, mdTable, meanSe, reportHeader, type Experiment } from './harness.js';

export interface Fig2Preset {
  n: number;
  g: number;
  M: number;
  /** Generated samples per checkpoint for the MSE curves. */
  samples: number;
  diffusion: DiffusionSettings;
}

interface CheckpointResult {
  iteration: number;
  ratio: number;
  mse_aug: number;
  mse_aug_obs: number;
}

interface Fig2Job {
  mse_obs: number;
  var_train: number;
  var_test: number;
  checkpoints: CheckpointResult[];
  chosen_iteration: number;
  stop_iteration: number;
  crossed: boolean | null;
  pairs?: { obs: ReturnType<typeof paramPairs>; aug: ReturnType<typeof paramPairs> };
}

export const fig2: Experiment<Fig2Preset> = {
  name: 'fig2',
  title: 'Fig. 2 — MSE vs training iterations, energy-variance stopping',
  presets: {
    quick: {
      n: 20, g: 1, M: 2000, samples: 5000,
      // Train through the stop (infinite patience: the rule picks a checkpoint but never halts) to see over-training.
      diffusion: { ...QUICK_DIFFUSION, iterations: 6000, evalEvery: 500, minFraction: 0.3, stopRule: { patience: 1e9 } },
    },
    paper: {
      n: 40, g: 1, M: 4000, samples: 100000,
      diffusion: { ...PAPER_DIFFUSION, iterations: 1000000, evalEvery: 10000, minFraction: 0.01, stopRule: { patience: 1e9 } },
    },
  },
  estimate: { quick: '≈8 min of CPU per seed (6000 iterations of the small net, 12 checkpoints × 5000 generated); wall time was 5–8× that on the shared 2-core machine', paper: 'weeks on 2 cores (10⁶ iterations of the paper network per seed, M⁺ = 10⁵ at 100 checkpoints)' },
  jobs: (p, seeds) => gridJobs([{ n: p.n, g: p.g, M: p.M }], seeds),

  async runJob(job, p, ctx) {
    const inst = skInstanceFor(p.n, p.g, p.M, job.seed);
    const obs = inferEM(inst.train);
    const r = await runDiffusion(inst.train, inst.test, p.samples, seedOf('diffusion', p.n, p.g, p.M, job.seed), p.diffusion, ctx, true);
    const rng = new Rng(seedOf('fig2-gen', job.seed));
    const checkpoints: CheckpointResult[] = [];
    let chosenAug: ReturnType<typeof inferEM> | null = null;
    for (const [k, cp] of (r.checkpoints ?? []).entries()) {
      if (ctx.signal?.aborted) break;
      const gen = cp.iteration === r.chosenIteration ? r.generated : await generateFromStateDict(r, cp.stateDict, p.samples, rng, ctx.sampling);
      const aug = inferEM(gen);
      const augObs = cp.iteration === r.chosenIteration ? r.params : inferEM(concatSpins([inst.train, gen]));
      if (cp.iteration === r.chosenIteration) chosenAug = augObs;
      checkpoints.push({ iteration: cp.iteration, ratio: r.curve[k]?.ratio ?? NaN, mse_aug: mseOf(inst.truth, aug), mse_aug_obs: mseOf(inst.truth, augObs) });
    }
    const out: Fig2Job = {
      mse_obs: mseOf(inst.truth, obs),
      var_train: energyVariance(r.thetaTrain, inst.train),
      var_test: energyVariance(r.thetaTrain, inst.test),
      checkpoints,
      chosen_iteration: r.chosenIteration,
      stop_iteration: r.stopIteration,
      crossed: r.decision?.crossed ?? null,
    };
    if (job.seed === 1 && chosenAug) out.pairs = { obs: paramPairs(inst.truth, obs), aug: paramPairs(inst.truth, chosenAug) };
    return out as unknown as Record<string, unknown>;
  },

  summarize(p, records, meta) {
    const jobs = records.map((r) => r.result as unknown as Fig2Job);
    const iters = [...new Set(jobs.flatMap((j) => j.checkpoints.map((c) => c.iteration)))].sort((a, b) => a - b);
    const at = (it: number, f: (c: CheckpointResult) => number) => meanSe(jobs.map((j) => j.checkpoints.find((c) => c.iteration === it)).filter((c): c is CheckpointResult => !!c).map(f));
    const curve = iters.map((it) => ({ iteration: it, ratio: at(it, (c) => c.ratio), mse_aug: at(it, (c) => c.mse_aug), mse_aug_obs: at(it, (c) => c.mse_aug_obs) }));
    const mseObs = meanSe(jobs.map((j) => j.mse_obs));
    const perSeed = records.map((r) => {
      const j = r.result as unknown as Fig2Job;
      const chosen = j.checkpoints.find((c) => c.iteration === j.chosen_iteration);
      const best = j.checkpoints.reduce<CheckpointResult | undefined>((a, c) => (a === undefined || c.mse_aug_obs < a.mse_aug_obs ? c : a), undefined);
      const last = j.checkpoints.at(-1);
      return { seed: r.seed, mse_obs: j.mse_obs, chosen_iteration: j.chosen_iteration, mse_chosen: chosen?.mse_aug_obs ?? NaN, best_iteration: best?.iteration ?? NaN, mse_best: best?.mse_aug_obs ?? NaN, mse_last: last?.mse_aug_obs ?? NaN, crossed: j.crossed, var_train: j.var_train, var_test: j.var_test };
    });
    const md = [reportHeader(fig2.title, meta, records, p)];
    md.push(`SK n = ${p.n}, g = ${p.g}, M = ${p.M} train + ${p.M} test samples; ${p.samples} generated per checkpoint; EM inference. Stop rule: the diffusion layer's (closest smoothed ratio to 1 after a minimum budget, with patience).`, '');
    md.push('### Per seed', '');
    md.push(mdTable(['seed', 'MSE obs', 'chosen it.', 'MSE aug+obs at chosen', 'best it.', 'MSE aug+obs at best', 'MSE aug+obs at last', 'ratio crossed 1?'],
      perSeed.map((s) => [String(s.seed), fmt(s.mse_obs), String(s.chosen_iteration), fmt(s.mse_chosen), String(s.best_iteration), fmt(s.mse_best), fmt(s.mse_last), String(s.crossed)])), '');
    md.push('### Mean over seeds per checkpoint', '');
    md.push(mdTable(['iteration', 'Var ratio', 'MSE aug', 'MSE aug+obs'], curve.map((c) => [String(c.iteration), fmtMeanSe(c.ratio), fmtMeanSe(c.mse_aug), fmtMeanSe(c.mse_aug_obs)])), '');
    md.push(`MSE obs (observed only): ${fmtMeanSe(mseObs)}.`, '', '## Claims');
    const chosenMse = meanSe(perSeed.map((s) => s.mse_chosen));
    md.push(`- Augmentation lowers the MSE at the stopping point: ${chosenMse.mean < mseObs.mean ? 'yes' : '**no**'} (aug+obs ${fmt(chosenMse.mean)} vs obs ${fmt(mseObs.mean)}).`);
    const rises = perSeed.filter((s) => s.mse_last > s.mse_best * 1.05).length;
    md.push(`- MSE rises again with over-training (last checkpoint > 1.05 × best): ${rises} of ${perSeed.length} seeds.`);
    md.push(`- Stopped vs best checkpoint: MSE aug+obs ${fmt(chosenMse.mean)} vs ${fmt(meanSe(perSeed.map((s) => s.mse_best)).mean)} (mean over seeds).`);
    const chosenMean = meanSe(perSeed.map((s) => s.chosen_iteration)).mean;
    const x = curve.map((c) => c.iteration);
    const svgs: Record<string, string> = {};
    svgs['fig2_mse_vs_iterations.svg'] = grid([
      {
        title: 'MSE vs training iterations', xLabel: 'iterations', yLabel: 'MSE', yLog: true,
        hLines: [{ y: mseObs.mean }], markers: Number.isFinite(chosenMean) ? [{ x: chosenMean, label: 'stop' }] : [],
        series: [
          { label: 'aug', x, y: curve.map((c) => c.mse_aug.mean), yErr: curve.map((c) => c.mse_aug.se) },
          { label: 'aug+obs', x, y: curve.map((c) => c.mse_aug_obs.mean), yErr: curve.map((c) => c.mse_aug_obs.se) },
          { label: 'obs (dotted line)', x: [], y: [], color: '#888' },
        ],
      },
      {
        title: 'Energy variance: generated / test', xLabel: 'iterations', yLabel: 'Var[E(gen)] / Var[E(test)]',
        hLines: [{ y: 1 }, ...(perSeed[0] ? [{ y: perSeed[0].var_train / perSeed[0].var_test }] : [])],
        markers: Number.isFinite(chosenMean) ? [{ x: chosenMean, label: 'stop' }] : [],
        series: [{ label: 'generated / test', x, y: curve.map((c) => c.ratio.mean), yErr: curve.map((c) => c.ratio.se) }],
      },
    ], 2);
    const pj = jobs.find((j) => j.pairs);
    if (pj?.pairs) {
      svgs['fig2_scatter.svg'] = chart({
        title: `Inferred vs true couplings (seed 1)`, xLabel: 'true w_ij', yLabel: 'inferred w_ij', diagonal: true,
        series: [
          { label: 'observed only', kind: 'scatter', x: pj.pairs.obs.trueW, y: pj.pairs.obs.infW, color: '#000' },
          { label: 'aug+obs at stop', kind: 'scatter', x: pj.pairs.aug.trueW, y: pj.pairs.aug.infW, color: '#ff7f0e' },
        ],
      });
    }
    md.push('', '![MSE and variance ratio vs iterations](fig2_mse_vs_iterations.svg)', '', 'Dotted lines: the observed-only MSE (left); ratio 1 and the train/test variance ratio (right).', '');
    if (svgs['fig2_scatter.svg']) md.push('![scatter](fig2_scatter.svg)', '');
    return { data: { curve, per_seed: perSeed, mse_obs: mseObs }, markdown: md.join('\n'), svgs };
  },
};
