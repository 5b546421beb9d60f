/**
 * Differentiable surrogates of inverse-Ising estimators as functions of a relaxed flip mask
 * S ∈ [0,1]^{M×n}, written with the project's autograd (float64).
 *
 * Relaxation: the attacked data are D′ = D ⊙ (1 − 2S) at the vertices S ∈ {0,1}; for a relaxed S
 * we use the moments D′ has in expectation when each spin is flipped independently with
 * probability S_mi: ⟨s_i⟩ = mean_m x_mi(1 − 2S_mi), ⟨s_i s_j⟩ = mean_m x′_mi x′_mj for i ≠ j and
 * ⟨s_i²⟩ = 1. Random flips at rate p are S ≡ p, so the relaxed correlations shrink by exactly
 * (1 − 2p)², like the data's.
 *  - nmf: naive mean field, J = −(C⁻¹) off the diagonal;
 *  - tap: TAP, J = −2c / (1 + √(1 − 8 c m_i m_j)) with c = (C⁻¹)_ij (the root that tends to nMF;
 *    written without the 1/(m_i m_j) of the textbook form, so it is smooth at m = 0);
 *  - ple: K unrolled gradient steps on the pseudo-likelihood of the relaxed data, from the
 *    estimate θ̂(D) (fields and couplings).
 * The nmf and tap surrogates give couplings only (their fields need atanh of the relaxed means).
 */
import { Tensor, tensor, zeros } from '../tensor/index.js';
import {
  add, sub, mul, div, matmul, mean, reshape, transpose, inverse, sqrt, relu, sigmoid, sum,
} from '../autograd/index.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import { dims } from '../util/checked.js';

export type SurrogateName = 'nmf' | 'tap' | 'ple';
export const SURROGATES: readonly SurrogateName[] = ['nmf', 'tap', 'ple'];

/** What a surrogate returns: couplings J (n×n, symmetric, zero diagonal) and, if it has them, fields h (n). */
export interface SurrogateOut {
  J: Tensor;
  h: Tensor | null;
}

export interface SurrogateOptions {
  /** The estimate θ̂(D) on the clean data: the start of the unrolled PLE steps (required for 'ple'). */
  start?: IsingParams;
  /** Unrolled PLE steps (default 5) and their step size (default 0.5). */
  steps?: number;
  stepSize?: number;
}

/** The clean data as an M×n float64 tensor of ±1. */
export function dataTensor(d: SpinData): Tensor {
  const x = zeros([d.m, d.n], 'float64');
  x.data.set(d.s);
  return x;
}

function offDiagMask(n: number): Tensor {
  const t = zeros([n, n], 'float64');
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) t.data[i * n + j] = 1;
  return t;
}

function eye(n: number): Tensor {
  const t = zeros([n, n], 'float64');
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

/** x′ = x ⊙ (1 − 2S): the expected spins under independent flips with probabilities S. */
export function relaxedData(x: Tensor, S: Tensor): Tensor {
  return sub(x, mul(mul(x, S), 2));
}

/** Expected mean (n) and connected correlations C (n×n) of the relaxed data. */
export function relaxedMoments(xr: Tensor): { m: Tensor; C: Tensor } {
  const [M, n] = dims(xr.shape, 2, 'relaxed data');
  const m = mean(xr, 0);
  const corr = add(mul(mul(matmul(xr, xr, true, false), 1 / M), offDiagMask(n)), eye(n));
  const outer = matmul(reshape(m, [n, 1]), reshape(m, [1, n]));
  return { m, C: sub(corr, outer) };
}

function symOff(a: Tensor, n: number): Tensor {
  return mul(mul(add(a, transpose(a)), 0.5), offDiagMask(n));
}

/** nMF couplings of the relaxed data. */
export function nmfSurrogate(x: Tensor, S: Tensor): SurrogateOut {
  const [, n] = dims(x.shape, 2, 'relaxed data x');
  const { C } = relaxedMoments(relaxedData(x, S));
  return { J: mul(symOff(inverse(C), n), -1), h: null };
}

/** TAP couplings of the relaxed data. */
export function tapSurrogate(x: Tensor, S: Tensor): SurrogateOut {
  const [, n] = dims(x.shape, 2, 'relaxed data x');
  const { m, C } = relaxedMoments(relaxedData(x, S));
  const c = symOff(inverse(C), n);
  const mm = matmul(reshape(m, [n, 1]), reshape(m, [1, n]));
  // 1 − 8 c m_i m_j, kept ≥ 1e-12 (where it is negative inferTAP falls back to nMF; the surrogate to −2c)
  const disc = add(relu(sub(sub(1, mul(mul(c, mm), 8)), 1e-12)), 1e-12);
  return { J: mul(div(mul(c, -2), add(sqrt(disc), 1)), offDiagMask(n)), h: null };
}

/**
 * K gradient steps of the pseudo-likelihood of the relaxed data, from `start`:
 * ℓ = mean_m Σ_i log(1 + exp(−2 x_mi H_mi)), H = h + x J; dℓ/dH_mi = −2 x_mi σ(−2 x_mi H_mi) =: A_mi,
 * ∂ℓ/∂h = mean_m A, ∂ℓ/∂J_ij = mean_m (A_mi x_mj + A_mj x_mi) (J symmetric, zero diagonal).
 */
export function pleSurrogate(x: Tensor, S: Tensor, start: IsingParams, steps = 5, stepSize = 0.5): SurrogateOut {
  const [M, n] = dims(x.shape, 2, 'pleSurrogate data');
  if (start.n !== n) throw new Error(`pleSurrogate: start has n=${start.n}, data n=${n}`);
  const xr = relaxedData(x, S);
  const mask = offDiagMask(n);
  let J = tensor(Array.from(start.w), { dtype: 'float64', shape: [n, n] });
  let h = tensor(Array.from(start.b), { dtype: 'float64', shape: [1, n] });
  for (let t = 0; t < steps; t++) {
    const H = add(matmul(xr, J), h);
    const A = mul(mul(xr, sigmoid(mul(mul(xr, H), -2))), -2);
    const gh = mul(sum(A, 0, true), 1 / M);
    const gJ = mul(mul(matmul(A, xr, true, false), 1 / M), mask);
    J = sub(J, mul(add(gJ, transpose(gJ)), stepSize));
    h = sub(h, mul(gh, stepSize));
  }
  return { J, h: reshape(h, [n]) };
}

/** Run the named surrogate. */
export function runSurrogate(name: SurrogateName, x: Tensor, S: Tensor, o: SurrogateOptions = {}): SurrogateOut {
  switch (name) {
    case 'nmf': return nmfSurrogate(x, S);
    case 'tap': return tapSurrogate(x, S);
    case 'ple':
      if (!o.start) throw new Error('pleSurrogate needs the clean estimate θ̂(D) as its start');
      return pleSurrogate(x, S, o.start, o.steps, o.stepSize);
    default: throw new Error(`unknown surrogate '${String(name)}' (nmf|tap|ple)`);
  }
}
