/**
 * Markov-chain samplers: single-spin Metropolis and Gibbs (heat bath) with many independent
 * chains, burn-in and thinning, and parallel tempering (replica exchange over a β ladder) for
 * rough landscapes (SK with g ≥ 2). Local fields are kept up to date, so a flip costs O(n).
 */
import type { Rng } from '../random/index.js';
import { at } from '../util/checked.js';
import type { IsingParams, LoopHooks, SpinData } from './types.js';

export interface McmcOptions extends LoopHooks {
  sampler?: 'gibbs' | 'metropolis';
  /** Independent chains (samples are split evenly over them). Default 16. */
  chains?: number;
  /** Sweeps (n spin updates each) discarded at the start of each chain. Default 1000. */
  burnIn?: number;
  /** Sweeps between kept samples. Default 10. */
  thin?: number;
}

export interface McmcResult {
  data: SpinData;
  /** Fraction of proposed single-spin flips accepted (Gibbs: fraction of updates that flipped). */
  acceptance: number;
  /** Parallel tempering only: acceptance of swaps between neighbouring temperatures. */
  swapAcceptance?: number[];
  betas?: number[];
}

/** One chain's state: spins and local fields h_i = b_i + Σ_j w_ij s_j. */
class Chain {
  readonly s: Int8Array;
  readonly h: Float64Array;
  constructor(readonly p: IsingParams, rng: Rng) {
    const n = p.n;
    this.s = new Int8Array(n);
    for (let i = 0; i < n; i++) this.s[i] = rng.spin();
    this.h = new Float64Array(n);
    this.refresh();
  }
  refresh(): void {
    const { n, b, w } = this.p;
    for (let i = 0; i < n; i++) {
      let v = b[i]!;
      for (let j = 0; j < n; j++) v += w[i * n + j]! * this.s[j]!;
      this.h[i] = v;
    }
  }
  flip(i: number): void {
    const { n, w } = this.p;
    const d = -2 * this.s[i]!;
    this.s[i] = -this.s[i]!;
    const h = this.h;
    for (let k = 0; k < n; k++) h[k]! += d * w[k * n + i]!;
  }
  energy(): number {
    // E = −Σ b s − ½ Σ_{i≠j} w s s = −½ Σ_i s_i (h_i + b_i)
    const { n, b } = this.p;
    let e = 0;
    for (let i = 0; i < n; i++) e -= 0.5 * this.s[i]! * (this.h[i]! + b[i]!);
    return e;
  }
  /** One sweep at inverse temperature beta; returns accepted flips. */
  sweep(rng: Rng, gibbs: boolean, beta = 1): number {
    const n = this.p.n;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const si = this.s[i]!;
      const dE = 2 * si * this.h[i]!; // energy change of flipping s_i
      if (gibbs) {
        // Heat bath: s_i = +1 with probability 1/(1+e^{−2βh_i}).
        const pUp = 1 / (1 + Math.exp(-2 * beta * this.h[i]!));
        const next = rng.uniform() < pUp ? 1 : -1;
        if (next !== si) {
          this.flip(i);
          acc++;
        }
      } else if (dE <= 0 || rng.uniform() < Math.exp(-beta * dE)) {
        this.flip(i);
        acc++;
      }
    }
    return acc;
  }
}

function checkCounts(m: number, chains: number, burnIn: number, thin: number) {
  if (!(Number.isInteger(m) && m >= 1)) throw new Error(`mcmc: samples must be a positive integer, got ${m}`);
  if (!(Number.isInteger(chains) && chains >= 1)) throw new Error(`mcmc: chains must be a positive integer, got ${chains}`);
  if (!(Number.isInteger(burnIn) && burnIn >= 0)) throw new Error(`mcmc: burnIn must be an integer ≥ 0, got ${burnIn}`);
  if (!(Number.isInteger(thin) && thin >= 1)) throw new Error(`mcmc: thin must be a positive integer, got ${thin}`);
}

/** m samples from p(s) ∝ exp(−E(s)) by Metropolis or Gibbs sweeps over independent chains. */
export function sampleMcmc(p: IsingParams, m: number, rng: Rng, opts: McmcOptions = {}): McmcResult {
  const chains = Math.min(opts.chains ?? 16, m);
  const burnIn = opts.burnIn ?? 1000;
  const thin = opts.thin ?? 10;
  checkCounts(m, chains, burnIn, thin);
  const gibbs = (opts.sampler ?? 'metropolis') === 'gibbs';
  const n = p.n;
  const s = new Int8Array(m * n);
  let accepted = 0;
  let proposed = 0;
  const perChain = Math.ceil(m / chains);
  const totalSweeps = chains * (burnIn + perChain * thin);
  let sweeps = 0;
  let row = 0;
  for (const r of rng.splitN(chains)) {
    if (row >= m) break;
    const ch = new Chain(p, r);
    const tick = () => {
      if (++sweeps % 64 === 0) {
        if (opts.signal?.aborted) throw new Error('mcmc: aborted');
        opts.onProgress?.(sweeps, totalSweeps);
      }
      if (sweeps % 4096 === 0) ch.refresh(); // recompute fields: keeps rounding drift bounded
    };
    for (let t = 0; t < burnIn; t++) {
      ch.sweep(r, gibbs);
      tick();
    }
    for (let k = 0; k < perChain && row < m; k++) {
      for (let t = 0; t < thin; t++) {
        accepted += ch.sweep(r, gibbs);
        proposed += n;
        tick();
      }
      s.set(ch.s, row * n);
      row++;
    }
  }
  opts.onProgress?.(totalSweeps, totalSweeps);
  return { data: { n, m, s }, acceptance: proposed > 0 ? accepted / proposed : 0 };
}

export interface TemperingOptions extends LoopHooks {
  /** Inverse temperatures, the first must be 1 (the target). Default: 12 geometric steps 1 → 0.2. */
  betas?: number[];
  burnIn?: number;
  thin?: number;
  /** Independent tempering runs (each with its own ladder). Default 4. */
  chains?: number;
}

/** Geometric ladder from 1 down to betaMin. */
export function geometricBetas(k: number, betaMin: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(k === 1 ? 1 : Math.pow(betaMin, i / (k - 1)));
  return out;
}

/**
 * Parallel tempering: replicas at each β do Metropolis sweeps; after every sweep neighbouring
 * replicas swap with probability min(1, exp((β_a − β_b)(E_a − E_b))). Samples come from β = 1.
 */
export function sampleTempering(p: IsingParams, m: number, rng: Rng, opts: TemperingOptions = {}): McmcResult {
  const betas = opts.betas ?? geometricBetas(12, 0.2);
  if (betas[0] !== 1) throw new Error('sampleTempering: betas[0] must be 1 (the target temperature)');
  const burnIn = opts.burnIn ?? 500;
  const thin = opts.thin ?? 5;
  const chains = Math.min(opts.chains ?? 4, m);
  checkCounts(m, chains, burnIn, thin);
  const n = p.n;
  const R = betas.length;
  const s = new Int8Array(m * n);
  const swapAcc = new Float64Array(Math.max(0, R - 1));
  const swapTry = new Float64Array(Math.max(0, R - 1));
  let accepted = 0;
  let proposed = 0;
  const perChain = Math.ceil(m / chains);
  const totalSweeps = chains * (burnIn + perChain * thin);
  let sweeps = 0;
  let row = 0;
  for (const r of rng.splitN(chains)) {
    if (row >= m) break;
    const reps = betas.map(() => new Chain(p, r));
    const step = (count: boolean) => {
      for (const [k, ch] of reps.entries()) {
        const a = ch.sweep(r, false, betas[k]);
        if (count && k === 0) {
          accepted += a;
          proposed += n;
        }
      }
      for (let k = 0; k + 1 < R; k++) {
        const a = at(reps, k, 'replicas');
        const b = at(reps, k + 1, 'replicas');
        const ea = a.energy();
        const eb = b.energy();
        const logA = (at(betas, k, 'betas') - at(betas, k + 1, 'betas')) * (ea - eb);
        swapTry[k]!++;
        if (logA >= 0 || r.uniform() < Math.exp(logA)) {
          reps[k] = b;
          reps[k + 1] = a;
          swapAcc[k]!++;
        }
      }
      if (++sweeps % 64 === 0) {
        if (opts.signal?.aborted) throw new Error('sampleTempering: aborted');
        opts.onProgress?.(sweeps, totalSweeps);
      }
    };
    for (let t = 0; t < burnIn; t++) step(false);
    for (let k = 0; k < perChain && row < m; k++) {
      for (let t = 0; t < thin; t++) step(true);
      s.set(at(reps, 0, 'replicas').s, row * n);
      row++;
    }
  }
  return {
    data: { n, m, s },
    acceptance: proposed > 0 ? accepted / proposed : 0,
    swapAcceptance: Array.from(swapAcc, (a, k) => a / Math.max(1, swapTry[k]!)),
    betas,
  };
}
