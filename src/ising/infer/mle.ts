/**
 * Maximum likelihood: maximize L(θ) = θ·⟨ops⟩_data − log Z(θ), whose gradient is data moments
 * minus model moments. Exact moments by enumeration (small n; L-BFGS or the paper's plain
 * gradient ascent with γ = 0.1), or MCMC moments from persistent chains (Boltzmann learning).
 */
import type { Rng } from '../../random/index.js';
import { enumerate, MAX_ENUM_N } from '../enumerate.js';
import { lbfgs } from '../linalg.js';
import { dataMoments } from '../patterns.js';
import type { InferResultOf, IsingParams, LoopHooks, SpinData } from '../types.js';
import { opsToParams, paramsToOps } from './em.js';

/** Defaults of inferExactMLE (maxIter: L-BFGS steps, or gradient-ascent steps for 'gd'). */
export const EXACT_MLE_DEFAULTS = { tol: 1e-8, maxIterLbfgs: 2000, maxIterGd: 100, gamma: 0.1 } as const;

export interface ExactMLEOptions extends LoopHooks {
  /** 'lbfgs' (default, converges) or 'gd' (gradient ascent with step gamma, as the paper's baseline). */
  optimizer?: 'lbfgs' | 'gd';
  /** Stop when the largest moment mismatch is below tol (default 1e-8). */
  tol?: number;
  maxIter?: number;
  gamma?: number;
  /** Target moments instead of data (mean n, corr n×n). */
  moments?: { mean: Float64Array; corr: Float64Array };
  /** Starting point (e.g. a PLE fit; default zero): the optimum is the same, fewer iterations. */
  init?: IsingParams;
}

function opsMoments(mean: Float64Array, corr: Float64Array, n: number): Float64Array {
  const v = new Float64Array(n + (n * (n - 1)) / 2);
  v.set(mean);
  let o = n;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v[o++] = corr[i * n + j]!;
  return v;
}

/** Exact MLE by enumeration (n ≤ ~20 in practice: each step enumerates 2^n states). */
export function inferExactMLE(data: SpinData | null, opts: ExactMLEOptions = {}): InferResultOf<'mle-exact'> {
  const mom = opts.moments ?? (data ? dataMoments(data) : null);
  if (!mom) throw new Error('inferExactMLE: give data or target moments');
  const n = mom.mean.length;
  if (n > MAX_ENUM_N) throw new Error(`inferExactMLE: n=${n} is too large for enumeration; use --method mle with MCMC moments`);
  const target = opsMoments(mom.mean, mom.corr, n);
  const optimizer = opts.optimizer ?? 'lbfgs';
  const tol = opts.tol ?? EXACT_MLE_DEFAULTS.tol;
  const maxIter = opts.maxIter ?? (optimizer === 'lbfgs' ? EXACT_MLE_DEFAULTS.maxIterLbfgs : EXACT_MLE_DEFAULTS.maxIterGd);
  // f(θ) = log Z − θ·target; ∇f = model moments − target.
  let evals = 0;
  const fg = (x: Float64Array, g: Float64Array): number => {
    const p = opsToParams(x, n);
    const e = enumerate(p);
    evals++;
    const mm = opsMoments(e.mean, e.corr, n);
    let dot = 0;
    for (let k = 0; k < x.length; k++) {
      g[k] = mm[k]! - target[k]!;
      dot += x[k]! * target[k]!;
    }
    return e.logZ - dot;
  };
  const x0 = opts.init ? paramsToOps(opts.init) : new Float64Array(target.length);
  if (x0.length !== target.length) throw new Error(`inferExactMLE: init has n=${opts.init!.n}, data n=${n}`);
  let x: Float64Array;
  let gradMax: number;
  let iterations: number;
  if (optimizer === 'lbfgs') {
    const r = lbfgs(fg, x0, {
      tol,
      maxIter,
      signal: opts.signal,
      onIter: (it, _f, gm) => opts.onProgress?.(it, maxIter, { gradMax: gm }),
    });
    x = r.x;
    gradMax = r.gradNorm;
    iterations = r.iterations;
  } else {
    const gamma = opts.gamma ?? EXACT_MLE_DEFAULTS.gamma;
    x = x0;
    const g = new Float64Array(x.length);
    gradMax = Infinity;
    iterations = 0;
    for (let it = 0; it < maxIter; it++) {
      if (opts.signal?.aborted) break;
      fg(x, g);
      gradMax = 0;
      for (let k = 0; k < x.length; k++) gradMax = Math.max(gradMax, Math.abs(g[k]!));
      if (gradMax < tol) break;
      for (let k = 0; k < x.length; k++) x[k]! -= gamma * g[k]!;
      iterations++;
      opts.onProgress?.(it + 1, maxIter, { gradMax });
    }
  }
  return {
    params: opsToParams(x, n),
    method: 'mle-exact',
    settings: { optimizer, tol, maxIter, ...(optimizer === 'gd' ? { gamma: opts.gamma ?? EXACT_MLE_DEFAULTS.gamma } : {}) },
    diagnostics: { gradMax, iterations, evaluations: evals, converged: gradMax < tol },
  };
}

/** Defaults of inferMcmcMLE (Boltzmann learning). */
export const MCMC_MLE_DEFAULTS = { gamma: 0.1, iterations: 1000, chains: 256, sweeps: 2 } as const;

export interface McmcMLEOptions extends LoopHooks {
  /** Learning rate γ (default 0.1). */
  gamma?: number;
  iterations?: number;
  /** Persistent chains (default 256). */
  chains?: number;
  /** Metropolis sweeps per chain per iteration (default 2). */
  sweeps?: number;
  /** Initial parameters (default zero). */
  init?: IsingParams;
}

/**
 * Boltzmann learning: θ += γ (⟨ops⟩_data − ⟨ops⟩_chains), with persistent Metropolis chains
 * (persistent contrastive divergence). For n = 40–100 where enumeration is impossible.
 */
export function inferMcmcMLE(data: SpinData, rng: Rng, opts: McmcMLEOptions = {}): InferResultOf<'mle-mcmc'> {
  const { n } = data;
  const gamma = opts.gamma ?? MCMC_MLE_DEFAULTS.gamma;
  const iterations = opts.iterations ?? MCMC_MLE_DEFAULTS.iterations;
  const C = opts.chains ?? MCMC_MLE_DEFAULTS.chains;
  const sweeps = opts.sweeps ?? MCMC_MLE_DEFAULTS.sweeps;
  const dm = dataMoments(data);
  const p: IsingParams = opts.init
    ? { n, b: Float64Array.from(opts.init.b), w: Float64Array.from(opts.init.w) }
    : { n, b: new Float64Array(n), w: new Float64Array(n * n) };
  // Chains start from data rows (as in persistent CD), so early moments are sensible.
  const S = new Int8Array(C * n);
  for (let c = 0; c < C; c++) S.set(data.s.subarray((c % data.m) * n, (c % data.m) * n + n), c * n);
  const mean = new Float64Array(n);
  const corr = new Float64Array(n * n);
  const h = new Float64Array(n);
  let lastGrad = Infinity;
  let acc = 0;
  let prop = 0;
  for (let it = 0; it < iterations; it++) {
    if (opts.signal?.aborted) break;
    mean.fill(0);
    corr.fill(0);
    for (let c = 0; c < C; c++) {
      const off = c * n;
      for (let i = 0; i < n; i++) {
        let v = p.b[i]!;
        for (let j = 0; j < n; j++) v += p.w[i * n + j]! * S[off + j]!;
        h[i] = v;
      }
      for (let t = 0; t < sweeps; t++) {
        for (let i = 0; i < n; i++) {
          const si = S[off + i]!;
          const dE = 2 * si * h[i]!;
          prop++;
          if (dE <= 0 || rng.uniform() < Math.exp(-dE)) {
            S[off + i] = -si;
            acc++;
            const d = -2 * si;
            for (let k = 0; k < n; k++) h[k]! += d * p.w[k * n + i]!;
          }
        }
      }
      for (let i = 0; i < n; i++) {
        const si = S[off + i]!;
        mean[i]! += si;
        for (let j = i + 1; j < n; j++) corr[i * n + j]! += si * S[off + j]!;
      }
    }
    lastGrad = 0;
    for (let i = 0; i < n; i++) {
      const gi = dm.mean[i]! - mean[i]! / C;
      lastGrad = Math.max(lastGrad, Math.abs(gi));
      p.b[i]! += gamma * gi;
      for (let j = i + 1; j < n; j++) {
        const gij = dm.corr[i * n + j]! - corr[i * n + j]! / C;
        lastGrad = Math.max(lastGrad, Math.abs(gij));
        const v = p.w[i * n + j]! + gamma * gij;
        p.w[i * n + j] = v;
        p.w[j * n + i] = v;
      }
    }
    if ((it & 7) === 0 || it === iterations - 1) opts.onProgress?.(it + 1, iterations, { gradMax: lastGrad });
  }
  return {
    params: p,
    method: 'mle-mcmc',
    settings: { gamma, iterations, chains: C, sweeps },
    diagnostics: { lastGradMax: lastGrad, acceptance: prop ? acc / prop : 0 },
  };
}

