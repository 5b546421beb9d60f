/**
 * Fig. 4: (a–c) MSE vs M observed samples at the largest M⁺, and (d–f) MSE vs M⁺ at a fixed M,
 * for several n. One job per (n, M, seed) trains once and evaluates every M⁺ as prefixes of one
 * generated set, so both panels come from the same jobs.
 */
import { grid, type ChartOptions } from '../plot/index.js';
import { augmentJob, type AugmentJobResult } from './sweep.js';
import { PAPER_DIFFUSION, QUICK_DIFFUSION, type DiffusionSettings } from './pipeline.js';
import { fmt, fmtMeanSe, gridJobs, mdTable, meanSe, reportHeader, type Experiment, type Setting } from './harness.js';
import { at, last } from '../util/checked.js';

export interface Fig4Preset {
  ns: number[];
  g: number;
  Ms: number[];
  /** M used for the M⁺ panels, per n (paper: 4000, 4000, 8000). */
  MforSamples: number[];
  samples: number[];
  /** Diffusion settings per n (the paper widens the network for n = 60). */
  diffusion: DiffusionSettings[];
}

export const fig4: Experiment<Fig4Preset> = {
  name: 'fig4',
  title: 'Fig. 4 — MSE vs M and vs M⁺',
  presets: {
    quick: {
      ns: [20], g: 1, Ms: [500, 1000, 2000], MforSamples: [1000], samples: [1000, 3000, 10000],
      diffusion: [QUICK_DIFFUSION],
    },
    paper: {
      ns: [20, 40, 60], g: 1, Ms: [1000, 2000, 4000, 8000, 16000], MforSamples: [4000, 4000, 8000], samples: [10000, 30000, 100000, 300000],
      diffusion: [PAPER_DIFFUSION, PAPER_DIFFUSION, PAPER_DIFFUSION],
    },
  },
  estimate: { quick: '≈11 min of CPU per seed (3 jobs); wall time was 5–8× that on the shared 2-core machine', paper: 'weeks on 2 cores (150 jobs); hours per job on a cluster node' },
  jobs(p, seeds) {
    const settings: Setting[] = [];
    p.ns.forEach((n, k) => {
      const Ms = [...new Set([...p.Ms, at(p.MforSamples, k, 'MforSamples')])].sort((a, b) => a - b);
      for (const M of Ms) settings.push({ n, M });
    });
    return gridJobs(settings, seeds);
  },
  async runJob(job, p, ctx) {
    const n = job.setting['n'] as number;
    const k = p.ns.indexOf(n);
    return augmentJob(n, p.g, job.setting['M'] as number, job.seed, p.samples, p.diffusion[k] ?? at(p.diffusion, 0, 'diffusion settings'), ctx);
  },
  summarize(p, records, meta) {
    const md = [reportHeader(fig4.title, meta, records, p)];
    md.push(`SK g = ${p.g}; EM inference; mean ± standard error over seeds. Panels (a–c): MSE vs M at M⁺ = ${Math.max(...p.samples)}. Panels (d–f): MSE vs M⁺ at the M of each n.`, '');
    const vsM: Record<string, unknown>[] = [];
    const vsS: Record<string, unknown>[] = [];
    const chartsA: ChartOptions[] = [];
    const chartsB: ChartOptions[] = [];
    const claims: string[] = [];
    p.ns.forEach((n, k) => {
      const recs = (M: number) => records.filter((r) => r.setting['n'] === n && r.setting['M'] === M).map((r) => r.result as AugmentJobResult);
      const rowsA = p.Ms.map((M) => {
        const rs = recs(M);
        // the largest M⁺ of each job (its last entry)
        const aug = (r: AugmentJobResult) => at(r.mse_aug, r.mse_aug_obs.length - 1, 'mse_aug');
        const augObs = (r: AugmentJobResult) => last(r.mse_aug_obs, 'mse_aug_obs');
        return { n, M, seeds: rs.length, mse_obs: meanSe(rs.map((r) => r.mse_obs)), mse_aug: meanSe(rs.map(aug)), mse_aug_obs: meanSe(rs.map(augObs)), gain_percent: meanSe(rs.map((r) => (100 * (augObs(r) - r.mse_obs)) / r.mse_obs)) };
      }).filter((r) => r.seeds > 0);
      vsM.push(...rowsA);
      const Mb = at(p.MforSamples, k, 'MforSamples');
      const rb = recs(Mb);
      const rowsB = p.samples.map((S, j) => ({ n, M: Mb, samples: S, seeds: rb.length, mse_obs: meanSe(rb.map((r) => r.mse_obs)), mse_aug: meanSe(rb.map((r) => at(r.mse_aug, j, 'mse_aug'))), mse_aug_obs: meanSe(rb.map((r) => at(r.mse_aug_obs, j, 'mse_aug_obs'))) })).filter((r) => r.seeds > 0);
      vsS.push(...rowsB);
      md.push(`### n = ${n}: MSE vs M (M⁺ = ${Math.max(...p.samples)})`, '');
      md.push(mdTable(['M', 'seeds', 'MSE obs', 'MSE aug', 'MSE aug+obs', 'gain %'], rowsA.map((r) => [String(r.M), String(r.seeds), fmtMeanSe(r.mse_obs), fmtMeanSe(r.mse_aug), fmtMeanSe(r.mse_aug_obs), fmtMeanSe(r.gain_percent)])), '');
      md.push(`### n = ${n}: MSE vs M⁺ (M = ${Mb})`, '');
      md.push(mdTable(['M⁺', 'seeds', 'MSE obs', 'MSE aug', 'MSE aug+obs'], rowsB.map((r) => [String(r.samples), String(r.seeds), fmtMeanSe(r.mse_obs), fmtMeanSe(r.mse_aug), fmtMeanSe(r.mse_aug_obs)])), '');
      if (rowsA.length >= 2) {
        const small = at(rowsA, 0, 'rows');
        const large = last(rowsA, 'rows');
        const g0 = small.gain_percent.mean;
        const g1 = large.gain_percent.mean;
        claims.push(`- n = ${n}: gains largest at small M? gain ${fmt(g0, 3)}% at M = ${small.M} vs ${fmt(g1, 3)}% at M = ${large.M}: ${g0 < g1 ? 'yes' : '**no**'} (negative gain = lower MSE).`);
      }
      chartsA.push({
        title: `n = ${n}: MSE vs M`, xLabel: 'M (observed)', yLabel: 'MSE', xLog: true, yLog: true,
        series: [
          { label: 'obs', x: rowsA.map((r) => r.M), y: rowsA.map((r) => r.mse_obs.mean), yErr: rowsA.map((r) => r.mse_obs.se), dashed: true, color: '#000' },
          { label: 'aug', x: rowsA.map((r) => r.M), y: rowsA.map((r) => r.mse_aug.mean), yErr: rowsA.map((r) => r.mse_aug.se) },
          { label: 'aug+obs', x: rowsA.map((r) => r.M), y: rowsA.map((r) => r.mse_aug_obs.mean), yErr: rowsA.map((r) => r.mse_aug_obs.se) },
        ],
      });
      chartsB.push({
        title: `n = ${n}: MSE vs M⁺ (M = ${Mb})`, xLabel: 'M⁺ (generated)', yLabel: 'MSE', xLog: true, yLog: true,
        hLines: rowsB[0] ? [{ y: rowsB[0].mse_obs.mean }] : [],
        series: [
          { label: 'aug', x: rowsB.map((r) => r.samples), y: rowsB.map((r) => r.mse_aug.mean), yErr: rowsB.map((r) => r.mse_aug.se) },
          { label: 'aug+obs', x: rowsB.map((r) => r.samples), y: rowsB.map((r) => r.mse_aug_obs.mean), yErr: rowsB.map((r) => r.mse_aug_obs.se) },
        ],
      });
    });
    md.push('## Claims', ...claims, '', '![MSE vs M](fig4_mse_vs_M.svg)', '', '![MSE vs M+](fig4_mse_vs_samples.svg)', '', 'The grey dotted line in the M⁺ panels is the observed-only MSE.', '');
    return {
      data: { vs_M: vsM, vs_samples: vsS },
      markdown: md.join('\n'),
      svgs: { 'fig4_mse_vs_M.svg': grid(chartsA, 3), 'fig4_mse_vs_samples.svg': grid(chartsB, 3) },
    };
  },
};
