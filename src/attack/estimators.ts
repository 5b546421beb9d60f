/**
 * The estimators an attack targets (refitted in full on the attacked data) and the attack
 * losses, evaluated exactly on a refitted estimate.
 */
import { erasureMachine } from '../ising/infer/em.js';
import { inferPLE } from '../ising/infer/ple.js';
import { inferExactMLE } from '../ising/infer/mle.js';
import { inferNMF } from '../ising/infer/meanfield.js';
import { mse } from '../ising/metrics.js';
import type { IsingParams, SpinData } from '../ising/types.js';

export type EstimatorName = 'em' | 'ple' | 'mle' | 'nmf';
export const ESTIMATORS: readonly EstimatorName[] = ['em', 'ple', 'mle', 'nmf'];

/** An estimator: data → θ̂. Throws when the data make it undefined (e.g. nMF with a constant spin). */
export type Estimator = (d: SpinData) => IsingParams;

export function estimatorFor(name: EstimatorName): Estimator {
  switch (name) {
    case 'em': return (d) => erasureMachine(d).params;
    case 'ple': return (d) => inferPLE(d).params;
    case 'mle': return (d) => inferExactMLE(d).params;
    case 'nmf': return (d) => inferNMF(d).params;
    default: throw new Error(`unknown estimator '${String(name)}' (em|ple|mle|nmf)`);
  }
}

/**
 * The attacker's objective, to be maximised:
 *  - change: ‖θ̂(D′) − θ̂(D)‖² over the free parameters (b and the upper triangle of w); needs no truth;
 *  - oracle: MSE(θ̂(D′), θ*) — synthetic data only, an upper bound on what a realistic attacker does;
 *  - target: −sign(ŵ_ij(D))·ŵ_ij(D′), positive once the chosen coupling has flipped sign.
 */
export type AttackLoss =
  | { kind: 'change' }
  | { kind: 'oracle'; truth: IsingParams }
  | { kind: 'target'; i: number; j: number };

/** ‖a − b‖² over b and the upper triangle of w. */
export function paramDistance2(a: IsingParams, b: IsingParams): number {
  const n = a.n;
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += (a.b[i]! - b.b[i]!) ** 2;
    for (let j = i + 1; j < n; j++) s += (a.w[i * n + j]! - b.w[i * n + j]!) ** 2;
  }
  return s;
}

export function targetSign(clean: IsingParams, i: number, j: number): number {
  return clean.w[i * clean.n + j]! < 0 ? -1 : 1;
}

/** The attack loss of an estimate θ′ = θ̂(D′), given the clean estimate θ̂(D). */
export function attackLossValue(loss: AttackLoss, attacked: IsingParams, clean: IsingParams): number {
  switch (loss.kind) {
    case 'change': return paramDistance2(attacked, clean);
    case 'oracle': return mse(loss.truth, attacked).mse;
    case 'target': return -targetSign(clean, loss.i, loss.j) * attacked.w[loss.i * attacked.n + loss.j]!;
    default: throw new Error(`unknown attack loss '${String((loss as { kind: string }).kind)}'`);
  }
}

export function checkLoss(loss: AttackLoss, n: number): void {
  if (loss.kind === 'target') {
    const { i, j } = loss;
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < n && j < n && i !== j)) {
      throw new Error(`target coupling (${i}, ${j}) must be two different spins in 0..${n - 1}`);
    }
  }
  if (loss.kind === 'oracle' && loss.truth.n !== n) throw new Error(`oracle loss: the true parameters have n=${loss.truth.n}, the data n=${n}`);
}
