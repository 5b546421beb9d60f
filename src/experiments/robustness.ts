/**
 * The proposal's robustness study (issue 12): does diffusion augmentation make inverse Ising
 * inference more or less fragile under data poisoning?
 *
 * Threat model: the attacker changes the observed data D (M×n, ±1) before inference, within a
 * budget — (a) ≤ k flips per sample, (b) a fraction ρ of samples replaced — knowing the estimator
 * (white box on it) but not the truth; the attack is computed against the observed-only
 * estimator and its loss ‖θ̂(D′) − θ̂(D)‖² (needs no truth). Random flips at the same budget are
 * the non-adversarial reference. Every estimate is refitted in full on the attacked data.
 * Two settings, reported separately:
 *  (ii) frozen generator: the diffusion model was trained on clean D; only the observed part of
 *       the augmented data set is poisoned, θ̂_aug = A(D′ ∪ G_D);
 *  (i)  whole pipeline: the diffusion model is trained on D′ and θ̂_aug = A(D′ ∪ G_{D′}) — a transfer
 *       attack (black box for the diffusion model); fewer seeds and attacks (training dominates).
 * Decoding task: for models fitted with and without augmentation, flips of ≤ k visible spins of a
 * test sample (exhaustive search) that change the reconstruction of its hidden spins.
 */
import { chart } from '../plot/index.js';
import { Rng } from '../random/index.js';
import { throwIfAborted } from '../util/abort.js';
import { sampleExact } from '../ising/enumerate.js';
import { skParams } from '../ising/model.js';
import { mse } from '../ising/metrics.js';
import { completeExact } from '../ising/reconstruct.js';
import { concatData } from '../io/data.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import { trainDiffusion, generateSpins, NoiseMLP, presetConfig, DEFAULT_TRAIN, type SamplerOptions } from '../diffusion/index.js';
import { attack, budgetLabel, estimatorFor, paramDistance2, type AttackMethod, type Budget, type EstimatorName } from '../attack/index.js';
import { fmt, fmtMeanSe, mdTable, meanSe, reportHeader, type Experiment, type Job, type JobContext, type JobRecord } from './harness.js';
import { seedOf } from './pipeline.js';
import { at } from '../util/checked.js';

export interface RobustnessPreset {
  n: number;
  g: number;
  M: number;
  estimator: EstimatorName;
  /** Generated samples added to the observed ones (M⁺). */
  generated: number;
  diffusion: { net: 'tiny' | 'small' | 'paper'; iterations: number; batchSize: number; sampler: SamplerOptions };
  attacks: AttackMethod[];
  budgets: Budget[];
  pgd: { steps: number; restarts: number; draws: number };
  /** Setting (i): seeds 1..pipelineSeeds, and which (attack, budget) pairs get a generator trained on D′. */
  pipelineSeeds: number;
  pipelineAttacks: { method: AttackMethod; budget: Budget }[];
  /** Decoding task: test samples, hidden spins, largest number of visible flips searched. */
  decode: { samples: number; hidden: number; maxFlips: number };
}

export const robustness: Experiment<RobustnessPreset> = {
  name: 'robustness',
  title: 'Robustness of inverse Ising inference to data poisoning, with and without diffusion augmentation',
  presets: {
    quick: {
      n: 20, g: 1, M: 2000, estimator: 'ple', generated: 2000,
      diffusion: { net: 'tiny', iterations: 600, batchSize: 64, sampler: { sampler: 'ddim', steps: 10, eta: 1, batch: 1000 } },
      attacks: ['random', 'fgsm', 'pgd'],
      budgets: [{ kind: 'perRow', k: 1 }, { kind: 'perRow', k: 2 }, { kind: 'fraction', rho: 0.05 }],
      pgd: { steps: 15, restarts: 2, draws: 2 },
      pipelineSeeds: 5,
      pipelineAttacks: [{ method: 'random', budget: { kind: 'perRow', k: 1 } }, { method: 'pgd', budget: { kind: 'perRow', k: 1 } }],
      decode: { samples: 100, hidden: 4, maxFlips: 2 },
    },
    paper: {
      n: 20, g: 1, M: 2000, estimator: 'em', generated: 20000,
      diffusion: { net: 'small', iterations: 4000, batchSize: 128, sampler: { sampler: 'ddim', steps: 50, eta: 1, batch: 1000 } },
      attacks: ['random', 'fgsm', 'pgd'],
      budgets: [{ kind: 'perRow', k: 1 }, { kind: 'perRow', k: 2 }, { kind: 'perRow', k: 3 }, { kind: 'fraction', rho: 0.01 }, { kind: 'fraction', rho: 0.05 }, { kind: 'fraction', rho: 0.1 }],
      pgd: { steps: 100, restarts: 3, draws: 8 },
      pipelineSeeds: 20,
      pipelineAttacks: [{ method: 'random', budget: { kind: 'perRow', k: 1 } }, { method: 'pgd', budget: { kind: 'perRow', k: 1 } }, { method: 'pgd', budget: { kind: 'fraction', rho: 0.05 } }],
      decode: { samples: 500, hidden: 4, maxFlips: 3 },
    },
  },
  estimate: {
    quick: '≈24 s of CPU per seed (seeds 1–5 more: setting (i)); 20 seeds took 480 s of CPU in all, ≈4–5 min on a quiet 2-core machine with two shards',
    paper: 'hours per seed on one core (EM, small network, 100 PGD steps)',
  },
  jobs(_p, seeds): Job[] {
    return seeds.map((seed) => ({ key: `seed=${seed}`, setting: {}, seed }));
  },
  async runJob(job, p, ctx) {
    return runSeed(p, job.seed, ctx);
  },
  summarize(p, records, meta) {
    return summarizeRobustness(p, records, meta);
  },
};

interface PipelineScore {
  mse: number;
  dmse: number;
  rel: number;
  dtheta: number;
  f1: number;
  success: boolean;
}

interface AttackRecord {
  method: AttackMethod | 'fgsm-target';
  budget: string;
  loss: number;
  seconds: number;
  refits: number;
  gradients: number;
  obs: PipelineScore;
  frozen: PipelineScore;
  /** Setting (i), where run. */
  pipeline?: PipelineScore;
  /** Target attacks: whether the target coupling changed sign (obs, frozen). */
  flipped?: { obs: boolean; frozen: boolean };
}

interface SeedResult {
  mse_obs: number;
  mse_aug: number;
  f1_obs: number;
  f1_aug: number;
  attacks: AttackRecord[];
  decode: { k: number; obs: number; aug: number }[];
  seconds: { generator: number; attacks: number; pipeline: number; decode: number };
}

/** F1 of the supports of the K strongest couplings (K = n) of the truth and the estimate. */
export function topCouplingF1(truth: IsingParams, est: IsingParams, K = truth.n): number {
  const n = truth.n;
  const top = (p: IsingParams): Set<number> => {
    const pairs: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push(i * n + j);
    pairs.sort((a, b) => Math.abs(p.w[b]!) - Math.abs(p.w[a]!) || a - b);
    return new Set(pairs.slice(0, K));
  };
  const a = top(truth), b = top(est);
  let hit = 0;
  for (const q of a) if (b.has(q)) hit++;
  return hit / K; // both sets have K elements: precision = recall = F1
}

const now = (): number => performance.now() / 1000;

async function trainGenerator(d: SpinData, p: RobustnessPreset, rng: Rng, seed: number, ctx: JobContext): Promise<SpinData> {
  const net = presetConfig(p.diffusion.net, d.n, DEFAULT_TRAIN.T);
  const run = await trainDiffusion(d, { network: net, train: { ...DEFAULT_TRAIN, iterations: p.diffusion.iterations, batchSize: p.diffusion.batchSize, seed }, stop: 'none', signal: ctx.signal });
  const gnet = NoiseMLP.fromStateDict(net, run.chosen.stateDict);
  return await generateSpins(gnet, p.generated, rng, p.diffusion.sampler, { signal: ctx.signal, sampling: ctx.sampling });
}

function scoreOf(truth: IsingParams, est: IsingParams, clean: IsingParams): PipelineScore {
  const m = mse(truth, est).mse, m0 = mse(truth, clean).mse;
  return { mse: m, dmse: m - m0, rel: m / m0 - 1, dtheta: Math.sqrt(paramDistance2(est, clean)), f1: topCouplingF1(truth, est), success: m >= 1.5 * m0 };
}

/** Smallest number (≤ maxFlips) of visible flips that changes the MAP completion of the hidden spins, or Infinity. */
export function minDecodingFlips(p: IsingParams, s: Int8Array, hidden: number[], maxFlips: number): number {
  const n = p.n;
  const visible = Array.from({ length: n }, (_, i) => i).filter((i) => !hidden.includes(i));
  const base = new Int8Array(n), out = new Int8Array(n), x = Int8Array.from(s);
  completeExact(p, x, hidden, base);
  const changed = (): boolean => {
    completeExact(p, x, hidden, out);
    return hidden.some((i) => out[i] !== base[i]);
  };
  // exhaustive over subsets of the visible spins, by size
  const rec = (start: number, left: number): boolean => {
    if (left === 0) return changed();
    for (let q = start; q < visible.length; q++) {
      const i = at(visible, q, 'visible spins');
      x[i] = -x[i]!;
      const hit = rec(q + 1, left - 1);
      x[i] = -x[i]!;
      if (hit) return true;
    }
    return false;
  };
  for (let k = 1; k <= maxFlips; k++) if (rec(0, k)) return k;
  return Infinity;
}

async function runSeed(p: RobustnessPreset, seed: number, ctx: JobContext): Promise<Record<string, unknown>> {
  const { signal, onProgress } = ctx;
  const root = new Rng(seedOf('robustness', p.n, p.g, p.M, seed));
  const truth = skParams(p.n, p.g, root.fold('truth'));
  const D = sampleExact(truth, p.M, root.fold('data'));
  const est = estimatorFor(p.estimator);
  const secs = { generator: 0, attacks: 0, pipeline: 0, decode: 0 };
  let t = now();
  const thObs = est(D);
  const G = await trainGenerator(D, p, root.fold('generate'), seedOf('gen', seed), ctx);
  const thAug = est(concatData([D, G]));
  secs.generator = now() - t;
  const attacks: AttackRecord[] = [];
  const total = p.attacks.length * p.budgets.length + 1;
  let done = 0;
  for (const budget of p.budgets) {
    for (const method of p.attacks) {
      throwIfAborted(signal, 'robustness');
      t = now();
      const r = attack(D, {
        method, budget, estimator: est, clean: thObs, loss: { kind: 'change' }, surrogate: 'ple',
        rng: root.fold('attack', method, budgetLabel(budget)), pgd: p.pgd, signal,
      });
      const thFrozen = est(concatData([r.data, G]));
      const rec: AttackRecord = {
        method, budget: budgetLabel(budget), loss: r.loss, seconds: r.seconds, refits: r.evaluations, gradients: r.gradients,
        obs: scoreOf(truth, r.params, thObs), frozen: scoreOf(truth, thFrozen, thAug),
      };
      secs.attacks += now() - t;
      if (seed <= p.pipelineSeeds && p.pipelineAttacks.some((a) => a.method === method && budgetLabel(a.budget) === budgetLabel(budget))) {
        t = now();
        const G2 = await trainGenerator(r.data, p, root.fold('generate-poisoned', method, budgetLabel(budget)), seedOf('gen', seed, method, budgetLabel(budget)), ctx);
        rec.pipeline = scoreOf(truth, est(concatData([r.data, G2])), thAug);
        secs.pipeline += now() - t;
      }
      attacks.push(rec);
      onProgress?.(++done, total);
    }
  }
  // targeted: flip the sign of the coupling of median |ŵ| in θ̂(D) (FGSM, one flip per sample)
  {
    t = now();
    const n = p.n, pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
    pairs.sort((a, b) => Math.abs(thObs.w[a[0] * n + a[1]]!) - Math.abs(thObs.w[b[0] * n + b[1]]!));
    const [ti, tj] = at(pairs, Math.floor(pairs.length / 2), 'coupling pairs');
    const budget: Budget = { kind: 'perRow', k: 1 };
    const r = attack(D, { method: 'fgsm', budget, estimator: est, clean: thObs, loss: { kind: 'target', i: ti, j: tj }, surrogate: 'ple', rng: root.fold('target'), signal });
    const thFrozen = est(concatData([r.data, G]));
    const q = ti * n + tj;
    attacks.push({
      method: 'fgsm-target', budget: budgetLabel(budget), loss: r.loss, seconds: r.seconds, refits: r.evaluations, gradients: r.gradients,
      obs: scoreOf(truth, r.params, thObs), frozen: scoreOf(truth, thFrozen, thAug),
      flipped: { obs: Math.sign(r.params.w[q]!) !== Math.sign(thObs.w[q]!), frozen: Math.sign(thFrozen.w[q]!) !== Math.sign(thAug.w[q]!) },
    });
    secs.attacks += now() - t;
    onProgress?.(++done, total);
  }
  // decoding: flips of visible spins that change the reconstruction of the hidden ones
  t = now();
  const test = sampleExact(truth, p.decode.samples, root.fold('test'));
  const hidden = Array.from(root.fold('hidden').permutation(p.n).subarray(0, p.decode.hidden)).sort((a, b) => a - b);
  const need = (th: IsingParams) => Array.from({ length: test.m }, (_, r) => minDecodingFlips(th, test.s.subarray(r * p.n, (r + 1) * p.n), hidden, p.decode.maxFlips));
  const nObs = need(thObs), nAug = need(thAug);
  const decode = Array.from({ length: p.decode.maxFlips }, (_, q) => ({
    k: q + 1, obs: nObs.filter((v) => v <= q + 1).length / test.m, aug: nAug.filter((v) => v <= q + 1).length / test.m,
  }));
  secs.decode = now() - t;
  const res: SeedResult = {
    mse_obs: mse(truth, thObs).mse, mse_aug: mse(truth, thAug).mse, f1_obs: topCouplingF1(truth, thObs), f1_aug: topCouplingF1(truth, thAug),
    attacks, decode, seconds: secs,
  };
  return res as unknown as Record<string, unknown>;
}

/** How the augmented pipeline's damage compares with the observed-only one's. */
function verdict(aug: number, obs: number): string {
  if (!(obs > 0) && !(aug > 0)) return 'no damage either way';
  return aug > obs ? 'augmentation **amplifies** the damage' : 'augmentation **dilutes** the damage';
}

function summarizeRobustness(p: RobustnessPreset, records: JobRecord[], meta: Parameters<typeof reportHeader>[1]) {
  const rs = records.map((r) => r.result as unknown as SeedResult);
  const md = [reportHeader(robustness.title, meta, records, p)];
  md.push(
    '## Threat model',
    '',
    'The attacker changes the observed data D (M×n, ±1) **before inference**, within a budget: (a) at most k spin flips per sample; ' +
      '(b) a fraction ρ of samples replaced arbitrarily (contamination). (c) Independent random flips at rate p are the non-adversarial ' +
      'reference (every ⟨s_i s_j⟩ shrinks by (1−2p)²); "random" below flips k random spins per sample, or replaces ⌊ρM⌋ random samples by uniform spins. ' +
      `The attacker knows the data and the estimator (${p.estimator}), not the truth: the attacks maximise ‖θ̂(D′) − θ̂(D)‖² of the observed-only ` +
      'estimator (gradients from an unrolled pseudo-likelihood surrogate), and do not know about augmentation. Every estimate is refitted in full on the attacked data.',
      '',
    `SK n = ${p.n}, g = ${p.g} (β = 1), M = ${p.M} observed samples, M⁺ = ${p.generated} generated by a ${p.diffusion.net} network trained ` +
      `${p.diffusion.iterations} iterations (batch ${p.diffusion.batchSize}, no stopping rule; the quick preset's generator is far smaller than the paper's), ` +
      `${p.diffusion.sampler.sampler} ${p.diffusion.sampler.steps} steps. Estimator ${p.estimator} on observed (obs) or observed + generated (aug). ` +
      `PGD: ${p.pgd.steps} steps × ${p.pgd.restarts} restarts (the first from the FGSM mask), ${p.pgd.draws} randomised roundings per restart.`,
    '',
  );
  md.push(`Clean data: MSE obs ${fmtMeanSe(meanSe(rs.map((r) => r.mse_obs)))}, MSE aug ${fmtMeanSe(meanSe(rs.map((r) => r.mse_aug)))}; ` +
    `top-${p.n} coupling F1 obs ${fmtMeanSe(meanSe(rs.map((r) => r.f1_obs)))}, aug ${fmtMeanSe(meanSe(rs.map((r) => r.f1_aug)))}.`, '');
  const keys: { method: string; budget: string }[] = [];
  for (const r of rs) for (const a of r.attacks) if (!keys.some((k) => k.method === a.method && k.budget === a.budget)) keys.push({ method: a.method, budget: a.budget });
  const pick = (k: { method: string; budget: string }) => rs.map((r) => r.attacks.find((a) => a.method === k.method && a.budget === k.budget)).filter((a): a is AttackRecord => !!a);
  const rate = (xs: boolean[]) => (xs.length ? `${Math.round((100 * xs.filter(Boolean).length) / xs.length)}%` : '—');
  const rows = keys.map((k) => {
    const as = pick(k);
    return {
      ...k, seeds: as.length,
      loss: meanSe(as.map((a) => a.loss)),
      obs: { mse: meanSe(as.map((a) => a.obs.mse)), dmse: meanSe(as.map((a) => a.obs.dmse)), dtheta: meanSe(as.map((a) => a.obs.dtheta)), f1: meanSe(as.map((a) => a.obs.f1)), success: as.map((a) => a.obs.success) },
      frozen: { mse: meanSe(as.map((a) => a.frozen.mse)), dmse: meanSe(as.map((a) => a.frozen.dmse)), dtheta: meanSe(as.map((a) => a.frozen.dtheta)), f1: meanSe(as.map((a) => a.frozen.f1)), success: as.map((a) => a.frozen.success) },
      pipe: as.filter((a) => a.pipeline).map((a) => ({ obs: a.obs, pipe: a.pipeline! })),
      flipped: as.filter((a) => a.flipped).map((a) => a.flipped!),
      seconds: meanSe(as.map((a) => a.seconds)), refits: meanSe(as.map((a) => a.refits)), gradients: meanSe(as.map((a) => a.gradients)),
    };
  });
  md.push('## Setting (ii): generator trained on clean data, observed part poisoned', '');
  md.push('ΔMSE = MSE(θ̂(D′)) − MSE(θ̂(D)) for the same pipeline; ‖Δθ‖ = ‖θ̂(D′) − θ̂(D)‖ (b and upper-triangle w); success: MSE rises by ≥ 50% ' +
    '(fgsm-target: the target coupling changes sign); cost: estimator refits and surrogate gradients the attack spent (seconds below the table).', '');
  md.push(mdTable(
    ['attack', 'budget', 'seeds', 'MSE obs', 'ΔMSE obs', 'ΔMSE aug', '‖Δθ‖ obs', '‖Δθ‖ aug', 'F1 obs', 'F1 aug', 'success obs', 'success aug', 'refits / gradients'],
    rows.map((r) => [r.method, r.budget, String(r.seeds), fmtMeanSe(r.obs.mse), fmtMeanSe(r.obs.dmse), fmtMeanSe(r.frozen.dmse), fmtMeanSe(r.obs.dtheta), fmtMeanSe(r.frozen.dtheta),
      fmtMeanSe(r.obs.f1), fmtMeanSe(r.frozen.f1),
      r.flipped.length ? rate(r.flipped.map((f) => f.obs)) : rate(r.obs.success), r.flipped.length ? rate(r.flipped.map((f) => f.frozen)) : rate(r.frozen.success),
      `${fmt(r.refits.mean, 3)} / ${fmt(r.gradients.mean, 3)}`]),
  ));
  md.push('', `Attack wall time per seed (s, shared machine): ${rows.map((r) => `${r.method} ${r.budget} ${fmt(r.seconds.mean, 3)}`).join('; ')}.`);
  md.push('', '## Setting (i): whole pipeline on poisoned data (diffusion model trained on D′)', '');
  const pipeRows = rows.filter((r) => r.pipe.length > 0);
  if (pipeRows.length === 0) md.push('No seed of this run reached setting (i).');
  else {
    md.push(`Seeds 1..${p.pipelineSeeds} only (one diffusion training per attacked data set). ΔMSE relative to the same pipeline on clean data.`, '');
    md.push(mdTable(['attack', 'budget', 'seeds', 'ΔMSE obs', 'ΔMSE aug (pipeline)', '‖Δθ‖ obs', '‖Δθ‖ aug', 'success obs', 'success aug'],
      pipeRows.map((r) => [r.method, r.budget, String(r.pipe.length), fmtMeanSe(meanSe(r.pipe.map((x) => x.obs.dmse))), fmtMeanSe(meanSe(r.pipe.map((x) => x.pipe.dmse))),
        fmtMeanSe(meanSe(r.pipe.map((x) => x.obs.dtheta))), fmtMeanSe(meanSe(r.pipe.map((x) => x.pipe.dtheta))), rate(r.pipe.map((x) => x.obs.success)), rate(r.pipe.map((x) => x.pipe.success))])));
  }
  md.push('', '## Decoding task', '');
  const dec = Array.from({ length: p.decode.maxFlips }, (_, q) => ({ k: q + 1, obs: meanSe(rs.map((r) => at(r.decode, q, 'decode').obs)), aug: meanSe(rs.map((r) => at(r.decode, q, 'decode').aug)) }));
  md.push(`${p.decode.samples} test samples per seed, ${p.decode.hidden} hidden spins (fixed per seed), completed by maximum conditional probability under the clean-data model; ` +
    'success: some set of ≤ k visible flips (exhaustive search) changes the completion.', '');
  md.push(mdTable(['k', 'success obs', 'success aug'], dec.map((d) => [String(d.k), fmtMeanSe(d.obs), fmtMeanSe(d.aug)])));
  // the answer
  md.push('', '## Answer', '');
  for (const r of rows.filter((x) => x.method !== 'fgsm-target')) {
    md.push(`- ${r.method} ${r.budget}: ΔMSE aug ${fmt(r.frozen.dmse.mean, 3)} vs obs ${fmt(r.obs.dmse.mean, 3)} — ${verdict(r.frozen.dmse.mean, r.obs.dmse.mean)} in setting (ii) (success aug ${rate(r.frozen.success)} vs obs ${rate(r.obs.success)}).`);
  }
  for (const r of pipeRows) {
    const a = meanSe(r.pipe.map((x) => x.pipe.dmse)).mean, o = meanSe(r.pipe.map((x) => x.obs.dmse)).mean;
    md.push(`- setting (i), ${r.method} ${r.budget}: ΔMSE aug ${fmt(a, 3)} vs obs ${fmt(o, 3)} — ${verdict(a, o)}.`);
  }
  const byMethod = (m: string) => rows.filter((r) => r.method === m).map((r) => r.loss.mean);
  const avg = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
  md.push(`- Attack strength (mean attack loss over budgets): random ${fmt(avg(byMethod('random')), 3)}, FGSM ${fmt(avg(byMethod('fgsm')), 3)}, PGD ${fmt(avg(byMethod('pgd')), 3)}.`);
  for (const b of p.budgets) {
    const lab = budgetLabel(b);
    const per = rs.map((r) => ({ f: r.attacks.find((a) => a.method === 'fgsm' && a.budget === lab)?.loss, g: r.attacks.find((a) => a.method === 'pgd' && a.budget === lab)?.loss, x: r.attacks.find((a) => a.method === 'random' && a.budget === lab)?.loss }))
      .filter((v) => v.f !== undefined && v.g !== undefined && v.x !== undefined);
    if (per.length === 0) continue;
    md.push(`- ${lab}: FGSM > random in ${per.filter((v) => v.f! > v.x!).length} of ${per.length} seeds; PGD's own iterates beat its FGSM warm start in ${per.filter((v) => v.g! > v.f!).length} of ${per.length}.`);
  }
  // plot: MSE vs budget per attack, obs and aug (perRow budgets)
  const perRow = p.budgets.filter((b): b is { kind: 'perRow'; k: number } => b.kind === 'perRow');
  const series = p.attacks.flatMap((m, q) => {
    const colors = ['#777', '#1f77b4', '#d62728', '#2ca02c'];
    const pts = perRow.map((b) => rows.find((r) => r.method === m && r.budget === budgetLabel(b)));
    const clean = { obs: meanSe(rs.map((r) => r.mse_obs)).mean, aug: meanSe(rs.map((r) => r.mse_aug)).mean };
    const xs = [0, ...perRow.map((b) => b.k)];
    return [
      { label: `${m} obs`, x: xs, y: [clean.obs, ...pts.map((r) => r?.obs.mse.mean ?? NaN)], color: colors[q % 4], dashed: true },
      { label: `${m} aug`, x: xs, y: [clean.aug, ...pts.map((r) => r?.frozen.mse.mean ?? NaN)], color: colors[q % 4] },
    ];
  });
  const svg = chart({ title: `MSE vs flips per sample (n = ${p.n}, M = ${p.M}, ${p.estimator}; setting ii)`, xLabel: 'k (flips per sample)', yLabel: 'MSE', yLog: true, series });
  md.push('', '![MSE vs budget](robustness_mse_vs_budget.svg)', '');
  return { data: { rows: rows.map((r) => ({ ...r, obs: { ...r.obs, success: rate(r.obs.success) }, frozen: { ...r.frozen, success: rate(r.frozen.success) } })), decode: dec }, markdown: md.join('\n'), svgs: { 'robustness_mse_vs_budget.svg': svg } };
}
