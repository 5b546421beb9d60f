/**
 * Fig. 5: augmentation by the diffusion model vs RBM, VAE (and GAN) at M observed samples:
 * MSE of inference from generated only (aug) and observed + generated (aug+obs), against the
 * observed-only MSE; the diversity of each model's samples (GAN mode collapse, shown by numbers).
 */
import { Rng } from '../random/index.js';
import { chart, grid } from '../plot/index.js';
import type { RBMOptions } from '../models/rbm.js';
import type { VAEOptions } from '../models/vae.js';
import type { GANOptions } from '../models/gan.js';
import { diversity } from '../models/diversity.js';
import { PAPER_DIFFUSION, QUICK_DIFFUSION, fitBaseline, type BaselineName } from './pipeline.js';
import {
  concatSpins, inferEM, mseOf, paramPairs, runDiffusion, seedOf, skInstanceFor, type DiffusionSettings,
} from './pipeline.js';
import {
  fmt, fmtMeanSe, gridJobs, groupBy, mdTable, meanSe, reportHeader, type Experiment, type JobRecord,
} from './harness.js';
import { at, entry } from '../util/checked.js';

export interface Fig5Preset {
  n: number;
  g: number;
  Ms: number[];
  samples: number;
  models: ('diffusion' | BaselineName)[];
  diffusion: DiffusionSettings;
  rbm: RBMOptions;
  vae: VAEOptions;
  gan: GANOptions;
}

const MODEL_LABEL: Record<string, string> = { diffusion: 'diffusion', rbm: 'RBM', vae: 'VAE', gan: 'GAN' };

export const fig5: Experiment<Fig5Preset> = {
  name: 'fig5',
  title: 'Fig. 5 — diffusion vs RBM vs VAE vs GAN augmentation',
  presets: {
    quick: {
      n: 20, g: 1, Ms: [2000], samples: 10000, models: ['diffusion', 'rbm', 'vae', 'gan'],
      diffusion: QUICK_DIFFUSION,
      rbm: { epochs: 100 }, vae: { epochs: 100 }, gan: { epochs: 60 },
    },
    paper: {
      n: 40, g: 1, Ms: [1000, 2000, 4000, 8000], samples: 100000, models: ['diffusion', 'rbm', 'vae', 'gan'],
      diffusion: PAPER_DIFFUSION,
      rbm: { epochs: 200 }, vae: { epochs: 300 }, gan: { epochs: 300 },
    },
  },
  estimate: { quick: '≈5 min of CPU per seed; wall time was 5–8× that on the shared 2-core machine', paper: 'days on 2 cores (40 jobs of 100k diffusion iterations with the paper network); hours per job on a cluster node' },
  jobs: (p, seeds) => gridJobs(p.Ms.flatMap((M) => p.models.map((model) => ({ M, model }))), seeds),

  async runJob(job, p, ctx) {
    const M = job.setting['M'] as number;
    const model = job.setting['model'] as string;
    const inst = skInstanceFor(p.n, p.g, M, job.seed);
    const obs = inferEM(inst.train);
    const rng = new Rng(seedOf('fig5', model, M, job.seed));
    let gen;
    let extra: Record<string, unknown> = {};
    if (model === 'diffusion') {
      const r = await runDiffusion(inst.train, inst.test, p.samples, seedOf('diffusion', M, job.seed), p.diffusion, ctx);
      gen = r.generated;
      extra = { stop_iteration: r.stopIteration, chosen_iteration: r.chosenIteration, crossed: r.decision?.crossed ?? null };
    } else {
      const name = model as BaselineName;
      const fitted = await fitBaseline(name, inst.train, rng, { rbm: p.rbm, vae: p.vae as Record<string, unknown>, gan: p.gan as Record<string, unknown> });
      gen = fitted.sample(p.samples, rng);
    }
    const aug = inferEM(gen);
    const augObs = inferEM(concatSpins([inst.train, gen]));
    const div = diversity(gen, inst.test, rng);
    const divTest = diversity(inst.test, inst.train, rng);
    const first = job.seed === 1;
    return {
      mse_obs: mseOf(inst.truth, obs),
      mse_aug: mseOf(inst.truth, aug),
      mse_aug_obs: mseOf(inst.truth, augObs),
      diversity: div,
      diversity_real: divTest,
      ...extra,
      ...(first ? { pairs: { obs: paramPairs(inst.truth, obs), aug: paramPairs(inst.truth, aug) } } : {}),
    };
  },

  summarize(p, records, meta) {
    const by = groupBy(records, (r) => `${r.setting['model']}|${r.setting['M']}`);
    const rows: Record<string, unknown>[] = [];
    const num = (rs: JobRecord[], k: string) => meanSe(rs.map((r) => r.result[k] as number));
    const divNum = (rs: JobRecord[], k: string, real = false) => meanSe(rs.map((r) => entry((real ? r.result['diversity_real'] : r.result['diversity']) as Record<string, number>, k, 'diversity')));
    for (const M of p.Ms) for (const model of p.models) {
      const rs = by.get(`${model}|${M}`) ?? [];
      if (!rs.length) continue;
      rows.push({
        model, M, seeds: rs.length,
        mse_obs: num(rs, 'mse_obs'), mse_aug: num(rs, 'mse_aug'), mse_aug_obs: num(rs, 'mse_aug_obs'),
        distinct_fraction: divNum(rs, 'distinctFraction'), mean_hamming: divNum(rs, 'meanHamming'), coverage: divNum(rs, 'coverage'),
        distinct_fraction_real: divNum(rs, 'distinctFraction', true), mean_hamming_real: divNum(rs, 'meanHamming', true),
      });
    }
    type Row = { model: string; M: number; mse_obs: ReturnType<typeof meanSe>; mse_aug: ReturnType<typeof meanSe>; mse_aug_obs: ReturnType<typeof meanSe>; distinct_fraction: ReturnType<typeof meanSe>; mean_hamming: ReturnType<typeof meanSe>; coverage: ReturnType<typeof meanSe>; distinct_fraction_real: ReturnType<typeof meanSe>; mean_hamming_real: ReturnType<typeof meanSe>; seeds: number };
    const R = rows as unknown as Row[];
    const md = [reportHeader(fig5.title, meta, records, p)];
    md.push(`SK model n = ${p.n}, g = ${p.g}; each generative model is trained on the M observed samples; M⁺ = ${p.samples} generated. EM = erasure machine. Mean ± standard error over seeds.`, '');
    md.push(mdTable(['model', 'M', 'seeds', 'MSE obs', 'MSE aug', 'MSE aug+obs', 'distinct / samples', 'mean Hamming / n', 'test coverage'],
      R.map((r) => [MODEL_LABEL[r.model] ?? r.model, String(r.M), String(r.seeds), fmtMeanSe(r.mse_obs), fmtMeanSe(r.mse_aug), fmtMeanSe(r.mse_aug_obs), fmtMeanSe(r.distinct_fraction), fmtMeanSe(r.mean_hamming), fmtMeanSe(r.coverage)])));
    const real = R[0];
    if (real) md.push('', `Real data for comparison (the M test samples): distinct / samples ${fmtMeanSe(real.distinct_fraction_real)}, mean Hamming / n ${fmtMeanSe(real.mean_hamming_real)}.`);
    // Claims of the paper, checked on these numbers.
    md.push('', '## Claims');
    for (const M of p.Ms) {
      const at = (m: string) => R.find((r) => r.model === m && r.M === M);
      const d = at('diffusion');
      for (const other of ['rbm', 'vae']) {
        const o = at(other);
        if (d && o) {
          const holds = d.mse_aug.mean < o.mse_aug.mean;
          md.push(`- M = ${M}: diffusion ${holds ? 'beats' : 'does **not** beat'} ${MODEL_LABEL[other]} (MSE aug ${fmt(d.mse_aug.mean)} vs ${fmt(o.mse_aug.mean)}; aug+obs ${fmt(d.mse_aug_obs.mean)} vs ${fmt(o.mse_aug_obs.mean)}).`);
        }
      }
      const gan = at('gan');
      if (gan) md.push(`- M = ${M}: GAN samples: distinct fraction ${fmt(gan.distinct_fraction.mean)} and mean Hamming distance ${fmt(gan.mean_hamming.mean)} vs ${fmt(gan.distinct_fraction_real.mean)} and ${fmt(gan.mean_hamming_real.mean)} on real data${gan.distinct_fraction.mean < 0.5 * gan.distinct_fraction_real.mean ? ' — mode collapse' : ''}; its MSE aug is ${fmt(gan.mse_aug.mean)}.`);
      if (d) md.push(`- M = ${M}: diffusion augmentation ${d.mse_aug_obs.mean < d.mse_obs.mean ? 'lowers' : 'does **not** lower'} the MSE: aug+obs ${fmt(d.mse_aug_obs.mean)} vs obs ${fmt(d.mse_obs.mean)} (${fmt((100 * (d.mse_aug_obs.mean - d.mse_obs.mean)) / d.mse_obs.mean, 3)}%).`);
    }
    // Plots: MSE vs M per model (aug), and scatter of seed 1 at the first M.
    const svgs: Record<string, string> = {};
    const lines = p.models.map((m) => {
      const rs = R.filter((r) => r.model === m);
      return { label: `${MODEL_LABEL[m]} aug`, x: rs.map((r) => r.M), y: rs.map((r) => r.mse_aug.mean), yErr: rs.map((r) => r.mse_aug.se) };
    });
    const obsRows = p.Ms.map((M) => R.find((r) => r.M === M)).filter((r): r is Row => !!r);
    lines.push({ label: 'observed only', x: obsRows.map((r) => r.M), y: obsRows.map((r) => r.mse_obs.mean), yErr: obsRows.map((r) => r.mse_obs.se) });
    svgs['fig5b_mse_vs_M.svg'] = chart({ title: `MSE vs M (n = ${p.n}, M⁺ = ${p.samples})`, xLabel: 'M (observed samples)', yLabel: 'MSE', xLog: p.Ms.length > 1, yLog: true, series: lines.map((l, k) => (k === lines.length - 1 ? { ...l, dashed: true, color: '#000' } : l)) });
    const M0 = p.Ms.includes(2000) ? 2000 : at(p.Ms, 0, 'Ms');
    const panels = p.models.map((m) => {
      const rec = records.find((r) => r.setting['model'] === m && r.setting['M'] === M0 && r.result['pairs']);
      const pairs = rec?.result['pairs'] as { obs: { trueW: number[]; infW: number[] }; aug: { trueW: number[]; infW: number[] } } | undefined;
      return {
        title: `${MODEL_LABEL[m]} (M = ${M0})`, xLabel: 'true w_ij', yLabel: 'inferred w_ij', diagonal: true,
        series: pairs ? [
          { label: 'observed', kind: 'scatter' as const, x: pairs.obs.trueW, y: pairs.obs.infW, color: '#000' },
          { label: `${MODEL_LABEL[m]} aug`, kind: 'scatter' as const, x: pairs.aug.trueW, y: pairs.aug.infW },
        ] : [],
      };
    });
    svgs['fig5a_scatter.svg'] = grid(panels, 2);
    md.push('', '![MSE vs M](fig5b_mse_vs_M.svg)', '', '![inferred vs true couplings](fig5a_scatter.svg)', '');
    return { data: { rows }, markdown: md.join('\n'), svgs };
  },
};
