/**
 * Fig. 6: reconstruction of missing spins on real data. Per ensemble (seed): shuffle the samples,
 * split train / test, infer θ from train alone (obs) and from train + diffusion-generated
 * samples (aug, stopped by the energy-variance rule against the test split); hide h random
 * spins of each test sample and fill them by maximum conditional probability; accuracy vs h.
 * Data sets: the shipped smoking survey (38 variables) and, if present at its path, the 50-cell
 * salamander retina recording (40 most active cells, as the paper), read by path, never copied.
 */
import { Rng } from '../random/index.js';
import { chart, grid, type ChartOptions } from '../plot/index.js';
import { parseSpinText, selectRows } from '../io/data.js';
import { reconstruct } from '../ising/reconstruct.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import { PAPER_DIFFUSION, QUICK_DIFFUSION, concatSpins, inferEM, runDiffusion, seedOf, type DiffusionSettings } from './pipeline.js';
import { fmt, fmtMeanSe, gridJobs, mdTable, meanSe, reportHeader, type Experiment, type JobRecord } from './harness.js';
import { at } from '../util/checked.js';

export interface DatasetSpec {
  name: string;
  path: string;
  /** Keep the k columns with the most +1 (most active neurons); 0 keeps all. */
  mostActive: number;
  train: number;
  test: number;
  /** Columns never hidden (near-constant variables, as the smoking notebook). */
  neverHide: number[];
}

export interface Fig6Preset {
  datasets: DatasetSpec[];
  hidden: number[];
  samples: number;
  diffusion: DiffusionSettings;
}

const SMOKING: DatasetSpec = { name: 'smoking', path: 'data/smoking/smoking.txt', mostActive: 0, train: 460, test: 1076, neverHide: [8, 18, 33, 36] };
const RETINA = (train: number, test: number): DatasetSpec => ({ name: 'retina50', path: '../shared/data/retina50/retina50.txt.gz', mostActive: 40, train, test, neverHide: [] });

export const fig6: Experiment<Fig6Preset> = {
  name: 'fig6',
  title: 'Fig. 6 — missing-spin reconstruction on real data',
  presets: {
    quick: {
      datasets: [SMOKING, RETINA(2000, 500)], hidden: [2, 6, 10, 14], samples: 10000,
      diffusion: { ...QUICK_DIFFUSION, evalEvery: 250 },
    },
    paper: {
      datasets: [SMOKING, RETINA(8000, 1000)], hidden: [2, 4, 6, 8, 10, 12, 14], samples: 100000,
      diffusion: PAPER_DIFFUSION,
    },
  },
  estimate: { quick: '≈8 min of CPU per seed (2 data sets); wall time was 5–8× that on the shared 2-core machine', paper: 'days on 2 cores (20 jobs of 100k iterations); hours per job on a cluster node' },
  jobs: (p, seeds) => gridJobs(p.datasets.map((d) => ({ dataset: d.name })), seeds),

  async runJob(job, p, ctx) {
    const spec = p.datasets.find((d) => d.name === job.setting['dataset'])!;
    const text = ctx.readText ? ctx.readText(spec.path) : null;
    if (text === null) return { skipped: `${spec.path} not found (or no file access); ${spec.name} skipped` };
    const all = selectColumns(parseSpinText(text, spec.path), spec.mostActive);
    const rng = new Rng(seedOf('fig6', spec.name, job.seed));
    const perm = rng.permutation(all.m);
    if (spec.train + spec.test > all.m) throw new Error(`${spec.path}: ${all.m} samples, fewer than train ${spec.train} + test ${spec.test}`);
    const train = selectRows(all.data, perm.subarray(0, spec.train));
    const test = selectRows(all.data, perm.subarray(spec.train, spec.train + spec.test));
    const obs = inferEM(train);
    const r = await runDiffusion(train, test, p.samples, seedOf('diffusion', spec.name, job.seed), p.diffusion, ctx);
    const aug = inferEM(concatSpins([train, r.generated]));
    const hideable = all.columns.flatMap((c, i) => (spec.neverHide.includes(c) ? [] : [i]));
    const acc = (params: IsingParams, h: number, maskRng: Rng) => {
      const masks = Array.from({ length: test.m }, () => chooseK(hideable, h, maskRng));
      return reconstruct(params, test, masks).accuracy;
    };
    const accObs: number[] = [];
    const accAug: number[] = [];
    for (const h of p.hidden) {
      if (h > hideable.length) throw new Error(`fig6: cannot hide ${h} of ${hideable.length} hideable spins in ${spec.name}`);
      // The same masks for obs and aug: a paired comparison.
      accObs.push(acc(obs, h, new Rng(seedOf('mask', spec.name, h, job.seed))));
      accAug.push(acc(aug, h, new Rng(seedOf('mask', spec.name, h, job.seed))));
    }
    return { n: all.n, columns: all.columns, hidden: p.hidden, acc_obs: accObs, acc_aug: accAug, stop_iteration: r.stopIteration, chosen_iteration: r.chosenIteration, curve: r.curve.map((c) => ({ iteration: c.iteration, ratio: c.ratio })) };
  },

  summarize(p, records, meta) {
    const md = [reportHeader(fig6.title, meta, records, p)];
    md.push(`Accuracy = fraction of hidden spins recovered exactly by maximum conditional probability under the inferred θ; obs = θ from the training split; aug = θ from training + ${p.samples} generated samples. Mean ± standard error over ensembles (seeds); the same hidden sets for obs and aug.`, '');
    const charts: ChartOptions[] = [];
    const data: Record<string, unknown> = {};
    const claims: string[] = [];
    for (const d of p.datasets) {
      const rs = records.filter((r) => r.setting['dataset'] === d.name);
      const skipped = rs.find((r) => r.result['skipped']);
      const ok = rs.filter((r) => !r.result['skipped']);
      md.push(`### ${d.name} (train ${d.train}, test ${d.test}${d.mostActive ? `, ${d.mostActive} most active columns` : ''})`, '');
      if (!ok.length) {
        md.push(skipped ? `Skipped: ${skipped.result['skipped'] as string}.` : 'No results.', '');
        data[d.name] = { skipped: skipped?.result['skipped'] ?? 'no results' };
        continue;
      }
      const rows = p.hidden.map((h, k) => ({
        hidden: h,
        acc_obs: meanSe(ok.map((r) => accAt(r, 'acc_obs', k))),
        acc_aug: meanSe(ok.map((r) => accAt(r, 'acc_aug', k))),
        diff: meanSe(ok.map((r) => accAt(r, 'acc_aug', k) - accAt(r, 'acc_obs', k))),
      }));
      data[d.name] = { rows, ensembles: ok.length };
      md.push(mdTable(['hidden', 'accuracy obs', 'accuracy aug', 'aug − obs'], rows.map((r) => [String(r.hidden), fmtMeanSe(r.acc_obs), fmtMeanSe(r.acc_aug), fmtMeanSe(r.diff)])), '');
      const better = rows.filter((r) => r.diff.mean > 0).length;
      claims.push(`- ${d.name}: augmentation raises the accuracy at ${better} of ${rows.length} hidden counts (mean change ${fmt(meanSe(rows.map((r) => r.diff.mean)).mean, 3)}).`);
      charts.push({
        title: `${d.name}: reconstruction accuracy`, xLabel: 'hidden spins', yLabel: 'accuracy',
        series: [
          { label: 'obs', x: p.hidden, y: rows.map((r) => r.acc_obs.mean), yErr: rows.map((r) => r.acc_obs.se), dashed: true, color: '#000' },
          { label: 'aug', x: p.hidden, y: rows.map((r) => r.acc_aug.mean), yErr: rows.map((r) => r.acc_aug.se), color: '#d62728' },
        ],
      });
    }
    md.push('## Claims', ...claims, '');
    const svgs: Record<string, string> = {};
    if (charts.length) {
      svgs['fig6_accuracy.svg'] = charts.length === 1 ? chart(at(charts, 0, 'charts')) : grid(charts, 2);
      md.push('![accuracy vs hidden](fig6_accuracy.svg)', '');
    }
    return { data, markdown: md.join('\n'), svgs };
  },
};

/** A job's reconstruction accuracy at the k-th hidden count. */
function accAt(r: JobRecord, key: 'acc_obs' | 'acc_aug', k: number): number {
  return at(r.result[key] as number[], k, key);
}

/** Keep the k columns with the highest mean (all when k = 0 or k ≥ n), in their original order. */
export function selectColumns(d: SpinData, k: number): { data: SpinData; n: number; m: number; columns: number[] } {
  const { n, m } = d;
  if (!k || k >= n) return { data: d, n, m, columns: Array.from({ length: n }, (_, i) => i) };
  const mean = new Float64Array(n);
  for (let r = 0; r < m; r++) for (let i = 0; i < n; i++) mean[i]! += d.s[r * n + i]!;
  const cols = Array.from({ length: n }, (_, i) => i).sort((a, b) => mean[b]! - mean[a]! || a - b).slice(0, k).sort((a, b) => a - b);
  const s = new Int8Array(m * k);
  for (let r = 0; r < m; r++) for (const [j, c] of cols.entries()) s[r * k + j] = d.s[r * n + c]!;
  return { data: { n: k, m, s }, n: k, m, columns: cols };
}

/** k distinct elements of `from`, uniformly (partial Fisher–Yates). */
function chooseK(from: number[], k: number, rng: Rng): number[] {
  const a = from.slice();
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    const t = at(a, i, 'chooseK');
    a[i] = at(a, j, 'chooseK');
    a[j] = t;
  }
  return a.slice(0, k).sort((x, y) => x - y);
}
