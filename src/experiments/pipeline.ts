/**
 * Building blocks shared by the experiments: an SK instance (true params, M training and M test
 * samples as the paper's stopping rule needs), inference by the erasure machine, MSE, data
 * concatenation, energy variance, and the generative baselines behind one `fit` function.
 */
import { Rng } from '../random/index.js';
import { skParams } from '../ising/model.js';
import { sampleExact, MAX_TABLE_N } from '../ising/enumerate.js';
import { sampleMcmc } from '../ising/mcmc.js';
import { erasureMachine } from '../ising/infer/em.js';
import { mse } from '../ising/metrics.js';
import { energies } from '../ising/model.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import type { GenerativeModel } from '../models/types.js';
import { fitRBM, type RBMOptions } from '../models/rbm.js';
import { augment, generateSpins, type AugmentResult, type OffThreadSampling, type SamplerOptions } from '../diffusion/augment.js';
import { NoiseMLP, type NetworkConfig, type PresetName as NetPreset } from '../diffusion/network.js';
import type { StopRuleOptions } from '../diffusion/stopping.js';
import type { LoopHooks } from '../util/abort.js';

export interface SkInstance {
  truth: IsingParams;
  train: SpinData;
  test: SpinData;
  sampler: 'exact' | 'mcmc';
}

/** SK parameters and 2M samples split into M train and M test (exact for small n, else MCMC). */
export function skInstance(n: number, g: number, M: number, truthRng: Rng, rng: Rng = truthRng, mcmc: { burnIn?: number; thin?: number } = {}): SkInstance {
  const truth = skParams(n, g, truthRng);
  const exact = n <= Math.min(MAX_TABLE_N, 22);
  const all = exact ? sampleExact(truth, 2 * M, rng) : sampleMcmc(truth, 2 * M, rng, { sampler: 'gibbs', chains: 64, burnIn: mcmc.burnIn ?? 1000, thin: mcmc.thin ?? 10 }).data;
  // MCMC chains emit samples chain by chain: shuffle before splitting so both halves mix chains.
  const perm = rng.permutation(2 * M);
  const pick = (from: number) => {
    const s = new Int8Array(M * n);
    for (let r = 0; r < M; r++) s.set(all.s.subarray(perm[from + r]! * n, (perm[from + r]! + 1) * n), r * n);
    return { n, m: M, s };
  };
  return { truth, train: pick(0), test: pick(M), sampler: exact ? 'exact' : 'mcmc' };
}

/** Observed + generated, stacked (the Ising layer's concatData). */
export { concatData as concatSpins } from '../io/data.js';

export function headRows(d: SpinData, m: number): SpinData {
  return { n: d.n, m: Math.min(m, d.m), s: d.s.subarray(0, Math.min(m, d.m) * d.n) };
}

export interface EMOptions {
  iterations?: number;
  epsGrid?: number[];
}

/** Erasure-machine inference with the reference settings unless overridden. */
export function inferEM(data: SpinData, o: EMOptions = {}): IsingParams {
  return erasureMachine(data, { ...(o.iterations ? { iterations: o.iterations } : {}), ...(o.epsGrid ? { epsGrid: o.epsGrid } : {}) }).params;
}

export function mseOf(truth: IsingParams, p: IsingParams): number {
  return mse(truth, p).mse;
}

export function energyVariance(p: IsingParams, d: SpinData): number {
  const e = energies(p, d);
  let m = 0;
  for (const x of e) m += x;
  m /= e.length;
  let v = 0;
  for (const x of e) v += (x - m) ** 2;
  return v / Math.max(1, e.length - 1);
}

/** Upper-triangle couplings (and fields) as flat lists: true vs inferred, for scatter plots. */
export function paramPairs(truth: IsingParams, p: IsingParams): { trueW: number[]; infW: number[]; trueB: number[]; infB: number[] } {
  const n = truth.n;
  const trueW: number[] = [];
  const infW: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    trueW.push(truth.w[i * n + j]!);
    infW.push(p.w[i * n + j]!);
  }
  return { trueW, infW, trueB: Array.from(truth.b), infB: Array.from(p.b) };
}

export type BaselineName = 'rbm' | 'vae' | 'gan';

export interface BaselineOptions {
  rbm?: RBMOptions;
  vae?: Record<string, unknown>;
  gan?: Record<string, unknown>;
}

/** Fit a generative baseline on the training data. */
export async function fitBaseline(name: BaselineName, train: SpinData, rng: Rng, o: BaselineOptions = {}): Promise<GenerativeModel> {
  switch (name) {
    case 'rbm':
      return fitRBM(train, rng, o.rbm).model;
    case 'vae': {
      const { fitVAE } = await import('../models/vae.js');
      return fitVAE(train, rng, o.vae ?? {}).model;
    }
    case 'gan': {
      const { fitGAN } = await import('../models/gan.js');
      return fitGAN(train, rng, o.gan ?? {}).model;
    }
  }
}

// ---- diffusion, through the diffusion layer's augment() ----


export interface DiffusionSettings {
  /** Network preset of the diffusion layer ('tiny' | 'small' | 'paper'). */
  net: NetPreset;
  /** Overrides of the preset's network config (widths, timeDim, residual). */
  network?: Partial<Omit<NetworkConfig, 'n'>>;
  iterations: number;
  /** Evaluate the energy-variance ratio every this many iterations. */
  evalEvery: number;
  evalSamples: number;
  lr?: number;
  sampler?: Partial<SamplerOptions>;
  /** Minimum budget of the stop rule as a fraction of the iterations. */
  minFraction?: number;
  /** Overrides of the stop rule (e.g. a huge patience to train through the stop, as fig2). */
  stopRule?: StopRuleOptions;
}

/** The paper's diffusion layer: the thesis network, 10⁵ Adam steps at lr 10⁻⁴, DDPM with T = 1000 (every figure's paper preset). */
export const PAPER_DIFFUSION: DiffusionSettings = { net: 'paper', iterations: 100000, evalEvery: 2000, evalSamples: 2000, lr: 1e-4, sampler: { sampler: 'ddpm', steps: 1000 } };
/** The quick presets' diffusion layer: the small network, 4000 iterations, DDIM with 50 steps. */
export const QUICK_DIFFUSION: DiffusionSettings = { net: 'small', iterations: 4000, evalEvery: 200, evalSamples: 500, sampler: { steps: 50 } };

/** Train on `train`, stop by the energy-variance rule against `test`, generate M⁺. */
export async function runDiffusion(
  train: SpinData,
  test: SpinData,
  samples: number,
  seed: number,
  d: DiffusionSettings,
  hooks: LoopHooks & { sampling?: OffThreadSampling } = {},
  keepCheckpoints = false,
): Promise<AugmentResult> {
  return augment(train, {
    test,
    samples,
    preset: d.net,
    ...(d.network ? { network: d.network } : {}),
    train: { iterations: d.iterations, ...(d.lr ? { lr: d.lr } : {}) },
    ...(d.sampler ? { sampler: d.sampler } : {}),
    evalEvery: d.evalEvery,
    evalSamples: d.evalSamples,
    ...(d.minFraction !== undefined ? { minFraction: d.minFraction } : {}),
    ...(d.stopRule ? { stopRule: d.stopRule } : {}),
    seed,
    keepCheckpoints,
    signal: hooks.signal,
    sampling: hooks.sampling,
    onProgress: hooks.onProgress
      ? (stage, done, total, info) => {
          // Training dominates; report it, and generation as the tail.
          if (stage === 'train') hooks.onProgress!(done, total, info);
        }
      : undefined,
  });
}

/** Generate from a checkpoint's sampling weights (fig2: every evaluated checkpoint). */
export async function generateFromStateDict(r: AugmentResult, stateDict: AugmentResult['stateDict'], m: number, rng: Rng, sampling?: OffThreadSampling): Promise<SpinData> {
  return await generateSpins(NoiseMLP.fromStateDict(r.networkConfig, stateDict), m, rng, r.samplerOptions, { sampling });
}

/** A 32-bit seed from labelled parts: the same parts give the same stream in every experiment. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** The SK instance of (n, g, M, seed): truth depends on (n, g, seed) only, so M sweeps share it. */
export function skInstanceFor(n: number, g: number, M: number, seed: number): SkInstance {
  return skInstance(n, g, M, new Rng(seedOf('truth', n, g, seed)), new Rng(seedOf('data', n, g, M, seed)));
}
