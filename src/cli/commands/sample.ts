/** spindiff sample: generate spin configurations with a trained diffusion checkpoint. */
import type { Command } from '../context.js';
import { readBytes } from '../../io/files.js';
import { UsageError } from '../args.js';
import { Rng } from '../../random/index.js';
import { getBackend } from '../../tensor/index.js';
import { loadSamplingNetwork } from '../../diffusion/checkpoint.js';
import { sampleDiffusion, DEFAULT_SAMPLER } from '../../diffusion/augment.js';
import { TAIL_SAMPLERS, sampleTails } from '../../diffusion/guidance-sampling.js';
import type { TailSamplerKind, TailSampleOptions } from '../../diffusion/guidance-sampling.js';
import { trainTailClassifier } from '../../diffusion/guidance.js';
import { makeSchedule } from '../../diffusion/schedule.js';
import type { NoiseMLP } from '../../diffusion/network.js';
import { MAX_TABLE_N } from '../../ising/enumerate.js';
import { energies, energyQuantiles, energyTable, temperedTable } from '../../ising/index.js';
import type { IsingParams, SpinData } from '../../ising/index.js';
import type { CliContext } from '../context.js';
import { bar } from './train.js';
import { at } from '../../util/checked.js';
import { BACKEND_OPTION, THREADS_OPTION, checkFiles, checkSampleCount, loadData, loadParams, onBackend, pathOf, samplePoolFor, writeSpins } from './common.js';

const command: Command = {
  spec: {
    name: 'sample',
    summary: 'generate configurations with a trained diffusion model (the generator kind — ddpm, masked, d3pm — is read from the checkpoint)',
    examples: [
      'spindiff sample --model model.safetensors --samples 100000 --out aug.txt',
      'spindiff sample --model model.safetensors --samples 20000 --sampler ddpm --out aug.npy',
      'spindiff sample --model model.safetensors --samples 2000 --guidance score-scale --scale 0.5 --corrector-steps 9 --out tempered.txt',
      'spindiff sample --model model.safetensors --samples 2000 --guidance rejection --params theta_hat.json --tail-quantile 0.1 --out tail.txt',
      'spindiff sample --model model.safetensors --samples 2000 --guidance classifier --scale 2 --params theta_hat.json --train-data train.txt --out tail.txt',
    ],
    options: {
      model: { type: 'string', help: 'checkpoint from spindiff train (safetensors)', required: true, meta: 'FILE' },
      samples: { type: 'int', help: 'number of configurations', required: true, min: 1 },
      out: { type: 'string', help: "output data file (.npy for int8, else text ±1; '-' for standard output)", required: true, meta: 'FILE' },
      sampler: { type: 'string', help: 'ddpm (all T steps) or ddim (--steps); masked/d3pm checkpoints: ddpm = T steps, ddim = --steps', default: DEFAULT_SAMPLER.sampler, choices: ['ddpm', 'ddim'] },
      steps: { type: 'int', help: 'DDIM steps', default: DEFAULT_SAMPLER.steps, min: 1, max: 1000 },
      eta: { type: 'number', help: 'DDIM η (1 stochastic, 0 deterministic)', default: DEFAULT_SAMPLER.eta, min: 0 },
      batch: { type: 'int', help: 'rows per network call (bounds memory)', default: DEFAULT_SAMPLER.batch, min: 1, max: 65536 },
      guidance: { type: 'string', help: 'tail sampler: none (baseline), score-scale (γ = 1−λ: tempering), reverse-score (Langevin corrector with score ×γ), tweedie (∇E_θ̂(x̂₀)), classifier (c_ψ(tail|x_t,t) trained on --train-data), rejection (E_θ̂ ≥ E_τ), importance (weights ∝ p_θ̂^{−λ})', default: 'none', choices: ['none', ...TAIL_SAMPLERS.filter((k) => k !== 'baseline')] },
      scale: { type: 'number', help: 'score-scale: γ; reverse-score: corrector γ (< 0 needs --bound); tweedie, classifier: weight w; importance: λ' },
      params: { type: 'string', help: 'θ̂ fitted on the TRAINING data (tweedie, classifier labels, rejection, importance)', meta: 'FILE' },
      'train-data': { type: 'string', help: 'training data of the classifier (classifier guidance)', meta: 'FILE' },
      'tail-quantile': { type: 'number', help: 'tail fraction q: E_τ = (1−q) quantile of E_θ̂ (exact under p_θ̂ for n ≤ 24, else over --train-data)', default: 0.1, min: 0 },
      'corrector-steps': { type: 'int', help: 'Langevin corrector steps after each reverse step (reverse-score: default 9)', min: 0 },
      snr: { type: 'number', help: 'corrector signal-to-noise ratio r (step δ = 2α_t (r‖z‖/‖s‖)²)', default: 0.16, min: 0 },
      delta: { type: 'number', help: 'fixed corrector step size δ instead of the snr rule', min: 0 },
      bound: { type: 'number', help: 'clip corrector values to [−bound, bound] (needed for γ < 0)', min: 0 },
      't-max': { type: 'int', help: 'guide only at steps t ≤ T-MAX (tweedie default 500; classifier: its training range T/2)', min: 0 },
      pool: { type: 'int', help: 'rejection / importance: baseline draws to select from (default 10 × samples)', min: 1 },
      'classifier-iters': { type: 'int', help: 'classifier training iterations', default: 1500, min: 1 },
      'zero-one': { type: 'boolean', help: 'write 0/1 instead of ±1 (text output)' },
      seed: { type: 'int', help: 'seed of the sampler noise', default: 1, min: 0 },
      backend: { ...BACKEND_OPTION },
      threads: { ...THREADS_OPTION },
      progress: { type: 'boolean', help: 'progress every second when stderr is not a terminal (default: every 5 s)' },
      json: { type: 'boolean', help: 'print a JSON summary' },
    },
  },
  async run(a, ctx) {
    const file = a['model'] as string;
    const outFile = a['out'] as string;
    if (outFile === '-' && a['json']) throw new UsageError("--json and --out - would both write to standard output; give --out a file");
    checkFiles(ctx, [['--model', file], ['--params', a['params'] as string | undefined], ['--train-data', a['trainData'] as string | undefined]], [['--out', outFile]]);
    const bytes = new Uint8Array(readBytes(pathOf(ctx, file), file));
    const { net, info } = loadSamplingNetwork(bytes, file);

    const m = a['samples'] as number;
    checkSampleCount('--samples', m, info.network.n, outFile);
    const b = bar(ctx, a, 'sample');
    const t0 = performance.now();
    const s = { sampler: a['sampler'] as 'ddpm' | 'ddim', steps: a['steps'] as number, eta: a['eta'] as number, batch: a['batch'] as number };
    const kind = a['guidance'] as 'none' | TailSamplerKind;
    let data: SpinData;
    let extra: Record<string, number | string> = {};
    let shards = 0; // workers that sampled row shards (0: this thread)
    if (kind === 'none') {
      for (const k of ['scale', 'params', 'trainData', 'correctorSteps', 'delta', 'bound', 'tMax', 'pool']) if (a[k] !== undefined) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --guidance`);
      data = await onBackend(a, ctx, async () => {
        // Row shards on one worker per thread where the backend has several (the same numbers).
        const pool = info.generator.kind === 'ddpm' ? await samplePoolFor(getBackend()) : null;
        const sampling = pool && {
          sample: async (...args: Parameters<typeof pool.sample>) => {
            const rows = await pool.sample(...args);
            if (rows) shards = pool.workers;
            return rows;
          },
        };
        try {
          return await sampleDiffusion(net, m, new Rng(a['seed'] as number), s, { onProgress: (d, t) => b.onProgress(d, t), signal: ctx.signal, ...(sampling ? { sampling } : {}) }, info.generator);
        } finally {
          pool?.close();
        }
      });
    } else {
      if (info.generator.kind !== 'ddpm') throw new UsageError(`--guidance needs an analog-bits (ddpm) model; ${file} is a ${info.generator.kind} model`);
      const o = tailOptions(a, ctx, kind, net, s);
      const r = await onBackend(a, ctx, async () => sampleTails(net, m, new Rng(a['seed'] as number), { ...o, signal: ctx.signal, onProgress: (d, t) => b.onProgress(d, t) }));
      data = r.data;
      extra = { guidance: kind, ...(o.scale !== undefined ? { scale: o.scale } : {}), forwardRows: r.cost.forwardRows, gradRows: r.cost.gradRows, classifierRows: r.cost.classifierRows, ...(r.acceptance !== undefined ? { acceptance: r.acceptance } : {}), ...(r.ess !== undefined ? { ess: r.ess } : {}), ...(r.clipped !== undefined ? { clipped: r.clipped } : {}) };
      if (data.m < m) ctx.stderr(`sample: rejection accepted ${data.m} of the ${m} asked (acceptance ${(r.acceptance ?? 0).toFixed(4)}); raise --pool\n`);
    }
    b.end();
    const secs = (performance.now() - t0) / 1000;
    const gtext = kind === 'none' ? '' : `, guidance ${kind}${extra['scale'] !== undefined ? ` scale ${extra['scale']}` : ''}`;
    writeSpins(ctx, outFile, data, { zeroOne: Boolean(a['zeroOne']), header: `generated by spindiff sample from ${file} (iteration ${info.iteration}, generator ${info.generator.kind}), ${s.sampler}${s.sampler === 'ddim' ? ` S=${s.steps} eta=${s.eta}` : ''}${gtext}, seed ${a['seed']}` });
    if (a['json']) ctx.stdout(JSON.stringify({ out: a['out'], samples: data.m, n: data.n, seconds: secs, samplesPerSecond: data.m / secs, ...s, ...extra, shards }) + '\n');
    else (outFile === '-' ? ctx.stderr : ctx.stdout)(`generated ${data.m} configurations (n=${data.n}${gtext}) in ${secs.toFixed(1)} s (${(data.m / secs).toFixed(0)}/s); wrote ${a['out']}\n`);
    return 0;
  },
};
/** The energy threshold E_τ: the (1−q) quantile of E_θ̂, exact under p_θ̂ where n allows. */
function tailThreshold(theta: IsingParams, q: number, train: SpinData | null): number {
  if (!(q > 0 && q < 1)) throw new UsageError(`--tail-quantile must be in (0, 1), got ${q}`);
  if (theta.n <= MAX_TABLE_N) {
    const E = energyTable(theta);
    return at(energyQuantiles(E, temperedTable(E, 1), [1 - q]), 0, 'energy quantiles');
  }
  if (!train) throw new UsageError(`n=${theta.n} is too large for the exact threshold; give --train-data`);
  const e = Float64Array.from(energies(theta, train)).sort();
  return at(e, Math.min(e.length - 1, Math.floor((1 - q) * e.length)), 'training energies');
}

function tailOptions(a: Record<string, unknown>, ctx: CliContext, kind: TailSamplerKind, net: NoiseMLP, s: TailSampleOptions['sampler']): TailSampleOptions {
  const n = net.config.n;
  const theta = a['params'] !== undefined ? loadParams(ctx, a['params'] as string) : undefined;
  if (theta && theta.n !== n) throw new UsageError(`--params has n=${theta.n}, the model n=${n}`);
  const train = a['trainData'] !== undefined ? loadData(ctx, a['trainData'] as string) : null;
  if (train && train.n !== n) throw new UsageError(`--train-data has n=${train.n}, the model n=${n}`);
  const needs = (v: unknown, opt: string): void => {
    if (v === undefined || v === null) throw new UsageError(`--guidance ${kind} needs ${opt}`);
  };
  const scale = a['scale'] as number | undefined;
  if (kind !== 'rejection') needs(scale, '--scale');
  if (kind === 'tweedie' || kind === 'rejection' || kind === 'importance' || kind === 'classifier') needs(theta, '--params (θ̂ fitted on the training data)');
  const K = (a['correctorSteps'] as number | undefined) ?? (kind === 'reverse-score' ? 9 : 0);
  if (kind === 'reverse-score' && K < 1) throw new UsageError('--guidance reverse-score needs --corrector-steps ≥ 1');
  if (kind === 'reverse-score' && scale! < 0 && a['bound'] === undefined) throw new UsageError('reverse-score with γ < 0 targets an unnormalisable density: give --bound');
  const corrector = K > 0 ? { steps: K, snr: a['snr'] as number, ...(a['delta'] !== undefined ? { delta: a['delta'] as number } : {}), ...(a['bound'] !== undefined ? { bound: a['bound'] as number } : {}) } : undefined;
  const o: TailSampleOptions = { kind, sampler: s, ...(scale !== undefined ? { scale } : {}), ...(corrector ? { corrector } : {}), ...(theta ? { thetaHat: theta } : {}), ...(a['pool'] !== undefined ? { pool: a['pool'] as number } : {}) };
  if (a['tMax'] !== undefined) o.tMax = a['tMax'] as number;
  else if (kind === 'tweedie') o.tMax = 500;
  if (kind === 'rejection' || kind === 'classifier') o.threshold = tailThreshold(theta!, a['tailQuantile'] as number, train);
  if (kind === 'classifier') {
    needs(train, '--train-data (the classifier is trained on noised training rows labelled by E_θ̂)');
    const clf = trainTailClassifier(train!, theta!, makeSchedule({ T: net.config.T }), { threshold: o.threshold!, iterations: a['classifierIters'] as number, seed: a['seed'] as number, signal: ctx.signal });
    ctx.stderr(`sample: classifier trained (accuracy ${clf.accuracy.t0.toFixed(3)} at t=0, ${clf.accuracy.tHalf.toFixed(3)} at t=${Math.floor(clf.tMax / 2)})\n`);
    o.classifier = clf.classifier;
    if (o.tMax === undefined) o.tMax = clf.tMax;
  }
  return o;
}

export default command;
