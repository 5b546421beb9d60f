/**
 * Masked (absorbing-state) diffusion for ±1 spins, after MDLM (Sahoo et al. 2024) / MD4 (Shi et
 * al. 2024), with the linear schedule α_t = 1 − t, t ∈ [0, 1]:
 *   forward   z_t: each spin kept with probability α_t, else masked (state 0 here);
 *   network   p_θ(x_i | z_t) for every site (2 logits per spin); unmasked sites are carried over;
 *   loss      NELBO(x) = E_{t~U(0,1)} [ (−α'_t/(1−α_t)) Σ_{i masked} −log p_θ(x_i | z_t) ]
 *             = E_t [ (1/t) Σ_{i masked} CE_i ]   (t stratified over the minibatch as in MDLM);
 *   sampling  from all-masked, step t → s < t unmasks each masked site with probability
 *             (α_s − α_t)/(1 − α_t) and draws it from p_θ(· | z_t).
 * For an absorbing process the exact p(x_i | z_t) depends on z_t only (the unmasked values), not
 * on t, so the network gets no time input (step 0 always). Integrating t out of the NELBO gives
 * Σ_{S ⊆ [n], S ≠ ∅} (|S|−1)!(n−|S|)!/n! Σ_{i∈S} −log p_θ(x_i | x_{S^c}) — the any-order
 * autoregressive loss; with the exact conditionals plugged in it equals −log p(x) for every x
 * (maskedNelboExact, the oracle of the tests).
 *
 * Network input per row: [x·(1−m) | m] (channels value and mask, n each): after the first Linear
 * this is the same as a 3-state one-hot {−1, +1, mask}. Output: [ℓ₋ | ℓ₊] per spin.
 */
import type { Rng } from '../../random/index.js';
import type { Tensor } from '../../tensor/index.js';
import { fromStorage } from '../../tensor/index.js';
import { logSigmoid, matmul, mul, neg, sum } from '../../autograd/index.js';
import { at } from '../../util/checked.js';
import type { NoiseMLP } from '../network.js';
import { floatArray } from '../samplers.js';

/** Masked state of a site in z (values −1, +1 or MASK). */
export const MASK = 0;

/** α_t = 1 − t: the probability that a spin is still unmasked at time t. */
export function maskedAlpha(t: number): number {
  return 1 - t;
}

/**
 * Forward process q(z_t | x): each spin independently masked with probability 1 − α_t.
 * Writes z (values ±1 or MASK) for B rows with one t per row.
 */
export function maskForward(spins: ArrayLike<number>, t: ArrayLike<number>, rng: Rng, out?: Int8Array): Int8Array {
  const B = t.length, n = spins.length / B;
  const x0 = floatArray(spins);
  const z = out ?? new Int8Array(x0.length);
  for (let b = 0; b < B; b++) {
    const pMask = 1 - maskedAlpha(at(t, b, 'times t'));
    for (let i = b * n; i < (b + 1) * n; i++) z[i] = rng.uniform() < pMask ? MASK : x0[i]! < 0 ? -1 : 1;
  }
  return z;
}

/** The network input for masked states z (B×n): [value (0 where masked) | mask indicator]. */
export function maskedInput(z: Int8Array, B: number, out?: Float32Array): Float32Array {
  const n = z.length / B;
  const x = out ?? new Float32Array(2 * z.length);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) {
      const v = z[b * n + i]!;
      x[2 * n * b + i] = v;
      x[2 * n * b + n + i] = v === MASK ? 1 : 0;
    }
  }
  return x;
}

/** [2n, n] matrix D with (ℓ₋ | ℓ₊)·D = ℓ₊ − ℓ₋ = logit of p(x_i = +1), per row. */
export function logitDifferenceMatrix(n: number): Tensor {
  const d = new Float32Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    d[i * n + i] = -1;
    d[(n + i) * n + i] = 1;
  }
  return fromStorage(d, [2 * n, n]);
}

/**
 * The per-site weights of the stratified continuous-time estimator for a minibatch: t_b, the
 * mask, and w_bi = 1(masked)/t_b. Exposed so tests can plug exact conditionals into the same
 * estimator the trainer differentiates.
 */
export function maskedLossDraw(x0: ArrayLike<number>, B: number, rng: Rng): { t: Float64Array; z: Int8Array; weight: Float32Array } {
  const n = x0.length / B;
  // Low-discrepancy t (MDLM): one uniform offset, B strata. t ≥ 1e-12 keeps 1/t finite in
  // float32; the mass cut off changes the expectation by O(1e-12).
  const u = rng.uniform();
  const t = new Float64Array(B);
  for (let b = 0; b < B; b++) t[b] = Math.max((b + u) / B, 1e-12);
  const z = maskForward(x0, t, rng);
  const weight = new Float32Array(B * n);
  for (let b = 0; b < B; b++) for (let i = b * n; i < (b + 1) * n; i++) weight[i] = z[i] === MASK ? 1 / t[b]! : 0;
  return { t, z, weight };
}

/**
 * Minibatch NELBO per spin (nats): (1/(B·n)) Σ_b (1/t_b) Σ_{i masked} −log p_θ(x_i | z_{t_b}).
 * Random draws (in order): t offset, then the masks.
 */
export function maskedLoss(net: NoiseMLP, x0: Float32Array, B: number, rng: Rng): Tensor {
  const n = x0.length / B;
  const { z, weight } = maskedLossDraw(x0, B, rng);
  const logits = net.forward(fromStorage(maskedInput(z, B), [B, 2 * n]), new Int32Array(B));
  const d = matmul(logits, logitDifferenceMatrix(n));
  const ll = logSigmoid(mul(d, fromStorage(x0, [B, n]))); // log p_θ(x_i | z)
  return mul(neg(sum(mul(ll, fromStorage(weight, [B, n])))), 1 / (B * n));
}

/** log(1 + e^{−|z|}) − max(−z, 0) = log σ(z), in float64. */
export function logSigmoid64(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

/** A conditional model: log-odds ℓ_i = log p(x_i=+1 | z)/p(x_i=−1 | z) for every site of one state z. */
export type ConditionalLogits = (z: Int8Array) => ArrayLike<number>;

/**
 * The exact NELBO of one configuration x under a conditional model, t integrated out:
 * Σ_{S≠∅} (|S|−1)!(n−|S|)!/n! Σ_{i∈S} −log p(x_i | x_{S^c}). Enumerates all 2^n − 1 mask sets (n ≤ 16).
 */
export function maskedNelboExact(x: ArrayLike<number>, cond: ConditionalLogits): number {
  const n = x.length;
  if (n > 16) throw new Error(`maskedNelboExact: n=${n} > 16 (2^n mask sets)`);
  const logFact = new Float64Array(n + 1);
  for (let k = 1; k <= n; k++) logFact[k] = logFact[k - 1]! + Math.log(k);
  const z = new Int8Array(n);
  let total = 0;
  for (let S = 1; S < 1 << n; S++) {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const masked = (S >> i) & 1;
      z[i] = masked ? MASK : at(x, i, 'configuration x') < 0 ? -1 : 1;
      k += masked;
    }
    const w = Math.exp(logFact[k - 1]! + logFact[n - k]! - logFact[n]!);
    const l = cond(z);
    let ce = 0;
    for (let i = 0; i < n; i++) if ((S >> i) & 1) ce -= logSigmoid64((at(x, i, 'configuration x') < 0 ? -1 : 1) * at(l, i, 'conditional logits'));
    total += w * ce;
  }
  return total;
}

/**
 * Monte-Carlo NELBO of configurations under the network through random orders: for each row and
 * order σ, Σ_k −log p_θ(x_σk | x_σ<k) (one network call per order position, all rows batched).
 * Its expectation over orders equals maskedNelboExact. Returns the per-row mean over `orders`.
 */
export function maskedNelboOrders(predict: (input: Float32Array, B: number) => ArrayLike<number>, x: Int8Array, n: number, orders: number, rng: Rng): Float64Array {
  const B = x.length / n;
  const out = new Float64Array(B);
  const z = new Int8Array(B * n);
  const perm = new Int32Array(B * n); // row b's order at b·n..b·n+n−1
  for (let o = 0; o < orders; o++) {
    z.fill(MASK);
    for (let b = 0; b < B; b++) perm.set(rng.permutation(n), b * n);
    for (let k = 0; k < n; k++) {
      const logits = floatArray(predict(maskedInput(z, B), B));
      if (logits.length !== 2 * n * B) throw new RangeError(`maskedNelboOrders: the predictor returned ${logits.length} logits for ${B}×${2 * n}`);
      for (let b = 0; b < B; b++) {
        const i = perm[b * n + k]!;
        const xi = x[b * n + i]! < 0 ? -1 : 1;
        const d = logits[2 * n * b + n + i]! - logits[2 * n * b + i]!;
        out[b]! -= logSigmoid64(xi * d) / orders;
        z[b * n + i] = xi;
      }
    }
  }
  return out;
}

/**
 * One reverse step t → s (s < t) of the masked sampler on B rows, in place: each masked site is
 * unmasked with probability (α_s − α_t)/(1 − α_t) and then drawn from σ(ℓ₊ − ℓ₋) of p_θ(· | z_t).
 * `logits` (B×2n) caches each row's prediction; the prediction does not depend on t, so a row is
 * re-evaluated only when it has a site to unmask and changed since its last evaluation (`stale`):
 * `refresh(rows)` must fill those rows of `logits` from the current z. Draws: all unmask
 * decisions first (row by row), then the values. Returns the number of rows refreshed.
 */
export function maskedReverseStep(z: Int8Array, n: number, t: number, s: number, rng: Rng, logits: Float32Array, stale: Uint8Array, refresh: (rows: Int32Array) => void): number {
  const B = z.length / n;
  const pUnmask = (maskedAlpha(s) - maskedAlpha(t)) / (1 - maskedAlpha(t));
  const pick = new Uint8Array(B * n);
  const rows: number[] = [];
  const need: number[] = [];
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let i = b * n; i < (b + 1) * n; i++) {
      if (z[i] === MASK && (pUnmask >= 1 || rng.uniform() < pUnmask)) {
        pick[i] = 1;
        any = true;
      }
    }
    if (!any) continue;
    rows.push(b);
    if (stale[b]) need.push(b);
  }
  if (need.length > 0) {
    refresh(Int32Array.from(need));
    for (const b of need) stale[b] = 0;
  }
  for (const b of rows) {
    for (let i = 0; i < n; i++) {
      if (!pick[b * n + i]) continue;
      const d = logits[2 * n * b + n + i]! - logits[2 * n * b + i]!;
      z[b * n + i] = rng.uniform() < 1 / (1 + Math.exp(-d)) ? 1 : -1;
    }
    stale[b] = 1;
  }
  return need.length;
}
