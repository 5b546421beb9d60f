/** Metrics of inference: MSE over the free parameters, correlation, and energy statistics. */
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
    mx += x[k]!;
    my += y[k]!;
  }
  mx /= m;
  my /= m;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < m; k++) {
    const a = x[k]! - mx;
    const c = y[k]! - my;
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
  for (let k = 0; k < e.length; k++) mean += e[k]!;
  mean /= e.length;
  let v = 0;
  for (let k = 0; k < e.length; k++) v += (e[k]! - mean) ** 2;
  return { mean, variance: v / e.length };
}
