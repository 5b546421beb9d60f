/**
 * Binary D3PM with the uniform kernel (Austin et al. 2021), K = 2:
 *   Q_t = (1 − β_t) I + (β_t/2) 11ᵀ, a binary symmetric channel; in ±1 form q(y | x) = (1 + a·x·y)/2
 *   with "keep" coefficient a = 1 − β_t. Channels compose by multiplying keeps, so
 *   q(x_t | x_0) = (1 + ᾱ_t x_0 x_t)/2, ᾱ_t = Π_{r≤t}(1 − β_r), and for s < t
 *   q(x_s | x_t, x_0) ∝ (1 + (ᾱ_t/ᾱ_s) x_t x_s)(1 + ᾱ_s x_s x_0).
 * The β_t are those of the DDPM schedule of the same kind and T (schedule.ts; the linear
 * 1e-4..0.02 over T = 1000 leaves ᾱ_T ≈ 4e-5, so x_T is uniform to 1e-4).
 * x_0-parameterisation: the network gives p̃_θ(x_0 | x_t) (2 logits per spin, σ(ℓ₊−ℓ₋) = π) and
 *   p_θ(x_s | x_t) = Σ_{x̃0} q(x_s | x_t, x̃0) p̃_θ(x̃0 | x_t)   (any s < t: strided sampling).
 * Hybrid loss (Austin et al. eq. 5): L = L_vb + λ·E[−log p̃_θ(x_0 | x_t)], L_vb's term at a
 * uniform t ∈ 1..T: KL(q(x_{t−1}|x_t,x_0) ‖ p_θ(x_{t−1}|x_t)) for t ≥ 2, −log p̃_θ(x_0|x_1) at
 * t = 1 (the prior term KL(q(x_T|x_0) ‖ U) has no parameters and is left out). Per spin, in nats.
 * Paper index t = 1..T is schedule/network index t − 1.
 */
import type { Rng } from '../../random/index.js';
import type { Tensor } from '../../tensor/index.js';
import { fromStorage } from '../../tensor/index.js';
import { add, log, logSigmoid, matmul, mul, neg, sigmoid, sum } from '../../autograd/index.js';
import type { NoiseMLP } from '../network.js';
import { floatArray } from '../samplers.js';
import type { Schedule } from '../schedule.js';
import { logitDifferenceMatrix } from './masked.js';

/** ᾱ at paper step t (0..T; ᾱ_0 = 1). */
export function d3pmKeep(sched: Schedule, t: number): number {
  return t === 0 ? 1 : sched.alphaBar[t - 1]!;
}

/** The one-step matrix Q_t (row x, column y: q(x_t = y | x_{t−1} = x)), states ordered (−1, +1). */
export function d3pmQ(beta: number): [number, number, number, number] {
  return [1 - beta / 2, beta / 2, beta / 2, 1 - beta / 2];
}

/** q(x_t = +1 | x_0) = (1 + ᾱ_t x_0)/2. */
export function d3pmForwardPlus(keep: number, x0: number): number {
  return (1 + keep * x0) / 2;
}

/** Forward draw x_t ~ q(x_t | x_0) for B rows (one paper step t per row). */
export function d3pmForward(sched: Schedule, x0: Float32Array, t: Int32Array, rng: Rng, out?: Float32Array): Float32Array {
  const B = t.length, n = x0.length / B;
  const xt = out ?? new Float32Array(x0.length);
  for (let b = 0; b < B; b++) {
    const flip = (1 - d3pmKeep(sched, t[b]!)) / 2;
    for (let i = b * n; i < (b + 1) * n; i++) {
      const v = x0[i]! < 0 ? -1 : 1;
      xt[i] = rng.uniform() < flip ? -v : v;
    }
  }
  return xt;
}

/** q(x_s = +1 | x_t, x_0) for s < t, with keeps ᾱ_s and ᾱ_t. */
export function d3pmPosteriorPlus(keepS: number, keepT: number, xt: number, x0: number): number {
  const a = keepT / keepS;
  const fp = (1 + a * xt) * (1 + keepS * x0);
  const fm = (1 - a * xt) * (1 - keepS * x0);
  return fp / (fp + fm);
}

/** p_θ(x_s = +1 | x_t) = Σ_{x̃0} q(x_s = +1 | x_t, x̃0) p̃(x̃0 | x_t), with π = p̃(x̃0 = +1 | x_t). */
export function d3pmReversePlus(keepS: number, keepT: number, xt: number, pi: number): number {
  return pi * d3pmPosteriorPlus(keepS, keepT, xt, 1) + (1 - pi) * d3pmPosteriorPlus(keepS, keepT, xt, -1);
}

/** Bernoulli KL(q ‖ p) in nats (0·log 0 = 0). */
export function bernoulliKL(q: number, p: number): number {
  let k = 0;
  if (q > 0) k += q * Math.log(q / p);
  if (q < 1) k += (1 - q) * Math.log((1 - q) / (1 - p));
  return k;
}

/**
 * The loss terms of one site in float64 (the formula the trainer differentiates): at paper step
 * t with x_t, x_0 and π = p̃(x_0 = +1 | x_t): vb = KL(q(x_{t−1}|x_t,x_0) ‖ p_θ(x_{t−1}|x_t)) for t ≥ 2,
 * −log p̃(x_0|x_1) at t = 1; ce = −log p̃(x_0 | x_t).
 */
export function d3pmSiteLoss(sched: Schedule, t: number, xt: number, x0: number, pi: number): { vb: number; ce: number } {
  const ce = -Math.log(x0 > 0 ? pi : 1 - pi);
  if (t === 1) return { vb: ce, ce };
  const kS = d3pmKeep(sched, t - 1), kT = d3pmKeep(sched, t);
  return { vb: bernoulliKL(d3pmPosteriorPlus(kS, kT, xt, x0), d3pmReversePlus(kS, kT, xt, pi)), ce };
}

/** The hybrid loss L_vb + λ·CE per spin for a minibatch; draws t (uniform 1..T) then x_t. */
export function d3pmLoss(net: NoiseMLP, sched: Schedule, lambda: number, x0: Float32Array, B: number, rng: Rng): Tensor {
  const n = x0.length / B;
  const T = sched.T;
  const t = new Int32Array(B);
  for (let b = 0; b < B; b++) t[b] = 1 + rng.int(T);
  const xt = d3pmForward(sched, x0, t, rng);
  const step = t.map((v) => v - 1);
  const logits = net.forward(fromStorage(xt, [B, n]), step);
  const d = matmul(logits, logitDifferenceMatrix(n));
  // Per site: p_θ(x_{t−1} = +1 | x_t) = A + C·π with A = q(+ | x_t, x0 = −1), C = q(+ | x_t, +1) − A.
  const A = new Float32Array(B * n), C = new Float32Array(B * n), q = new Float32Array(B * n);
  const vbMask = new Float32Array(B * n), ceWeight = new Float32Array(B * n);
  let entropy = 0; // Σ (q log q + (1−q) log(1−q)) of the KL terms: no parameters, kept so the value is L_vb
  for (let b = 0; b < B; b++) {
    const tb = t[b]!;
    const kS = d3pmKeep(sched, tb - 1), kT = d3pmKeep(sched, tb);
    for (let i = b * n; i < (b + 1) * n; i++) {
      ceWeight[i] = lambda + (tb === 1 ? 1 : 0);
      if (tb === 1) {
        A[i] = 0.5;
        continue;
      }
      const pm = d3pmPosteriorPlus(kS, kT, xt[i]!, -1), pp = d3pmPosteriorPlus(kS, kT, xt[i]!, 1);
      A[i] = pm;
      C[i] = pp - pm;
      const qq = x0[i]! > 0 ? pp : pm;
      q[i] = qq;
      vbMask[i] = 1;
      if (qq > 0) entropy += qq * Math.log(qq);
      if (qq < 1) entropy += (1 - qq) * Math.log(1 - qq);
    }
  }
  const pi = sigmoid(d);
  const cT = fromStorage(C, [B, n]);
  const P = add(mul(pi, cT), fromStorage(A, [B, n]));
  const oneMinusP = add(mul(pi, neg(cT)), fromStorage(A.map((a) => 1 - a), [B, n]));
  const qT = fromStorage(q, [B, n]), mT = fromStorage(vbMask, [B, n]);
  // Σ vbMask·(q log P + (1−q) log(1−P))
  const crossVb = sum(mul(add(mul(log(P), qT), mul(log(oneMinusP), add(neg(qT), 1))), mT));
  const ll = sum(mul(logSigmoid(mul(d, fromStorage(x0, [B, n]))), fromStorage(ceWeight, [B, n])));
  return mul(add(neg(add(crossVb, ll)), entropy), 1 / (B * n));
}

/**
 * One reverse step t → s (0 ≤ s < t) of the D3PM sampler on a block of rows, in place: with
 * π_i = σ(ℓ₊ − ℓ₋) from the network at step t, x_s = +1 with probability
 * p_θ(x_s = +1 | x_t) (s ≥ 1), or x_0 ~ p̃_θ(x_0 | x_t) at s = 0.
 */
export function d3pmReverseStep(x: Float32Array, predicted: ArrayLike<number>, n: number, keepS: number, keepT: number, last: boolean, rng: Rng): void {
  const B = x.length / n;
  if (predicted.length !== 2 * x.length) throw new RangeError(`d3pmReverseStep: ${predicted.length} logits for ${B}×${2 * n}`);
  const logits = floatArray(predicted);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) {
      const pi = 1 / (1 + Math.exp(-(logits[2 * n * b + n + i]! - logits[2 * n * b + i]!)));
      const p = last ? pi : d3pmReversePlus(keepS, keepT, x[b * n + i]!, pi);
      x[b * n + i] = rng.uniform() < p ? 1 : -1;
    }
  }
}

/**
 * Monte-Carlo NELBO (nats per configuration) of the rows x (B×n, ±1) under the D3PM:
 *   L(x0) = KL(q(x_T|x0) ‖ U) + Σ_{t=2}^{T} KL(q(x_{t−1}|x_t,x0) ‖ p_θ(x_{t−1}|x_t)) − log p̃_θ(x0|x_1),
 * the sum over t estimated by `draws` steps, one per stratum of T/draws consecutive steps (all rows
 * share each drawn t, so every draw is one network call), x_t ~ q(x_t | x0) per row.
 * `predict(x_t, index, B)` gives the 2n logits per row at schedule index t − 1.
 */
export function d3pmNelboMC(predict: (x: Float32Array, index: number, B: number) => ArrayLike<number>, sched: Schedule, x0: Int8Array, n: number, draws: number, rng: Rng): Float64Array {
  const B = x0.length / n, T = sched.T;
  const K = Math.max(1, Math.min(draws, T));
  const out = new Float64Array(B);
  const kT = d3pmKeep(sched, T);
  const prior = bernoulliKL((1 + kT) / 2, 0.5); // the same for x0 = ±1
  out.fill(n * prior);
  const x0f = Float32Array.from(x0);
  for (let k = 0; k < K; k++) {
    const lo = Math.floor((k * T) / K), hi = Math.floor(((k + 1) * T) / K); // steps lo+1..hi
    const t = lo + 1 + rng.int(hi - lo);
    const xt = d3pmForward(sched, x0f, new Int32Array(B).fill(t), rng);
    const logits = floatArray(predict(xt, t - 1, B));
    if (logits.length !== 2 * n * B) throw new RangeError(`d3pmNelboMC: the predictor returned ${logits.length} logits for ${B}×${2 * n}`);
    for (let b = 0; b < B; b++) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const pi = 1 / (1 + Math.exp(-(logits[2 * n * b + n + i]! - logits[2 * n * b + i]!)));
        acc += d3pmSiteLoss(sched, t, xt[b * n + i]!, x0f[b * n + i]!, Math.min(1 - 1e-12, Math.max(1e-12, pi))).vb;
      }
      out[b]! += (hi - lo) * acc;
    }
  }
  return out;
}
