/**
 * Experiment `tails` (issue 11; proposal topic 1): can a trained DDPM be steered into the
 * low-probability tail of an Ising model, and does augmenting inference with tail samples help?
 *
 * Per seed: SK truth θ* (n ≤ 20, everything exact by enumeration), M observed exact samples split
 * into a training half and a held-out half. θ̂ = PLE on the training half; the diffusion model is
 * trained on the training half only. Targets defined by θ̂ steer the samplers: tempered
 * p_θ̂^{1−λ} and the tail E_θ̂ ≥ E_τ (top q under p_θ̂). The truth only scores: measures against
 * the true tempered law p*^{1−λ} / the true tail p*·1[E* ≥ E*_90], inference MSE, held-out
 * log-likelihood, reconstruction of hidden spins on held-out true-tail configurations.
 * The oracle rows replace the samplers by exact draws from the true tempered / tail laws, with
 * defensive-mixture weights from the true p and q (the issue's reference calculation).
 */
import { throwIfAborted } from '../util/abort.js';
import { Rng } from '../random/index.js';
import type { IsingParams, SpinData } from '../ising/index.js';
import {
  concatData, energies, energyBins, energyHistogramOfSamples, energyHistogramOfTable, energyQuantiles, energyTable, enumerate, erasureMachine,
  inferExactMLE, inferPLE, mixtureWeights, mse, reconstruct, sampleExact, sampleTable, selectRows, skParams, systematicResample,
  tailMeasures, tailTable, temperForMeanEnergy, temperedTable, truthTables, weightedMoments,
} from '../ising/index.js';
import type { TailMeasures, TruthTables } from '../ising/index.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../diffusion/train.js';
import { NoiseMLP, presetConfig } from '../diffusion/network.js';
import type { PresetName as NetPreset } from '../diffusion/network.js';
import { makeSchedule } from '../diffusion/schedule.js';
import { trainTailClassifier } from '../diffusion/guidance.js';
import { sampleTails } from '../diffusion/guidance-sampling.js';
import type { TailSampleOptions } from '../diffusion/guidance-sampling.js';
import { chart } from '../plot/index.js';
import { fmt, fmtMeanSe, gridJobs, mdTable, meanSe, reportHeader, type Experiment } from './harness.js';
import { seedOf } from './pipeline.js';
import { at, entry } from '../util/checked.js';
import type { LoopHooks } from '../util/abort.js';

export interface TailsPreset {
  n: number;
  g: number;
  /** Observed samples; half train (θ̂, diffusion, inference), half held out. */
  M: number;
  /** Extra rows per sampler (M⁺). */
  extra: number;
  /** Tempering λ: target p^{1−λ}. */
  lambda: number;
  /** Tail fraction q: E_τ = the (1−q) quantile of E_θ̂ under p_θ̂. */
  q: number;
  net: NetPreset;
  iterations: number;
  /** DDIM steps of the baseline (η = 1). */
  steps: number;
  /** Forward-equivalent network evaluations per output row given to every sampler (a VJP row counts 3). */
  budget: number;
  /** Corrector steps per reverse step and its signal-to-noise ratio. */
  corrector: number;
  snr: number;
  /** Reverse-score Langevin: γ in (0, 1) and the literal γ < 0 (bounded). */
  reverseGamma: number;
  negativeGamma: number;
  bound: number;
  tweedieScale: number;
  /** Tweedie guidance only at t ≤ tweedieTMax: above it the 1/√ᾱ_t factor of ∇x̂₀ swamps the step. */
  tweedieTMax: number;
  classifierScale: number;
  classifierIterations: number;
  /** Reconstruction: held-out true-tail configurations and hidden spins per configuration. */
  reconConfigs: number;
  hidden: number;
  /** Skip the diffusion model: only observed, +true and oracle rows (the issue's reference). */
  oracleOnly: boolean;
  estimators: ('em' | 'ple' | 'mle')[];
}

type Target = 'p' | 'tempered' | 'tail';

interface SamplerRow {
  name: string;
  target: Target;
  rows: number;
  /** Network evaluations per output row: forward, VJP, classifier VJP. */
  forwardPerRow: number;
  gradPerRow: number;
  classifierPerRow: number;
  seconds: number;
  acceptance?: number;
  ess?: number;
  clipped?: number;
  /** Fitted tilt γ of the approximate q (guided samplers). */
  tilt?: number;
  measures: TailMeasures;
  /** Energy histogram of the samples (seed-level, for the figure). */
  hist: number[];
}

interface InferRow {
  data: string;
  weighted: boolean;
  estimator: string;
  mse: number;
  /** Mean true... log-likelihood of held-out data under the inferred model (nats per sample). */
  heldoutLogLik: number;
  reconTail: number;
}

export interface TailsJobResult {
  e90: number;
  eTauHat: number;
  tailMassHat: number;
  classifierAccuracy?: { t0: number; tHalf: number };
  samplers: SamplerRow[];
  inference: InferRow[];
  edges: number[];
  exact: { p: number[]; tempered: number[]; tail: number[] };
  trainSeconds: number;
}

const BINS = 40;

const QUICK: TailsPreset = {
  n: 20, g: 1, M: 2000, extra: 2000, lambda: 0.5, q: 0.1, net: 'tiny', iterations: 3000, steps: 20, budget: 200,
  corrector: 9, snr: 0.16, reverseGamma: 0.5, negativeGamma: -0.5, bound: 3, tweedieScale: 0.5, tweedieTMax: 500, classifierScale: 2,
  classifierIterations: 1500, reconConfigs: 200, hidden: 5, oracleOnly: false, estimators: ['em', 'ple', 'mle'],
};

export const tails: Experiment<TailsPreset> = {
  name: 'tails',
  title: 'Tail sampling with a trained diffusion model, and augmentation with tail samples (issue 11)',
  presets: {
    quick: QUICK,
    // the same problem and samplers with more generated rows, a larger network and budget
    paper: { ...QUICK, extra: 5000, net: 'small', iterations: 20000, steps: 50, budget: 500, classifierIterations: 4000, reconConfigs: 500 },
  },
  estimate: {
    quick: '≈2.5 min of CPU per seed (measured 149–159 s: 3000 iterations of the tiny net, 9 samplers at ≈200 evaluations per row, 75 inferences of n = 20 incl. exact MLE); 25 min wall per seed on the shared machine',
    paper: '≈30 min of CPU per seed (not run)',
  },
  jobs: (p, seeds) => gridJobs([{ n: p.n, g: p.g, M: p.M }], seeds),
  async runJob(job, p, ctx) {
    return (await tailsJob(p, job.seed, ctx)) as unknown as Record<string, unknown>;
  },
  summarize(p, records, meta) {
    return summarizeTails(p, records.map((r) => ({ seed: r.seed, r: r.result as unknown as TailsJobResult, seconds: r.seconds })), meta, records);
  },
};

/** log p_θ(x) per row, normalised by exact log Z. */
function logProb(theta: IsingParams, logZ: number, d: SpinData): Float64Array {
  const e = energies(theta, d);
  return e.map((v) => -v - logZ);
}

async function tailsJob(p: TailsPreset, seed: number, ctx: LoopHooks): Promise<TailsJobResult> {
  const rng = new Rng(seedOf('tails', p.n, p.g, p.M, seed));
  const truth = skParams(p.n, p.g, rng.fold('truth', 0));
  const all = sampleExact(truth, p.M, rng.fold('observed', 0));
  const half = Math.floor(p.M / 2);
  const idx = Int32Array.from({ length: p.M }, (_, i) => i);
  const train = selectRows(all, idx.subarray(0, half));
  const heldout = selectRows(all, idx.subarray(half));
  const truthT: TruthTables = truthTables(truth);
  const edges = energyBins(truthT.E, BINS);
  const trueTempered = temperedTable(truthT.E, 1 - p.lambda);
  const trueTail = tailTable(truthT.E, truthT.e90).q;

  // θ̂ from the training half only; its own tables define the samplers' targets.
  const thetaHat = inferPLE(train).params;
  const Ehat = energyTable(thetaHat);
  const pHat = temperedTable(Ehat, 1);
  const [eTauHat] = energyQuantiles(Ehat, pHat, [1 - p.q]);
  const tailHat = tailTable(Ehat, eTauHat!);
  const logZhat = enumerate(thetaHat).logZ;
  const logZtempered = (g: number): number => enumerate({ n: p.n, b: thetaHat.b.map((v) => v * g), w: thetaHat.w.map((v) => v * g) }).logZ;

  const samplers: SamplerRow[] = [];
  const extraSets: { name: string; data: SpinData; logP: (d: SpinData) => Float64Array; logQ: ((d: SpinData) => Float64Array) | null }[] = [];
  const targetTable = (t: Target): Float64Array => (t === 'p' ? truthT.p : t === 'tempered' ? trueTempered : trueTail);
  const record = (name: string, target: Target, d: SpinData, cost: { forwardRows: number; gradRows: number; classifierRows: number }, seconds: number, extra: Partial<SamplerRow> = {}): void => {
    const rows = Math.max(1, d.m);
    samplers.push({
      name, target, rows: d.m, forwardPerRow: cost.forwardRows / rows, gradPerRow: cost.gradRows / rows, classifierPerRow: cost.classifierRows / rows, seconds,
      measures: tailMeasures(truthT, d, targetTable(target), edges), hist: Array.from(energyHistogramOfSamples(truthT, d, edges)), ...extra,
    });
  };
  const logPtrue = (d: SpinData): Float64Array => logProb(truth, truthT.logZ, d);
  const logPhat = (d: SpinData): Float64Array => logProb(thetaHat, logZhat, d);

  // Oracle and reference rows: exact draws (no network).
  const oRng = rng.fold('oracle', 0);
  const plusTrue = sampleExact(truth, p.extra, oRng.fold('true', 0));
  extraSets.push({ name: '+true samples', data: plusTrue, logP: logPtrue, logQ: null });
  const oTemp = sampleTable(trueTempered, p.n, p.extra, oRng.fold('tempered', 0));
  record('oracle tempered (exact p*^{1−λ})', 'tempered', oTemp, { forwardRows: 0, gradRows: 0, classifierRows: 0 }, 0);
  const logZtrueTemp = enumerate({ n: p.n, b: truth.b.map((v) => v * (1 - p.lambda)), w: truth.w.map((v) => v * (1 - p.lambda)) }).logZ;
  extraSets.push({ name: 'oracle tempered', data: oTemp, logP: logPtrue, logQ: (d) => energies(truth, d).map((e) => -(1 - p.lambda) * e - logZtrueTemp) });
  const trueTailMass = tailTable(truthT.E, truthT.e90).mass;
  const oTail = sampleTable(trueTail, p.n, p.extra, oRng.fold('tail', 0));
  record('oracle tail (exact p*·1[E* ≥ E*₉₀])', 'tail', oTail, { forwardRows: 0, gradRows: 0, classifierRows: 0 }, 0);
  extraSets.push({ name: 'oracle tail', data: oTail, logP: logPtrue, logQ: (d) => energies(truth, d).map((e) => (e >= truthT.e90 ? -e - truthT.logZ - Math.log(trueTailMass) : -Infinity)) });

  let trainSeconds = 0;
  let classifierAccuracy: { t0: number; tHalf: number } | undefined;
  if (!p.oracleOnly) {
    const t0 = performance.now();
    const cfg = presetConfig(p.net, p.n, 1000);
    const trainer = new DiffusionTrainer(train, cfg, { ...DEFAULT_TRAIN, iterations: p.iterations, seed: seedOf('tails-train', seed) });
    while (trainer.iteration < p.iterations) {
      throwIfAborted(ctx.signal, 'tails');
      trainer.step();
      if (trainer.iteration % 100 === 0) {
        ctx.onProgress?.(trainer.iteration, p.iterations * 2, { loss: at(trainer.losses, trainer.iteration - 1, 'training losses') });
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    const net = new NoiseMLP(cfg, new Rng(0));
    net.loadStateDict(trainer.samplingStateDict());
    trainer.dispose();
    const sched = makeSchedule({ T: cfg.T });
    const clf = trainTailClassifier(train, thetaHat, sched, { threshold: eTauHat!, iterations: p.classifierIterations, seed: seedOf('tails-clf', seed), signal: ctx.signal });
    classifierAccuracy = clf.accuracy;
    trainSeconds = (performance.now() - t0) / 1000;

    const S = p.steps;
    const perRowBase = S; // forward rows per baseline row
    const pool = Math.round((p.budget / perRowBase) * p.extra);
    const K = p.corrector;
    const sampler = { sampler: 'ddim' as const, steps: S, eta: 1, batch: 1000 };
    const corrector = { steps: K, snr: p.snr };
    // Tweedie: S_g steps of 1 forward + 1 VJP (≈ 3 forward-equivalents): S_g·4 ≈ budget.
    const Stw = Math.max(2, Math.round(p.budget / 4));
    // Classifier: its VJPs are through a net ~1/10 the size; S_c = budget/1.3.
    const Scl = Math.max(2, Math.min(1000, Math.round(p.budget / 1.3)));
    const runs: { name: string; target: Target; o: TailSampleOptions; approxQ: 'tempered' | 'tail' | 'tilt' | 'none' }[] = [
      { name: 'baseline DDIM (ordinary augmentation)', target: 'p', o: { kind: 'baseline', sampler }, approxQ: 'none' },
      { name: 'rejection E_θ̂ ≥ E_τ', target: 'tail', o: { kind: 'rejection', sampler, thetaHat, threshold: eTauHat!, pool }, approxQ: 'tail' },
      { name: `importance resampling p_θ̂^{−${p.lambda}}`, target: 'tempered', o: { kind: 'importance', sampler, thetaHat, scale: p.lambda, pool }, approxQ: 'tempered' },
      { name: `score ×${1 - p.lambda} (no corrector)`, target: 'tempered', o: { kind: 'score-scale', sampler, scale: 1 - p.lambda }, approxQ: 'tempered' },
      { name: `entropy-max: score ×${1 - p.lambda} + Langevin (K=${K})`, target: 'tempered', o: { kind: 'score-scale', sampler, scale: 1 - p.lambda, corrector }, approxQ: 'tempered' },
      { name: `reverse-score Langevin γ=${p.reverseGamma} (K=${K})`, target: 'tempered', o: { kind: 'reverse-score', sampler, scale: p.reverseGamma, corrector }, approxQ: 'tilt' },
      { name: `reverse-score Langevin γ=${p.negativeGamma}, clipped at ±${p.bound} (K=${K})`, target: 'tempered', o: { kind: 'reverse-score', sampler, scale: p.negativeGamma, corrector: { ...corrector, bound: p.bound } }, approxQ: 'tilt' },
      { name: `Tweedie-energy guidance w=${p.tweedieScale}, t ≤ ${p.tweedieTMax} (S=${Stw})`, target: 'tail', o: { kind: 'tweedie', sampler: { ...sampler, steps: Stw }, thetaHat, scale: p.tweedieScale, tMax: p.tweedieTMax }, approxQ: 'tilt' },
      { name: `classifier guidance w=${p.classifierScale} (S=${Scl})`, target: 'tail', o: { kind: 'classifier', sampler: { ...sampler, steps: Scl }, classifier: clf.classifier, scale: p.classifierScale, tMax: clf.tMax }, approxQ: 'tilt' },
    ];
    for (const [k, run] of runs.entries()) {
      throwIfAborted(ctx.signal, 'tails');
      const ts = performance.now();
      const r = await sampleTails(net, p.extra, rng.fold('sampler', k), { ...run.o, signal: ctx.signal });
      const secs = (performance.now() - ts) / 1000;
      let tilt: number | undefined;
      let logQ: ((d: SpinData) => Float64Array) | null = null;
      if (run.approxQ === 'tail') logQ = (d) => energies(thetaHat, d).map((e) => (e >= eTauHat! ? -e - logZhat - Math.log(tailHat.mass) : -Infinity));
      else if (run.approxQ === 'tempered' || run.approxQ === 'tilt') {
        // Score scaling and IR know their γ; for the others fit the tempered law with their mean E_θ̂.
        const g = run.approxQ === 'tempered' ? 1 - p.lambda : temperForMeanEnergy(Ehat, energies(thetaHat, r.data).reduce((a, v) => a + v, 0) / Math.max(1, r.data.m));
        if (run.approxQ === 'tilt') tilt = g;
        const lz = logZtempered(g);
        logQ = (d) => energies(thetaHat, d).map((e) => -g * e - lz);
      }
      record(run.name, run.target, r.data, r.cost, secs, { ...(r.acceptance !== undefined ? { acceptance: r.acceptance } : {}), ...(r.ess !== undefined ? { ess: r.ess } : {}), ...(r.clipped !== undefined ? { clipped: r.clipped } : {}), ...(tilt !== undefined ? { tilt } : {}) });
      if (r.data.m > 0) extraSets.push({ name: run.name, data: r.data, logP: logPhat, logQ });
      ctx.onProgress?.(p.iterations + ((k + 1) * p.iterations) / runs.length, p.iterations * 2);
    }
  }

  // Inference: observed only, then observed ∪ extra, unweighted and with mixture weights p/q_mix.
  const reconRng = rng.fold('recon', 0);
  const reconData = sampleTable(trueTail, p.n, p.reconConfigs, reconRng);
  const hidden = Array.from({ length: p.reconConfigs }, () => Array.from(reconRng.permutation(p.n).subarray(0, p.hidden)));
  const inference: InferRow[] = [];
  const fit = (name: string, d: SpinData, w: Float64Array | null): void => {
    let plFit: IsingParams | null = null;
    for (const est of p.estimators) {
      throwIfAborted(ctx.signal, 'tails');
      let theta: IsingParams;
      const pl = (): IsingParams => (plFit ??= inferPLE(d, w ? { weights: w } : {}).params);
      if (est === 'ple') theta = pl();
      else if (est === 'mle') {
        const tot = w ? w.reduce((a, v) => a + v, 0) : d.m;
        // Started from the PLE fit of the same rows: same optimum, a fraction of the 2^n sweeps.
        theta = inferExactMLE(null, { tol: 1e-4, init: pl(), moments: weightedMoments(d.s, d.n, w ? w.map((v) => v / tot) : new Float64Array(d.m).fill(1 / d.m)) }).params;
      } else {
        // The erasure machine takes counts, not weights: systematic resampling to the same size.
        theta = erasureMachine(w ? systematicResample(d, w, d.m, rng.fold('em-resample', inference.length)) : d).params;
      }
      const lz = enumerate(theta).logZ;
      const ll = logProb(theta, lz, heldout).reduce((a, v) => a + v, 0) / heldout.m;
      const rec = reconstruct(theta, reconData, hidden);
      inference.push({ data: name, weighted: w !== null, estimator: est, mse: mse(truth, theta).mse, heldoutLogLik: ll, reconTail: rec.accuracy });
    }
  };
  fit('observed only', train, null);
  for (const x of extraSets) {
    const union = concatData([train, x.data]);
    fit(x.name, union, null);
    if (x.logQ) fit(x.name, union, mixtureWeights(x.logP(union), x.logQ(union), train.m, x.data.m));
  }
  return {
    e90: truthT.e90, eTauHat: eTauHat!, tailMassHat: tailHat.mass, ...(classifierAccuracy ? { classifierAccuracy } : {}),
    samplers, inference, edges: Array.from(edges),
    exact: { p: Array.from(energyHistogramOfTable(truthT.E, truthT.p, edges)), tempered: Array.from(energyHistogramOfTable(truthT.E, trueTempered, edges)), tail: Array.from(energyHistogramOfTable(truthT.E, trueTail, edges)) },
    trainSeconds,
  };
}

/** A markdown table cell: '|' would end the cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

function summarizeTails(p: TailsPreset, rs: { seed: number; r: TailsJobResult; seconds: number }[], meta: Parameters<typeof reportHeader>[1], records: Parameters<typeof reportHeader>[2]) {
  const md = [reportHeader(tails.title, meta, records, p)];
  md.push(
    `SK n = ${p.n}, g = ${p.g}; M = ${p.M} exact observed samples, half for training (θ̂ = PLE, diffusion model, inference) and half held out. ` +
      `M⁺ = ${p.extra} extra rows per sampler. Targets steered by θ̂: tempered p_θ̂^{1−λ} (λ = ${p.lambda}) and tail E_θ̂ ≥ E_τ (top ${100 * p.q}% under p_θ̂). ` +
      `Measures are against the TRUE laws (tempered p*^{1−λ}; tail p*·1[E* ≥ E*₉₀]); θ* only scores.`,
    '',
  );
  if (!p.oracleOnly) {
    md.push(
      `Diffusion: ${p.net} net, ${p.iterations} iterations, DDIM S = ${p.steps}, η = 1. Matched cost: every sampler gets ≈ ${p.budget} forward-equivalent network evaluations per output row ` +
        `(rejection / importance resampling draw ${p.budget / p.steps}× M⁺ baseline rows; corrector samplers use K = ${p.corrector} Langevin steps after each of the ${p.steps} reverse steps; ` +
        `a VJP row is counted as 3 forward rows; the classifier's VJPs go through a network ≈ 1/10 the size).`,
      '',
    );
  }
  const names = [...new Set(rs.flatMap((x) => x.r.samplers.map((s) => s.name)))];
  const ms = (f: (s: SamplerRow) => number | undefined, name: string) => meanSe(rs.map((x) => x.r.samplers.find((s) => s.name === name)).filter((s): s is SamplerRow => !!s).map((s) => f(s) ?? NaN));
  const samplerRows = names.map((name) => {
    const target = rs.flatMap((x) => x.r.samplers).find((s) => s.name === name)!.target;
    return {
      name, target,
      rows: ms((s) => s.rows, name), cost: ms((s) => s.forwardPerRow + 3 * s.gradPerRow + 0.1 * s.classifierPerRow, name), seconds: ms((s) => s.seconds, name),
      tail90: ms((s) => s.measures.tail90, name), tail99: ms((s) => s.measures.tail99, name), beyond: ms((s) => s.measures.beyond999, name),
      tv: ms((s) => s.measures.tv, name), tvE: ms((s) => s.measures.tvEnergy, name), kl: ms((s) => s.measures.kl, name),
      unique: ms((s) => s.measures.unique, name), hamming: ms((s) => s.measures.hamming, name), coverage: ms((s) => s.measures.coverage, name),
      hit: ms((s) => s.measures.tailStatesHit, name), logp: ms((s) => s.measures.logp.mean, name),
      acc: ms((s) => s.acceptance ?? s.ess ?? s.clipped ?? s.tilt, name),
    };
  });
  md.push('## Samplers (mean ± s.e. over seeds)', '');
  md.push(mdTable(
    ['sampler', 'target', 'rows', 'cost/row', 's', 'tail>E*₉₀', 'tail>E*₉₉', '>E*₉₉.₉', 'TV states', 'TV energy', 'KL', 'unique', 'Hamming', 'coverage', 'top-1% hit', 'mean log p*', 'acc./ESS/clip/tilt'],
    samplerRows.map((r) => [cell(r.name), r.target, fmtMeanSe(r.rows), fmtMeanSe(r.cost), fmtMeanSe(r.seconds), fmtMeanSe(r.tail90), fmtMeanSe(r.tail99), fmtMeanSe(r.beyond), fmtMeanSe(r.tv), fmtMeanSe(r.tvE), fmtMeanSe(r.kl), fmtMeanSe(r.unique), fmtMeanSe(r.hamming), fmtMeanSe(r.coverage), fmtMeanSe(r.hit), fmtMeanSe(r.logp), fmtMeanSe(r.acc)]),
  ));
  md.push('', 'Targets: p = the true law; tempered = p*^{1−λ}; tail = p*·1[E* ≥ E*₉₀]. TV and KL are between the empirical law of the rows and the exact target over all 2^n states ' +
    '(the oracle rows give the floor for this number of rows). Coverage = target mass of the distinct states drawn; top-1% hit = fraction of the true states with E* > E*₉₉ drawn at least once. ' +
    'KL "—": infinite (rows outside the target\'s support, e.g. below E*₉₀ for the tail target). Last column: rejection acceptance rate, importance-resampling ESS, fraction of corrector coordinates clipped at the bound, or the fitted tilt γ (q ≈ p_θ̂^γ) used for the weights.', '');

  const keys = [...new Set(rs.flatMap((x) => x.r.inference.map((i) => `${i.data}\t${i.weighted ? 'w' : 'u'}`)))];
  const inferRows = keys.map((k) => {
    const [data, wu] = k.split('\t') as [string, string];
    const pick = (est: string, f: (i: InferRow) => number) => meanSe(rs.map((x) => x.r.inference.find((i) => i.data === data && (i.weighted ? 'w' : 'u') === wu && i.estimator === est)).filter((i): i is InferRow => !!i).map(f));
    return { data, weighted: wu === 'w', est: Object.fromEntries(p.estimators.map((e) => [e, { mse: pick(e, (i) => i.mse), ll: pick(e, (i) => i.heldoutLogLik), recon: pick(e, (i) => i.reconTail) }])) };
  });
  md.push('## Inference after augmentation (MSE to θ*, mean ± s.e. over seeds)', '');
  md.push(mdTable(
    ['data', 'weights', ...p.estimators.map((e) => `MSE ${e.toUpperCase()}`), ...p.estimators.map((e) => `held-out log-lik ${e.toUpperCase()}`), ...p.estimators.map((e) => `tail recon ${e.toUpperCase()}`)],
    inferRows.map((r) => [cell(r.data), r.weighted ? 'p/q_mix' : '—', ...p.estimators.map((e) => fmtMeanSe(entry(r.est, e, 'estimates').mse)), ...p.estimators.map((e) => fmtMeanSe(entry(r.est, e, 'estimates').ll, 5)), ...p.estimators.map((e) => fmtMeanSe(entry(r.est, e, 'estimates').recon))]),
  ));
  md.push('', `Weights: w = p/q_mix with q_mix = (M·p + M⁺·q)/(M + M⁺). Oracle rows use the true p and q; sampler rows use p_θ̂ and each sampler's own q (exact for rejection and importance resampling given that the baseline samples p_θ̂; ` +
    `p_θ̂^{1−λ} for score scaling; a tempered law fitted to the rows' mean E_θ̂ for the others). The erasure machine takes counts: weighted rows are resampled systematically. ` +
    `Held-out log-likelihood: mean log p_θ̂(x) (exact log Z) over the ${p.M - Math.floor(p.M / 2)} held-out observed rows. Tail recon: accuracy of the MAP completion of ${p.hidden} hidden spins on ${p.reconConfigs} held-out configurations drawn from the true tail.`, '');

  // Every seed (the PLE MSE, the cheapest complete column).
  const est0 = p.estimators.includes('ple') ? 'ple' : at(p.estimators, 0, 'estimators');
  md.push(`## Every seed (MSE, ${est0.toUpperCase()})`, '');
  md.push(mdTable(['data', 'weights', ...rs.map((x) => `seed ${x.seed}`)], keys.map((k) => {
    const [data, wu] = k.split('\t') as [string, string];
    return [cell(data), wu === 'w' ? 'p/q_mix' : '—', ...rs.map((x) => fmt(x.r.inference.find((i) => i.data === data && (i.weighted ? 'w' : 'u') === wu && i.estimator === est0)?.mse ?? NaN))];
  })));
  md.push('', ...rs.map((x) => `- seed ${x.seed}: ${x.seconds.toFixed(0)} s wall (training ${x.r.trainSeconds.toFixed(0)} s)${x.r.classifierAccuracy ? `; classifier accuracy ${fmt(x.r.classifierAccuracy.t0, 3)} at t = 0, ${fmt(x.r.classifierAccuracy.tHalf, 3)} at t = tMax/2` : ''}; θ̂ tail mass of E_τ ${fmt(x.r.tailMassHat, 3)}.`), '');

  // Claims, with numbers.
  const obs = inferRows.find((r) => r.data === 'observed only')!;
  const base = inferRows.find((r) => r.data.startsWith('baseline') && !r.weighted);
  md.push('## Findings', '');
  const mseOf = (r: (typeof inferRows)[number] | undefined, e: string): number => r?.est[e]?.mse.mean ?? NaN;
  for (const e of p.estimators) {
    const best = inferRows.filter((r) => !r.data.startsWith('oracle') && r.data !== '+true samples').reduce((a, b) => (mseOf(b, e) < mseOf(a, e) ? b : a));
    md.push(`- ${e.toUpperCase()}: observed only ${fmt(mseOf(obs, e))}; ordinary augmentation ${fmt(mseOf(base, e))}; best non-oracle row "${best.data}"${best.weighted ? ' (weighted)' : ''} ${fmt(mseOf(best, e))}; ` +
      `oracle tempered weighted ${fmt(mseOf(inferRows.find((r) => r.data === 'oracle tempered' && r.weighted), e))}, +true samples ${fmt(mseOf(inferRows.find((r) => r.data === '+true samples'), e))}.`);
  }
  const rej = samplerRows.find((r) => r.name.startsWith('rejection'));
  if (rej) {
    for (const r of samplerRows.filter((s) => s.target === 'tail' && !s.name.startsWith('oracle') && s !== rej)) {
      md.push(`- ${r.name}: tail mass above E*₉₀ ${fmt(r.tail90.mean, 3)} vs rejection ${fmt(rej.tail90.mean, 3)}; TV to the true tail ${fmt(r.tv.mean, 3)} vs ${fmt(rej.tv.mean, 3)} (energy-histogram TV ${fmt(r.tvE.mean, 3)} vs ${fmt(rej.tvE.mean, 3)}) at cost ${fmt(r.cost.mean, 3)} vs ${fmt(rej.cost.mean, 3)} per row.`);
    }
  }

  // Figures: energy histograms of every sampler over the exact curves (first seed).
  const svgs: Record<string, string> = {};
  const first = rs[0];
  if (first) {
    const centers = first.r.edges.slice(0, -1).map((e, k) => (e + at(first.r.edges, k + 1, 'histogram edges')) / 2);
    for (const target of ['tail', 'tempered'] as const) {
      const series = [
        { label: 'exact p*', x: centers, y: first.r.exact.p, dashed: true, color: '#000' },
        { label: `exact ${target}`, x: centers, y: first.r.exact[target], dashed: true, color: '#7f7f7f' },
        ...first.r.samplers.filter((s) => s.target === target || s.target === 'p').map((s) => ({ label: s.name, x: centers, y: s.hist })),
      ];
      svgs[`tails_energy_${target}.svg`] = chart({ title: `Energy E* histograms, samplers aiming at the ${target} (seed ${first.seed})`, xLabel: 'true energy E*', yLabel: 'fraction of rows', series, width: 900, height: 520 });
      md.push(`![${target}](tails_energy_${target}.svg)`, '');
    }
  }
  return { data: { samplers: samplerRows, inference: inferRows }, markdown: md.join('\n'), svgs };
}
