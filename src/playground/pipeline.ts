/**
 * The playground's pipeline, as plain functions shared by the page and the tests (the page's
 * numbers must equal a Node run with the same state): simulate SK data, infer (EM | PLE | MLE),
 * train the diffusion model on a train half with the energy-variance curve, augment, score.
 * Streams are derived by name from the seed (Rng.fold), so each step is reproducible alone.
 */
import { Rng } from '../random/index.js';
import type { InferResult, IsingParams, SpinData } from '../ising/types.js';
import { skParams } from '../ising/model.js';
import { sampleExact } from '../ising/enumerate.js';
import { concatData } from '../ising/index.js';
import { mse, paramCorrelation } from '../ising/metrics.js';
import { generateSpins, splitHalves, trainDiffusion } from '../diffusion/augment.js';
import type { CurvePoint, TrainDiffusionResult } from '../diffusion/augment.js';
import { NoiseMLP, presetConfig } from '../diffusion/network.js';
import { DEFAULT_TRAIN } from '../diffusion/train.js';
import type { TrainConfig } from '../diffusion/train.js';
import { inferWith } from '../worker/ops.js';
import type { InferMethod } from '../worker/ops.js';
import type { AbortLike } from '../util/abort.js';

export type { InferMethod };
export const BACKENDS = ['js', 'wasm', 'threads', 'gpujs'] as const;
export const METHODS = ['em', 'ple', 'mle'] as const;

export interface PlaygroundState {
  n: number; g: number; M: number; seed: number;
  backend: (typeof BACKENDS)[number];
  method: InferMethod;
  /** Training iterations (tiny network), generated samples M⁺, DDIM steps. */
  iters: number; samples: number; steps: number;
}

export const DEFAULT_STATE: PlaygroundState = { n: 12, g: 1, M: 400, seed: 1, backend: 'js', method: 'ple', iters: 200, samples: 2000, steps: 20 };

const LIMITS: Record<keyof PlaygroundState, [number, number] | readonly string[]> = {
  n: [2, 20], g: [0, 4], M: [10, 100000], seed: [0, 2 ** 31 - 1], backend: BACKENDS, method: METHODS,
  iters: [10, 100000], samples: [10, 200000], steps: [2, 1000],
};

/** The state as a query string (the URL hash), and back; unknown keys and bad values fall back to the defaults. */
export function stateToQuery(s: PlaygroundState): string {
  return Object.keys(DEFAULT_STATE).map((k) => `${k}=${encodeURIComponent(String(s[k as keyof PlaygroundState]))}`).join('&');
}

export function stateFromQuery(q: string): PlaygroundState {
  const p = new URLSearchParams(q.replace(/^[#?]/, ''));
  const s: Record<string, unknown> = { ...DEFAULT_STATE };
  for (const k of Object.keys(DEFAULT_STATE) as (keyof PlaygroundState)[]) {
    const v = p.get(k);
    if (v === null) continue;
    const lim = LIMITS[k];
    if (typeof lim[0] === 'string') { if ((lim as readonly string[]).includes(v)) s[k] = v; continue; }
    const x = Number(v), [lo, hi] = lim as [number, number];
    if (Number.isFinite(x) && x >= lo && x <= hi) s[k] = k === 'g' ? x : Math.round(x);
  }
  return s as unknown as PlaygroundState;
}

export function simulate(s: PlaygroundState): { truth: IsingParams; data: SpinData } {
  const key = new Rng(s.seed);
  const truth = skParams(s.n, s.g, key.fold('truth'));
  return { truth, data: sampleExact(truth, s.M, key.fold('data')) };
}

export function infer(data: SpinData, method: InferMethod): InferResult {
  return inferWith(method, data);
}

export function trainConfig(s: PlaygroundState): TrainConfig {
  return { ...DEFAULT_TRAIN, iterations: s.iters, seed: s.seed, batchSize: 64 };
}

export interface Trained { train: SpinData; test: SpinData; thetaTrain: IsingParams; observed: InferResult; run: TrainDiffusionResult }

/**
 * Split in halves, infer θ_train from the train half, train the tiny network on it, evaluating
 * the energy-variance ratio five times (the paper's stop rule picks the checkpoint).
 */
export async function train(data: SpinData, s: PlaygroundState, hooks: {
  onLoss?: (iteration: number, loss: number) => void; onEvaluate?: (p: CurvePoint) => void; signal?: AbortLike;
} = {}): Promise<Trained> {
  const key = new Rng(s.seed);
  const { train, test } = splitHalves(data, key.fold('split'));
  const observed = infer(train, s.method);
  const cfg = trainConfig(s);
  const run = await trainDiffusion(train, {
    network: presetConfig('tiny', data.n, cfg.T), train: cfg, sampler: { steps: s.steps, batch: 500 },
    evalEvery: Math.max(1, Math.round(s.iters / 5)), evalSamples: 300, test, thetaTrain: observed.params,
    stopRule: { minIterations: Math.round(s.iters / 2) },
    onProgress: (it, _t, info) => { if (info?.['loss'] !== undefined) hooks.onLoss?.(it, info['loss']); },
    onEvaluate: (p) => hooks.onEvaluate?.(p),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  return { train, test, thetaTrain: observed.params, observed, run };
}

/** Generate M⁺ configurations from the chosen checkpoint and infer from observed (train half) + generated. */
export async function augmentFrom(t: Trained, s: PlaygroundState, signal?: AbortLike): Promise<{ generated: SpinData; augmented: InferResult }> {
  const net = NoiseMLP.fromStateDict(presetConfig('tiny', t.train.n, trainConfig(s).T), t.run.chosen.stateDict);
  const generated = await generateSpins(net, s.samples, new Rng(s.seed).fold('generate'), { sampler: 'ddim', steps: s.steps, eta: 1, batch: 500 }, signal ? { signal } : {});
  return { generated, augmented: infer(concatData([t.train, generated]), s.method) };
}

export interface ScoreRow { label: string; mse: number; mse_b: number; mse_w: number; corr: number }

export function score(truth: IsingParams, rows: { label: string; params: IsingParams }[]): ScoreRow[] {
  return rows.map(({ label, params }) => ({ label, ...mse(truth, params), corr: paramCorrelation(truth, params) }));
}

/** Upper-triangle couplings, for the scatter of inferred against true. */
export function couplings(p: IsingParams): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.n; i++) for (let j = i + 1; j < p.n; j++) out.push(p.w[i * p.n + j]!);
  return out;
}
