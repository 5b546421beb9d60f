/**
 * The erasure machine (Jo, Hoang & Periwal, PRE 101, 032107, 2020), after the reference code
 * github.com/nihcompmed/e-machine (emachine.py `fit`, MIT):
 *  - reweight the observed frequencies f_ε(s) ∝ f(s) p(s)^{ε-1}, with p from the current model;
 *  - update b += γ(⟨s⟩_{f_ε} − ε b), w += γ(⟨s s⟩_{f_ε} − ε w) for a fixed number of iterations,
 *    from the same random start for every ε (reference: uniform in [−0.5, 0.5), seed 13);
 *  - over the ε grid (reference: 21 points on [0.4, 0.9]) keep the fit whose mean data energy
 *    E = −b·s − Σ w s s (evaluated at the last iteration, before its update, as `fit` does) is
 *    the largest (reference: `np.argmax(E_eps)` of `-E_av[-1]`, with E_av = mean(ops·w)).
 * Repeated patterns are merged with their counts, and energies/moments go through block tables
 * (blocked.ts), so M = 10⁵–3·10⁵ samples cost what their unique patterns cost; up to LANES values
 * of ε share each pass over the patterns.
 */
import { throwIfAborted } from '../../util/abort.js';
import { Rng } from '../../random/index.js';
import { at } from '../../util/checked.js';
import { blockPatterns, LANES } from '../blocked.js';
import { uniquePatterns } from '../patterns.js';
import type { InferResultOf, IsingParams, LoopHooks, SpinData } from '../types.js';

/** The reference's settings (emachine.py `fit` and its notebooks): the defaults of erasureMachine. */
export const EM_DEFAULTS = {
  /** The ε grid: `count` points on [start, stop] (np.linspace(0.4, 0.9, 21)). */
  eps: { start: 0.4, stop: 0.9, count: 21 },
  iterations: 100,
  gamma: 0.1,
  seed: 13,
} as const;

export interface ErasureMachineOptions extends LoopHooks {
  /** ε values to try (default: 21 points on [0.4, 0.9]). */
  epsGrid?: number[];
  /** Iterations per ε (reference: 100). */
  iterations?: number;
  /** Step size γ (reference: 0.1). */
  gamma?: number;
  /**
   * Starting point: 'random' (uniform in [−0.5, 0.5) from Rng(seed), the reference's scheme),
   * 'zero', or an explicit vector in the reference's order [b_0..b_{n−1}, w_01, w_02, …, w_{n−2,n−1}].
   */
  init?: 'random' | 'zero' | Float64Array;
  /** Seed of the random start (reference: 13). */
  seed?: number;
  /** Bits per block of the lookup tables (default by n). */
  blockBits?: number;
}

/** 21 points on [0.4, 0.9], as the reference notebooks (np.linspace(0.4, 0.9, 21)). */
export function defaultEpsGrid(): number[] {
  return linspace(EM_DEFAULTS.eps.start, EM_DEFAULTS.eps.stop, EM_DEFAULTS.eps.count);
}

/** numpy.linspace semantics: start + i·step, with the last point exactly stop. */
export function linspace(a: number, b: number, num: number): number[] {
  if (num === 1) return [a];
  const step = (b - a) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(a + i * step);
  out[num - 1] = b;
  return out;
}

/** Parameters → the reference's flat vector [b, w_{i<j} row by row]. */
export function paramsToOps(p: IsingParams): Float64Array {
  const { n } = p;
  const v = new Float64Array(n + (n * (n - 1)) / 2);
  v.set(p.b);
  let o = n;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v[o++] = p.w[i * n + j]!;
  return v;
}

/** The reference's flat vector → parameters. */
export function opsToParams(v: ArrayLike<number>, n: number): IsingParams {
  if (v.length !== n + (n * (n - 1)) / 2) throw new Error(`opsToParams: expected ${n + (n * (n - 1)) / 2} values for n=${n}, got ${v.length}`);
  const b = new Float64Array(n);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) b[i] = at(v, i, 'ops vector');
  let o = n;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = at(v, o, 'ops vector');
      w[i * n + j] = x;
      w[j * n + i] = x;
      o++;
    }
  }
  return { n, b, w };
}

export interface EMFit {
  params: IsingParams;
  /** Mean data energy at the last iteration (the selection score). */
  score: number;
}

/** One erasure-machine fit at a fixed ε. */
export function erasureFit(
  data: SpinData,
  eps: number,
  opts: Omit<ErasureMachineOptions, 'epsGrid'> = {},
): EMFit {
  const r = erasureMachine(data, { ...opts, epsGrid: [eps] });
  return { params: r.params, score: at(r.diagnostics.scores, 0, 'scores') };
}

export function erasureMachine(data: SpinData, opts: ErasureMachineOptions = {}): InferResultOf<'em'> {
  const { n } = data;
  if (data.m < 1) throw new Error('erasureMachine: no samples');
  const epsGrid = opts.epsGrid ?? defaultEpsGrid();
  const iterations = opts.iterations ?? EM_DEFAULTS.iterations;
  const gamma = opts.gamma ?? EM_DEFAULTS.gamma;
  const seed = opts.seed ?? EM_DEFAULTS.seed;
  const initOpt = opts.init ?? 'random';
  if (epsGrid.length === 0) throw new Error('erasureMachine: empty ε grid');
  for (const e of epsGrid) if (!(e > 0 && e <= 1)) throw new Error(`erasureMachine: ε must be in (0, 1], got ${e}`);
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new Error(`erasureMachine: iterations must be a positive integer, got ${iterations}`);

  const nops = n + (n * (n - 1)) / 2;
  let init: Float64Array;
  if (initOpt instanceof Float64Array) {
    if (initOpt.length !== nops) throw new Error(`erasureMachine: init has ${initOpt.length} values, expected ${nops}`);
    init = initOpt;
  } else if (initOpt === 'zero') init = new Float64Array(nops);
  else {
    const r = new Rng(seed);
    init = new Float64Array(nops);
    for (let k = 0; k < nops; k++) init[k] = r.uniform() - 0.5;
  }

  const pt = uniquePatterns(data);
  const engine = blockPatterns(pt.s, n, pt.k, opts.blockBits);
  const K = pt.k;
  const counts = pt.counts;
  const total = pt.total;

  const scores: number[] = [];
  let best = -1;
  let bestParams: IsingParams | null = null;
  const totalSteps = epsGrid.length * iterations;
  let done = 0;
  // The ε of a group run in lockstep, their table passes shared (blocked.ts); each ε's arithmetic
  // is what it would be alone, so grouping does not change any result.
  for (let g0 = 0; g0 < epsGrid.length; g0 += LANES) {
    const lanes = epsGrid.slice(g0, g0 + LANES).map((eps) => ({
      eps,
      p: opsToParams(init, n),
      u: new Float64Array(K),
      q: new Float64Array(K),
      mean: new Float64Array(n),
      corr: new Float64Array(n * n),
      meanU: 0,
    }));
    const ps = lanes.map((l) => l.p), us = lanes.map((l) => l.u), qs = lanes.map((l) => l.q);
    const means = lanes.map((l) => l.mean), corrs = lanes.map((l) => l.corr);
    for (let it = 0; it < iterations; it++) {
      throwIfAborted(opts.signal, 'erasureMachine');
      engine.minusEnergiesMany(ps, us);
      for (const l of lanes) {
        const { eps, u, q } = l;
        // f_ε ∝ f · p^{ε−1} = counts · exp((ε−1) u); shift by the largest exponent so nothing overflows.
        let amax = -Infinity;
        let meanU = 0;
        for (let r = 0; r < K; r++) {
          const a = (eps - 1) * u[r]!;
          if (a > amax) amax = a;
          meanU += counts[r]! * u[r]!;
        }
        l.meanU = meanU / total;
        let z = 0;
        for (let r = 0; r < K; r++) {
          const v = counts[r]! * Math.exp((eps - 1) * u[r]! - amax);
          q[r] = v;
          z += v;
        }
        for (let r = 0; r < K; r++) q[r]! /= z;
      }
      engine.momentsMany(qs, means, corrs);
      for (const { eps, p, mean, corr } of lanes) {
        for (let i = 0; i < n; i++) {
          p.b[i]! += gamma * (mean[i]! - eps * p.b[i]!);
          for (let j = i + 1; j < n; j++) {
            const v = p.w[i * n + j]! + gamma * (corr[i * n + j]! - eps * p.w[i * n + j]!);
            p.w[i * n + j] = v;
            p.w[j * n + i] = v;
          }
        }
        done++;
        if ((done & 7) === 0 || done === totalSteps) opts.onProgress?.(done, totalSteps, { eps });
      }
    }
    for (const l of lanes) {
      const score = -l.meanU; // mean data energy E = −u
      scores.push(score);
      if (best < 0 || score > at(scores, best, 'scores')) {
        best = scores.length - 1;
        bestParams = l.p;
      }
    }
  }
  const params = bestParams!;
  return {
    params,
    method: 'em',
    settings: { epsGrid, iterations, gamma, init: initOpt instanceof Float64Array ? 'given' : initOpt, seed },
    diagnostics: {
      epsilon: at(epsGrid, best, 'ε grid'),
      scores,
      uniquePatterns: K,
      samples: total,
      blockBits: engine.B,
    },
  };
}

/**
 * Combine erasure-machine runs over parts of an ε grid (e.g. one ε per worker or cluster job):
 * every ε starts from the same point, so the runs are independent and the combination equals
 * one run over the whole grid. Keeps the fit with the largest score (first on ties, in order).
 */
export function combineEpsRuns(runs: InferResultOf<'em'>[]): InferResultOf<'em'> {
  if (runs.length === 0) throw new Error('combineEpsRuns: no runs');
  const epsGrid: number[] = [];
  const scores: number[] = [];
  let best = -1;
  let bestRun = at(runs, 0, 'runs');
  for (const r of runs) {
    const g = r.settings['epsGrid'] as number[];
    const sc = r.diagnostics.scores;
    if (!g || !sc) throw new Error('combineEpsRuns: not an erasure-machine result');
    for (let k = 0; k < g.length; k++) {
      epsGrid.push(at(g, k, 'ε grid of a run'));
      scores.push(at(sc, k, 'scores of a run'));
    }
    const i = scores.indexOf(Math.max(...sc), scores.length - sc.length);
    const si = scores[i], sb = scores[best]; // i = −1 when sc holds NaN; undefined compares false
    if (best < 0 || (si !== undefined && sb !== undefined && si > sb)) {
      best = i;
      bestRun = r;
    }
  }
  return {
    params: bestRun.params,
    method: 'em',
    settings: { ...bestRun.settings, epsGrid },
    diagnostics: { ...bestRun.diagnostics, epsilon: at(epsGrid, best, 'ε grid'), scores },
  };
}

