/**
 * Generators compared on exact distributions: analog-bits DDPM (sampled by DDPM-1000, DDIM-100
 * η=1, DDIM-50 η=0), masked (absorbing) diffusion, binary D3PM, and the RBM / VAE baselines, on
 * enumerable truths (SK n ≤ 20, a periodic Edwards–Anderson lattice) with M training samples.
 * Every diffusion model is trained for the same number of iterations with the same network
 * preset, batch and optimiser (equal training budget; the energy-variance stop is not used, so
 * that the comparison does not depend on it). Per sampler: TV = ½Σ_x|p(x) − p̂(x)| and
 * KL(p̂ ‖ p) between the exact distribution and the histogram of the generated samples, each
 * beside its finite-sample floor (the same statistic for as many exact samples), the fraction of
 * generated samples equal to a training configuration, distinct configurations, a likelihood
 * bound on held-out exact samples beside their exact −log p, sampling cost, and the MSE of EM and
 * PLE from observed + generated.
 *
 * One job = (truth, M, family, seed); the truth and the training data depend on (truth, M, seed)
 * only, so the families of a cell see the same data.
 */
import { Rng } from '../random/index.js';
import { skParams } from '../ising/model.js';
import { enumerate, probabilities, sampleExact } from '../ising/enumerate.js';
import { erasureMachine } from '../ising/infer/em.js';
import { inferPLE } from '../ising/infer/ple.js';
import { mse } from '../ising/metrics.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import { concatData } from '../io/data.js';
import { fitRBM, rbmExactProbs, type RBMOptions } from '../models/rbm.js';
import { fitVAE, vaeMeanLoss, type VAEOptions } from '../models/vae.js';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from '../diffusion/train.js';
import type { GeneratorKind } from '../diffusion/train.js';
import { NoiseMLP, presetConfig, type PresetName as NetPreset } from '../diffusion/network.js';
import { generateSpins } from '../diffusion/augment.js';
import { generatorConfig, d3pmSchedule } from '../diffusion/discrete/objective.js';
import { discreteSampleLoop, runStepLoopAsync } from '../diffusion/discrete/sample.js';
import { maskedNelboOrders } from '../diffusion/discrete/masked.js';
import { d3pmNelboMC } from '../diffusion/discrete/d3pm.js';
import { Yielder } from '../util/abort.js';
import { chart } from '../plot/index.js';
import { seedOf } from './pipeline.js';
import { fmt, fmtMeanSe, groupBy, gridJobs, mdTable, meanSe, reportHeader, type Experiment, type JobContext } from './harness.js';
import { at } from '../util/checked.js';

export type TruthSpec = { name: string; kind: 'sk'; n: number; g: number } | { name: string; kind: 'ea'; L: number; J: number; h: number };
export type Family = 'ddpm' | 'masked' | 'd3pm' | 'rbm' | 'vae';

export interface GeneratorsPreset {
  truths: TruthSpec[];
  Ms: number[];
  /** (truth, M) cells to run; empty = the full grid truths × Ms. */
  cells: { truth: string; M: number }[];
  families: Family[];
  net: NetPreset;
  iterations: number;
  batch: number;
  /** Samples generated per sampler for TV/KL (DDPM-1000 gets `ddpm1000Samples`, it is 10–20× slower). */
  samples: number;
  ddpm1000Samples: number;
  /** The analog-bits DDPM's samplers (sampler 'ddpm' = all T steps, drawing ddpm1000Samples). */
  ddpmSamplers: { label: string; sampler: 'ddpm' | 'ddim'; steps: number; eta: number }[];
  /** Masked sampler time steps (a row is evaluated only when it unmasks a site: ≤ n per sample). */
  maskedSteps: number;
  /** D3PM reverse steps (of T = 1000; strided via the closed-form q(x_s | x_t, x_0)). */
  d3pmSteps: number;
  /** Held-out exact samples for the likelihood bound; random orders (masked) / t draws (D3PM). */
  boundRows: number;
  maskedOrders: number;
  d3pmDraws: number;
  /** Generated samples added to the observed ones for EM / PLE. */
  augmentSamples: number;
  /** Inference methods scored after augmentation (each costs seconds per sampler). */
  infer: ('em' | 'ple')[];
  rbm: RBMOptions;
  vae: VAEOptions;
}

const SK = (n: number, g: number): TruthSpec => ({ name: `sk${n}-g${g}`, kind: 'sk', n, g });
const EA44: TruthSpec = { name: 'ea4x4', kind: 'ea', L: 4, J: 1, h: 0.1 };

/** A periodic L×L Edwards–Anderson model: w_ij = ±J on nearest-neighbour bonds, b_i = ±h (random signs). */
export function eaParams(L: number, J: number, h: number, rng: Rng): IsingParams {
  const n = L * L;
  const b = new Float64Array(n), w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) b[i] = rng.uniform() < 0.5 ? -h : h;
  for (let r = 0; r < L; r++) {
    for (let c = 0; c < L; c++) {
      const i = r * L + c;
      for (const j of [r * L + ((c + 1) % L), ((r + 1) % L) * L + c]) {
        const v = rng.uniform() < 0.5 ? -J : J;
        w[i * n + j] = v;
        w[j * n + i] = v;
      }
    }
  }
  return { n, b, w };
}

export function truthParams(t: TruthSpec, seed: number): IsingParams {
  const rng = new Rng(seedOf('truth', t.name, seed));
  return t.kind === 'sk' ? skParams(t.n, t.g, rng) : eaParams(t.L, t.J, t.h, rng);
}

/** State index of row r (bit i set ↔ s_i = +1), as probabilities() indexes states. */
function stateIndex(d: SpinData, r: number): number {
  let x = 0;
  for (let i = 0; i < d.n; i++) if (d.s[r * d.n + i]! > 0) x += 2 ** i;
  return x;
}

export interface DistributionStats {
  /** ½ Σ |p − p̂|. */
  tv: number;
  /** KL(p̂ ‖ p) = Σ p̂ log(p̂/p) over the states seen. */
  kl: number;
  unique: number;
  /** Fraction of rows equal to some training configuration. */
  memorised: number;
}

/** TV, KL, distinct configurations and memorised fraction of samples against the exact p. */
export function distributionStats(p: Float64Array, d: SpinData, train: SpinData): DistributionStats {
  const counts = new Map<number, number>();
  for (let r = 0; r < d.m; r++) {
    const x = stateIndex(d, r);
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  const seen = new Set<number>();
  for (let r = 0; r < train.m; r++) seen.add(stateIndex(train, r));
  let absSeen = 0, massSeen = 0, kl = 0, mem = 0;
  for (const [x, c] of counts) {
    const q = c / d.m;
    absSeen += Math.abs(p[x]! - q);
    massSeen += p[x]!;
    kl += q * Math.log(q / p[x]!);
    if (seen.has(x)) mem += c;
  }
  return { tv: 0.5 * (absSeen + (1 - massSeen)), kl, unique: counts.size, memorised: mem / d.m };
}

interface VariantResult extends DistributionStats {
  label: string;
  m: number;
  tvFloor: number;
  klFloor: number;
  uniqueFloor: number;
  memorisedFloor: number;
  /** Network evaluations per sample (row forward passes); NaN where not a network. */
  evalsPerSample: number;
  seconds: number;
  mseEM: number;
  msePLE: number;
}

export interface GeneratorsJobResult {
  family: Family;
  trainSeconds: number;
  /** Mean likelihood bound (−ELBO, nats per configuration) on held-out exact samples; NaN where none. */
  bound: number;
  /** Mean exact −log p_true on the same rows, and the exact entropy of the truth. */
  negLogP: number;
  entropy: number;
  boundKind: string;
  mseObsEM: number;
  mseObsPLE: number;
  variants: VariantResult[];
}

type Hooks = Pick<JobContext, 'onProgress' | 'signal'>;

async function trainDiffusionFamily(kind: GeneratorKind, train: SpinData, p: GeneratorsPreset, seed: number, hooks: Hooks): Promise<{ net: NoiseMLP; seconds: number }> {
  const cfg = { ...DEFAULT_TRAIN, iterations: p.iterations, batchSize: p.batch, seed, ...(kind === 'ddpm' ? {} : { generator: generatorConfig(kind) }) };
  const tr = new DiffusionTrainer(train, presetConfig(p.net, train.n, cfg.T), cfg);
  const y = new Yielder(hooks.signal, 40, 'training');
  const t0 = performance.now();
  while (tr.iteration < p.iterations) {
    await y.tick();
    tr.step();
    if (tr.iteration % 50 === 0) hooks.onProgress?.(tr.iteration, p.iterations, { loss: tr.losses.at(-1)! });
  }
  const seconds = (performance.now() - t0) / 1000;
  const net = new NoiseMLP(tr.networkConfig, new Rng(0));
  net.loadStateDict(tr.samplingStateDict());
  tr.dispose();
  return { net, seconds };
}

async function timed<T>(f: () => T | Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

async function runGeneratorsJob(truthSpec: TruthSpec, M: number, family: Family, seed: number, p: GeneratorsPreset, hooks: Hooks): Promise<GeneratorsJobResult> {
  const truth = truthParams(truthSpec, seed);
  const n = truth.n;
  const probs = probabilities(truth);
  const train = sampleExact(truth, M, new Rng(seedOf('data', truthSpec.name, M, seed)));
  const heldOut = sampleExact(truth, p.boundRows, new Rng(seedOf('heldout', truthSpec.name, seed)));
  let negLogP = 0;
  for (let r = 0; r < heldOut.m; r++) negLogP -= Math.log(probs[stateIndex(heldOut, r)]!) / heldOut.m;
  const entropy = enumerate(truth).entropy;
  const em = (d: SpinData) => (p.infer.includes('em') ? mse(truth, erasureMachine(d, { signal: hooks.signal }).params).mse : NaN);
  const ple = (d: SpinData) => (p.infer.includes('ple') ? mse(truth, inferPLE(d, { signal: hooks.signal }).params).mse : NaN);
  const rng = new Rng(seedOf('generate', truthSpec.name, M, family, seed));
  const floorRng = new Rng(seedOf('floor', truthSpec.name, M, seed));
  const floors = new Map<number, DistributionStats>();
  const floorFor = (m: number): DistributionStats => {
    let f = floors.get(m);
    if (!f) floors.set(m, (f = distributionStats(probs, sampleExact(truth, m, floorRng.fold('m', m)), train)));
    return f;
  };
  const variants: VariantResult[] = [];
  const score = (label: string, gen: SpinData, evalsPerSample: number, seconds: number): void => {
    const st = distributionStats(probs, gen, train);
    const fl = floorFor(gen.m);
    const aug = concatData([train, { n, m: Math.min(gen.m, p.augmentSamples), s: gen.s.subarray(0, Math.min(gen.m, p.augmentSamples) * n) }]);
    variants.push({ label, m: gen.m, ...st, tvFloor: fl.tv, klFloor: fl.kl, uniqueFloor: fl.unique, memorisedFloor: fl.memorised, evalsPerSample, seconds, mseEM: em(aug), msePLE: ple(aug) });
  };
  let trainSeconds = 0, bound = NaN, boundKind = '—';
  const y = new Yielder(hooks.signal, 40, 'generators');
  if (family === 'ddpm' || family === 'masked' || family === 'd3pm') {
    const { net, seconds } = await trainDiffusionFamily(family, train, p, seed, hooks);
    trainSeconds = seconds;
    if (family === 'ddpm') {
      for (const d of p.ddpmSamplers) {
        const full = d.sampler === 'ddpm';
        const v = { label: d.label, m: full ? p.ddpm1000Samples : p.samples, s: { sampler: d.sampler, steps: d.steps, eta: d.eta, batch: 1000 }, evals: full ? net.config.T : d.steps };
        await y.tick();
        const g = await timed(() => generateSpins(net, v.m, rng.fold(v.label), v.s, { signal: hooks.signal }));
        score(v.label, g.value, v.evals, g.seconds);
      }
    } else {
      const gen = generatorConfig(family);
      const steps = family === 'masked' ? p.maskedSteps : p.d3pmSteps;
      const t0 = performance.now();
      const r = await runStepLoopAsync(discreteSampleLoop(net, gen, p.samples, rng.fold('sample'), { steps, batch: 1000 }), hooks.signal);
      score(`${family === 'masked' ? 'masked' : 'D3PM'}-${steps}`, r.data, r.rowEvaluations / p.samples, (performance.now() - t0) / 1000);
      const predict = makePredictor(net);
      if (family === 'masked') {
        const nelbo = maskedNelboOrders((inp, B) => predict(inp, 0, B), heldOut.s, n, p.maskedOrders, rng.fold('bound'));
        boundKind = `NELBO, ${p.maskedOrders} random orders per row`;
        bound = nelbo.reduce((a, v) => a + v, 0) / nelbo.length;
      } else {
        const nelbo = d3pmNelboMC(predict, d3pmSchedule(gen as Extract<typeof gen, { kind: 'd3pm' }>, net.config.T), heldOut.s, n, p.d3pmDraws, rng.fold('bound'));
        boundKind = `NELBO, ${p.d3pmDraws} stratified t per row`;
        bound = nelbo.reduce((a, v) => a + v, 0) / nelbo.length;
      }
    }
  } else if (family === 'rbm') {
    const f = await timed(() => fitRBM(train, rng.fold('fit'), p.rbm, { signal: hooks.signal }).model);
    trainSeconds = f.seconds;
    const g = await timed(() => f.value.sample(p.samples, rng.fold('sample')));
    score('RBM (Gibbs)', g.value, NaN, g.seconds);
    const q = rbmExactProbs(f.value);
    let nll = 0;
    for (let r = 0; r < heldOut.m; r++) nll -= Math.log(q[stateIndex(heldOut, r)]!) / heldOut.m;
    bound = nll;
    boundKind = 'exact −log p_RBM (enumerated)';
  } else {
    const f = await timed(() => fitVAE(train, rng.fold('fit'), p.vae, { signal: hooks.signal }).model);
    trainSeconds = f.seconds;
    const g = await timed(() => f.value.sample(p.samples, rng.fold('sample')));
    score('VAE', g.value, NaN, g.seconds);
    bound = vaeMeanLoss(f.value, heldOut, rng.fold('bound'));
    boundKind = '−ELBO (one z draw per row)';
  }
  return { family, trainSeconds, bound, boundKind, negLogP, entropy, mseObsEM: em(train), mseObsPLE: ple(train), variants };
}

const DDPM_SAMPLERS: GeneratorsPreset['ddpmSamplers'] = [
  { label: 'DDPM-1000', sampler: 'ddpm', steps: 1000, eta: 1 },
  { label: 'DDIM-100 η=1', sampler: 'ddim', steps: 100, eta: 1 },
  { label: 'DDIM-50 η=0', sampler: 'ddim', steps: 50, eta: 0 },
];

const QUICK: GeneratorsPreset = {
  truths: [SK(12, 0.5), SK(12, 1), SK(12, 1.5), EA44],
  Ms: [500, 2000],
  cells: [{ truth: 'sk12-g1', M: 2000 }, { truth: 'sk12-g1.5', M: 2000 }],
  families: ['ddpm', 'masked', 'd3pm', 'rbm', 'vae'],
  net: 'small',
  iterations: 1500,
  batch: 128,
  samples: 10000,
  ddpm1000Samples: 2000,
  ddpmSamplers: DDPM_SAMPLERS,
  maskedSteps: 1000,
  d3pmSteps: 100,
  boundRows: 200,
  maskedOrders: 2,
  d3pmDraws: 50,
  augmentSamples: 10000,
  infer: ['em', 'ple'],
  rbm: { hidden: 24, epochs: 100 },
  vae: { epochs: 100 },
};

/** The quick preset at full size: every cell, more data, iterations, samples and draws. */
const PAPER: GeneratorsPreset = {
  ...QUICK,
  truths: [SK(12, 0.5), SK(12, 1), SK(12, 1.5), SK(16, 0.5), SK(16, 1), SK(16, 1.5), SK(20, 0.5), SK(20, 1), SK(20, 1.5), EA44],
  Ms: [500, 2000, 10000],
  cells: [],
  iterations: 8000,
  samples: 100000,
  ddpm1000Samples: 100000,
  d3pmSteps: 1000,
  boundRows: 1000,
  maskedOrders: 4,
  d3pmDraws: 100,
  augmentSamples: 20000,
  rbm: { hidden: 40, epochs: 200 },
  vae: { epochs: 200 },
};

function cellsOf(p: GeneratorsPreset): { truth: string; M: number }[] {
  if (p.cells.length > 0) return p.cells;
  return p.truths.flatMap((t) => p.Ms.map((M) => ({ truth: t.name, M })));
}

export const generators: Experiment<GeneratorsPreset> = {
  name: 'generators',
  title: 'Generators on exact distributions — analog-bits DDPM vs masked diffusion vs D3PM vs RBM/VAE',
  presets: { quick: QUICK, paper: PAPER },
  estimate: {
    quick: '≈8 min of CPU (measured 7.8 min for its 2 cells × 5 families; serial on a quiet 2-core machine)',
    paper: 'days on 2 cores (30 cells × 5 families × seeds); shard it (--shard i/N)',
  },
  jobs: (p, seeds) => gridJobs(cellsOf(p).flatMap((c) => p.families.map((family) => ({ truth: c.truth, M: c.M, family }))), seeds),
  async runJob(job, p, ctx) {
    const spec = p.truths.find((t) => t.name === job.setting['truth']);
    if (!spec) throw new Error(`generators: unknown truth '${job.setting['truth']}'`);
    return { ...(await runGeneratorsJob(spec, job.setting['M'] as number, job.setting['family'] as Family, job.seed, p, ctx)) };
  },
  summarize(p, records, meta) {
    const md = [reportHeader(generators.title, meta, records, p)];
    md.push(
      'TV = ½Σ|p − p̂| and KL(p̂ ‖ p) against the exact distribution, each with its finite-sample floor in brackets (the same statistic for as many exact samples). ' +
        '“memorised” = fraction of generated samples equal to a training configuration (floor: of exact samples). Bound = mean −ELBO on held-out exact samples (nats/config) vs their exact −log p. ' +
        'MSE of EM / PLE from observed + generated (first ' + p.augmentSamples + ' generated rows); “obs” = observed only. Mean ± s.e. over seeds.',
      '',
    );
    const cells = groupBy(records, (r) => `${r.setting['truth']}|${r.setting['M']}`);
    const tables: Record<string, unknown>[] = [];
    const svgs: Record<string, string> = {};
    for (const [key, recs] of cells) {
      const [truth, M] = key.split('|');
      const results = recs.map((r) => r.result as unknown as GeneratorsJobResult);
      const first = at(results, 0, 'results');
      const perSeed = results.filter((r) => r.family === first.family); // the same truth and data in every family of a seed
      md.push(`## ${truth}, M = ${M}`, '', `Exact entropy ${fmt(first.entropy)} nats; held-out −log p ${fmtMeanSe(meanSe(perSeed.map((r) => r.negLogP)))}. Observed only: EM MSE ${fmtMeanSe(meanSe(perSeed.map((r) => r.mseObsEM)))}, PLE MSE ${fmtMeanSe(meanSe(perSeed.map((r) => r.mseObsPLE)))}. Sampling and training seconds are wall time of the job.`, '');
      const byLabel = new Map<string, { v: VariantResult[]; r: GeneratorsJobResult[] }>();
      for (const r of results) for (const v of r.variants) {
        const e = byLabel.get(v.label) ?? { v: [], r: [] };
        e.v.push(v);
        e.r.push(r);
        byLabel.set(v.label, e);
      }
      const rows: string[][] = [];
      for (const [label, { v, r }] of byLabel) {
        const ms = (f: (x: VariantResult) => number) => meanSe(v.map(f));
        const row = {
          truth, M: Number(M), label, samples: at(v, 0, 'variants').m,
          tv: ms((x) => x.tv), tvFloor: ms((x) => x.tvFloor), kl: ms((x) => x.kl), klFloor: ms((x) => x.klFloor),
          memorised: ms((x) => x.memorised), memorisedFloor: ms((x) => x.memorisedFloor), unique: ms((x) => x.unique), uniqueFloor: ms((x) => x.uniqueFloor),
          bound: meanSe(r.map((x) => x.bound)), negLogP: meanSe(r.map((x) => x.negLogP)), evals: ms((x) => x.evalsPerSample), seconds: ms((x) => x.seconds),
          trainSeconds: meanSe(r.map((x) => x.trainSeconds)), mseEM: ms((x) => x.mseEM), msePLE: ms((x) => x.msePLE),
        };
        tables.push(row);
        rows.push([
          label, String(row.samples), `${fmtMeanSe(row.tv)} [${fmt(row.tvFloor.mean, 3)}]`, `${fmtMeanSe(row.kl)} [${fmt(row.klFloor.mean, 3)}]`,
          `${fmt(row.memorised.mean, 3)} [${fmt(row.memorisedFloor.mean, 3)}]`, `${fmt(row.unique.mean, 4)} [${fmt(row.uniqueFloor.mean, 4)}]`,
          Number.isFinite(row.bound.mean) ? `${fmtMeanSe(row.bound)} vs ${fmt(row.negLogP.mean)}` : '—',
          Number.isFinite(row.evals.mean) ? fmt(row.evals.mean, 4) : '—', fmt(row.seconds.mean, 3), fmt(row.trainSeconds.mean, 3), fmtMeanSe(row.mseEM), fmtMeanSe(row.msePLE),
        ]);
      }
      md.push(mdTable(['sampler', 'samples', 'TV [floor]', 'KL(p̂‖p) [floor]', 'memorised [floor]', 'unique [floor]', 'bound vs −log p', 'net evals / sample', 'sampling s', 'training s', 'EM MSE', 'PLE MSE'], rows), '');
      const name = `generators_tv_${String(truth).replace(/[^\w.-]/g, '_')}_M${M}.svg`;
      const labels = [...byLabel.keys()];
      svgs[name] = chart({
        title: `TV to the exact distribution — ${truth}, M = ${M}`, xLabel: 'sampler (index)', yLabel: 'TV',
        series: [
          { label: 'TV', x: labels.map((_, i) => i + 1), y: labels.map((l) => meanSe(byLabel.get(l)!.v.map((x) => x.tv)).mean) },
          { label: 'floor', x: labels.map((_, i) => i + 1), y: labels.map((l) => meanSe(byLabel.get(l)!.v.map((x) => x.tvFloor)).mean), dashed: true, color: '#000' },
        ],
      });
      md.push(`Samplers by index: ${labels.map((l, i) => `${i + 1} = ${l}`).join(', ')}.`, '', `![TV](${name})`, '');
    }
    return { data: { rows: tables }, markdown: md.join('\n'), svgs };
  },
};
