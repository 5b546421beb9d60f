/**
 * Restricted Boltzmann machine baseline (paper App. A: 20 hidden units for n = 40, CD-1,
 * learning rate 0.05, momentum 0.5, weight decay 1e-4). Bernoulli visible and hidden units on
 * v = (s + 1)/2; plain float64 typed arrays, no autograd: the CD-1 gradient is closed-form.
 *   p(v, h) ∝ exp(aᵀv + cᵀh + hᵀWv),  p(h_j = 1 | v) = σ(c_j + W_j·v),  p(v_i = 1 | h) = σ(a_i + W_·iᵀh)
 */
import { Rng } from '../random/index.js';
import { makeSpinData, type SpinData } from '../ising/types.js';
import type { FitHistory, FitHooks, GenerativeModel } from './types.js';

export interface RBMOptions {
  hidden?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  epochs?: number;
  batchSize?: number;
  /** Gibbs steps of contrastive divergence (CD-k). */
  cdSteps?: number;
}

export const RBM_DEFAULTS: Required<RBMOptions> = { hidden: 20, lr: 0.05, momentum: 0.5, weightDecay: 1e-4, epochs: 100, batchSize: 32, cdSteps: 1 };

export interface RBMSampleOptions {
  /** Gibbs sweeps before the first sample of each chain. */
  burnIn?: number;
  /** Gibbs sweeps between consecutive samples of one chain. */
  thin?: number;
  /** Parallel chains (each started from a random visible configuration). */
  chains?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export class RBM implements GenerativeModel {
  readonly name = 'rbm';
  /** W is hidden × visible, row-major. */
  constructor(
    readonly n: number,
    readonly nh: number,
    readonly W: Float64Array,
    readonly a: Float64Array,
    readonly c: Float64Array,
  ) {}

  static init(n: number, nh: number, rng: Rng): RBM {
    const W = new Float64Array(nh * n);
    for (let i = 0; i < W.length; i++) W[i] = rng.normal(0, 0.01);
    return new RBM(n, nh, W, new Float64Array(n), new Float64Array(nh));
  }

  /** Hidden probabilities for visible v (0/1). */
  hiddenProbs(v: Float64Array, out: Float64Array): Float64Array {
    const { n, nh, W, c } = this;
    if (v.length !== n || out.length !== nh) throw new RangeError(`RBM.hiddenProbs: v has ${v.length} entries and out ${out.length}, need ${n} and ${nh}`);
    for (let j = 0; j < nh; j++) {
      let s = c[j]!;
      const o = j * n;
      for (let i = 0; i < n; i++) s += W[o + i]! * v[i]!;
      out[j] = sigmoid(s);
    }
    return out;
  }

  visibleProbs(h: Float64Array, out: Float64Array): Float64Array {
    const { n, nh, W, a } = this;
    if (h.length !== nh || out.length !== n) throw new RangeError(`RBM.visibleProbs: h has ${h.length} entries and out ${out.length}, need ${nh} and ${n}`);
    out.set(a);
    for (let j = 0; j < nh; j++) {
      const hj = h[j]!;
      if (hj === 0) continue;
      const o = j * n;
      for (let i = 0; i < n; i++) out[i]! += W[o + i]! * hj;
    }
    for (let i = 0; i < n; i++) out[i] = sigmoid(out[i]!);
    return out;
  }

  /** Free energy F(v) = -aᵀv - Σ_j softplus(c_j + W_j·v); p(v) ∝ exp(-F(v)). */
  freeEnergy(v: Float64Array): number {
    const { n, nh, W, a, c } = this;
    if (v.length !== n) throw new RangeError(`RBM.freeEnergy: v has ${v.length} entries, need ${n}`);
    let f = 0;
    for (let i = 0; i < n; i++) f -= a[i]! * v[i]!;
    for (let j = 0; j < nh; j++) {
      let x = c[j]!;
      const o = j * n;
      for (let i = 0; i < n; i++) x += W[o + i]! * v[i]!;
      f -= x > 30 ? x : Math.log1p(Math.exp(x));
    }
    return f;
  }

  /** Block Gibbs sampling from parallel chains, burn-in and thinning; returns ±1 spins. */
  sample(m: number, rng: Rng, opts: RBMSampleOptions = {}): SpinData {
    const { n, nh } = this;
    const burnIn = opts.burnIn ?? 200;
    const thin = opts.thin ?? 10;
    const chains = Math.max(1, Math.min(m, opts.chains ?? 500));
    const out = new Int8Array(m * n);
    const v = new Float64Array(chains * n);
    for (let k = 0; k < v.length; k++) v[k] = rng.uniform() < 0.5 ? 1 : 0;
    const ph = new Float64Array(nh);
    const h = new Float64Array(nh);
    const pv = new Float64Array(n);
    const sweep = (k: number) => {
      const vk = v.subarray(k * n, (k + 1) * n);
      this.hiddenProbs(vk, ph);
      for (let j = 0; j < nh; j++) h[j] = rng.uniform() < ph[j]! ? 1 : 0;
      this.visibleProbs(h, pv);
      for (let i = 0; i < n; i++) vk[i] = rng.uniform() < pv[i]! ? 1 : 0;
    };
    for (let k = 0; k < chains; k++) for (let t = 0; t < burnIn; t++) sweep(k);
    let filled = 0;
    while (filled < m) {
      for (let k = 0; k < chains && filled < m; k++) {
        for (let t = 0; t < thin; t++) sweep(k);
        for (let i = 0; i < n; i++) out[filled * n + i] = v[k * n + i]! > 0 ? 1 : -1;
        filled++;
      }
    }
    return makeSpinData(n, m, out);
  }
}

/** Train an RBM by CD-k with momentum and L2 weight decay on minibatches (data as ±1 spins). */
export function fitRBM(data: SpinData, rng: Rng, opts: RBMOptions = {}, hooks: FitHooks = {}): { model: RBM; history: FitHistory } {
  const o = { ...RBM_DEFAULTS, ...opts };
  const { n, m } = data;
  const nh = o.hidden;
  const rbm = RBM.init(n, nh, rng);
  const { W, a, c } = rbm;
  // Visible biases start at the log-odds of the data marginals (Hinton's practical guide).
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let mu = 0; mu < m; mu++) p += data.s[mu * n + i]! > 0 ? 1 : 0;
    p = Math.min(Math.max(p / m, 1e-3), 1 - 1e-3);
    a[i] = Math.log(p / (1 - p));
  }
  const vW = new Float64Array(W.length);
  const va = new Float64Array(n);
  const vc = new Float64Array(nh);
  const gW = new Float64Array(W.length);
  const ga = new Float64Array(n);
  const gc = new Float64Array(nh);
  const v0 = new Float64Array(n);
  const ph0 = new Float64Array(nh);
  const h = new Float64Array(nh);
  const vk = new Float64Array(n);
  const phk = new Float64Array(nh);
  const history: FitHistory = { epochs: [], loss: [] };
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  for (let ep = 0; ep < o.epochs; ep++) {
    if (hooks.signal?.aborted) break;
    rng.shuffle(order);
    let recon = 0;
    for (let start = 0; start < m; start += o.batchSize) {
      const end = Math.min(m, start + o.batchSize);
      const B = end - start;
      gW.fill(0);
      ga.fill(0);
      gc.fill(0);
      for (let b = start; b < end; b++) {
        const mu = order[b]!;
        for (let i = 0; i < n; i++) v0[i] = data.s[mu * n + i]! > 0 ? 1 : 0;
        rbm.hiddenProbs(v0, ph0);
        vk.set(v0);
        phk.set(ph0);
        for (let k = 0; k < o.cdSteps; k++) {
          for (let j = 0; j < nh; j++) h[j] = rng.uniform() < phk[j]! ? 1 : 0;
          rbm.visibleProbs(h, vk);
          for (let i = 0; i < n; i++) vk[i] = rng.uniform() < vk[i]! ? 1 : 0;
          rbm.hiddenProbs(vk, phk);
        }
        // Positive phase minus negative phase, with hidden probabilities (less noise).
        for (let j = 0; j < nh; j++) {
          const o0 = j * n;
          const p0 = ph0[j]!;
          const pk = phk[j]!;
          for (let i = 0; i < n; i++) gW[o0 + i]! += p0 * v0[i]! - pk * vk[i]!;
          gc[j]! += p0 - pk;
        }
        for (let i = 0; i < n; i++) {
          ga[i]! += v0[i]! - vk[i]!;
          recon += (v0[i]! - vk[i]!) ** 2;
        }
      }
      const lr = o.lr / B;
      for (let k = 0; k < W.length; k++) {
        const u = o.momentum * vW[k]! + lr * gW[k]! - o.lr * o.weightDecay * W[k]!;
        vW[k] = u;
        W[k]! += u;
      }
      for (let i = 0; i < n; i++) {
        const u = o.momentum * va[i]! + lr * ga[i]!;
        va[i] = u;
        a[i]! += u;
      }
      for (let j = 0; j < nh; j++) {
        const u = o.momentum * vc[j]! + lr * gc[j]!;
        vc[j] = u;
        c[j]! += u;
      }
    }
    history.epochs.push(ep + 1);
    history.loss.push(recon / (m * n));
    hooks.onProgress?.(ep + 1, o.epochs, { recon: recon / (m * n) });
  }
  return { model: rbm, history };
}

/** Exact visible distribution of a small RBM by enumeration (pattern index bit i ↔ spin i = +1). */
export function rbmExactProbs(rbm: RBM): Float64Array {
  const { n } = rbm;
  if (n > 20) throw new Error(`rbmExactProbs: n = ${n} is too large to enumerate (≤ 20)`);
  const K = 1 << n;
  const logp = new Float64Array(K);
  const v = new Float64Array(n);
  let max = -Infinity;
  for (let x = 0; x < K; x++) {
    for (let i = 0; i < n; i++) v[i] = (x >> i) & 1;
    logp[x] = -rbm.freeEnergy(v);
    if (logp[x]! > max) max = logp[x]!;
  }
  let z = 0;
  for (let x = 0; x < K; x++) z += logp[x] = Math.exp(logp[x]! - max);
  for (let x = 0; x < K; x++) logp[x]! /= z;
  return logp;
}
