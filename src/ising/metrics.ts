/** Metrics of inference: MSE over the free parameters, correlation, and energy statistics. */
import { at } from '../util/checked.js';
import { energies } from './model.js';
import type { IsingParams, SpinData } from './types.js';

/**
 * Mean squared error over the n + n(n-1)/2 free parameters (all b_i and the upper triangle of
 * w), plus the b part (mean over n) and the w part (mean over n(n-1)/2).
 */
export function mse(trueP: IsingParams, inferred: IsingParams): { mse: number; mse_b: number; mse_w: number } {
  const n = trueP.n;
  if (inferred.n !== n) throw new Error(`mse: true params have n=${n} but inferred have n=${inferred.n}`);
  let sb = 0;
  let sw = 0;
  for (let i = 0; i < n; i++) {
    const d = trueP.b[i]! - inferred.b[i]!;
    sb += d * d;
    for (let j = i + 1; j < n; j++) {
      const e = trueP.w[i * n + j]! - inferred.w[i * n + j]!;
      sw += e * e;
    }
  }
  const nw = (n * (n - 1)) / 2;
  return { mse: (sb + sw) / (n + nw), mse_b: sb / n, mse_w: nw > 0 ? sw / nw : 0 };
}

/** Pearson correlation between true and inferred free parameters (b and upper-triangle w). */
export function paramCorrelation(trueP: IsingParams, inferred: IsingParams): number {
  const n = trueP.n;
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(trueP.b[i]!);
    y.push(inferred.b[i]!);
    for (let j = i + 1; j < n; j++) {
      x.push(trueP.w[i * n + j]!);
      y.push(inferred.w[i * n + j]!);
    }
  }
  return pearson(x, y);
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const m = x.length;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < m; k++) {
    mx += at(x, k, 'pearson x');
    my += at(y, k, 'pearson y');
  }
  mx /= m;
  my /= m;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < m; k++) {
    const a = at(x, k, 'pearson x') - mx;
    const c = at(y, k, 'pearson y') - my;
    sxy += a * c;
    sxx += a * a;
    syy += c * c;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Mean and (population) variance of the energies of a data set under params: the stopping rule's statistic. */
export function energyStats(p: IsingParams, data: SpinData): { mean: number; variance: number } {
  const e = energies(p, data);
  let mean = 0;
  for (const x of e) mean += x;
  mean /= e.length;
  let v = 0;
  for (const x of e) v += (x - mean) ** 2;
  return { mean, variance: v / e.length };
}

export interface SupportScore {
  /** F1 = 2·TP / (2·TP + FP + FN) over the n(n−1)/2 pairs. */
  f1: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
  /** The |ŵ_ij| threshold that was used. */
  threshold: number;
}

/**
 * Structure recovery: the true edges are the pairs with w_ij ≠ 0; the predicted ones those with
 * |ŵ_ij| > threshold. The default threshold is half the weakest true coupling, κ/2 — the rule of
 * Lokhov et al. (2018) for reading a graph off any estimator (the truth fixes only the scoring
 * threshold, never the estimate).
 */
export function supportF1(trueP: IsingParams, inferred: IsingParams, threshold?: number): SupportScore {
  const n = trueP.n;
  if (inferred.n !== n) throw new Error(`supportF1: true params have n=${n} but inferred have n=${inferred.n}`);
  let kappa = Infinity;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const v = Math.abs(trueP.w[i * n + j]!);
    if (v > 0 && v < kappa) kappa = v;
  }
  const thr = threshold ?? (Number.isFinite(kappa) ? kappa / 2 : 0);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const t = trueP.w[i * n + j] !== 0;
    const p = Math.abs(inferred.w[i * n + j]!) > thr;
    if (t && p) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  const denom = 2 * tp + fp + fn;
  return {
    f1: denom === 0 ? 1 : (2 * tp) / denom,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    tp, fp, fn, threshold: thr,
  };
}
