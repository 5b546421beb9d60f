/**
 * Guidance terms for the samplers (samplers.ts `Guidance`): ways to steer a trained DDPM toward
 * the low-probability (high-energy) region of an Ising model at sampling time. Training stays
 * the standard DDPM. A term adds w·∇_{x_t} log r(x_t) to the score s = −ε̂/√(1−ᾱ_t), i.e.
 *   ε̃ = ε̂ − √(1−ᾱ_t)·w·∇ log r    (Dhariwal & Nichol 2021, DDIM form).
 * Gradients with respect to x_t go through the noise network with the project's autograd: one
 * batched vector–Jacobian product per call (the cotangent is the seed of backward()).
 *
 *  - scoreScale(γ): s̃ = γ·s, the score of p_t^γ (tempering; entropy-max at fixed mean energy is
 *    q ∝ p^{1−λ}, so γ = 1 − λ). A scaled score alone does not sample p^γ (Bradley & Nakkiran
 *    2024); pair it with the Langevin corrector of samplers.ts.
 *  - tweedieEnergyGuidance: classifier-free, g = ∇_{x_t} E_θ̂(x̂₀(x_t)) with the analytic Ising
 *    energy of the Tweedie estimate x̂₀ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t (continuous x̂₀; the energy is
 *    quadratic in it). Adds +w·g to the score: toward high energy.
 *  - classifierGuidance: a time-conditioned classifier c_ψ(tail | x_t, t) trained on noised
 *    training data labelled by E_θ̂ (top q-quantile = tail); adds w·∇ log c_ψ(tail | x_t). For two
 *    classes, guidance away from "typical" is this same term (∇log(1−p_typ) =
 *    −p_typ/(1−p_typ)·∇log p_typ; Koulischer et al. 2025), so it is implemented once.
 */
import { Rng } from '../random/index.js';
import { Tensor, fromStorage } from '../tensor/index.js';
import type { DType } from '../tensor/index.js';
import { add, backward, concat, gelu, logSigmoid, mean, mul, neg, noGrad, sub } from '../autograd/index.js';
import { Adam, Linear, Module, SinusoidalTimeEmbedding } from '../nn/index.js';
import type { IsingParams, SpinData } from '../ising/index.js';
import { energy } from '../ising/index.js';
import { at } from '../util/checked.js';
import { floatArray, type Guidance } from './samplers.js';
import type { Schedule } from './schedule.js';
import type { NoiseMLP } from './network.js';
import type { LoopHooks } from '../util/abort.js';

/** A differentiable noise prediction: x [B, n] (float32 or float64) at one step t → ε̂ [B, n]. */
export type DiffEps = (x: Tensor, t: number) => Tensor;

/** The noise network as a DiffEps (autograd path; the sampler's own ε̂ uses makePredictor). */
export function networkEps(net: NoiseMLP): DiffEps {
  return (x, t) => net.forward(x, new Int32Array(at(x.shape, 0, 'batch shape')).fill(t));
}

/** Cost counter of gradient evaluations: one VJP row = one forward and one backward pass. */
export interface GuidanceStats {
  gradCalls: number;
  gradRows: number;
}

/** Run fn with the module's parameters out of the tape (no parameter gradients accumulate). */
export function withFrozen<T>(modules: Module[], fn: () => T): T {
  const ps = modules.flatMap((m) => m.parameters());
  for (const p of ps) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    for (const p of ps) p.requiresGrad = true;
  }
}

/** s̃ = γ·s (ε̃ = γ·ε̂): the score of p_t^γ. */
export function scoreScale(gamma: number): Guidance {
  if (!Number.isFinite(gamma)) throw new Error(`scoreScale: γ must be finite, got ${gamma}`);
  return {
    name: `score-scale(${gamma})`,
    apply(_x, eps) {
      for (let i = 0; i < eps.length; i++) eps[i]! *= gamma;
    },
  };
}

/** Several terms applied in order. */
export function composeGuidance(...gs: Guidance[]): Guidance {
  return { name: gs.map((g) => g.name).join('+'), apply: (x, eps, t, B) => gs.forEach((g) => g.apply(x, eps, t, B)) };
}

/**
 * Turn a gradient field g(x_t, t) = ∇_{x_t} log r into a guidance term of scale w:
 * ε̃ = ε̂ − w·√(1−ᾱ_t)·g, applied only at steps t ≤ tMax (default: all).
 */
export function gradientGuidance(name: string, grad: (x: Float32Array, t: number, B: number) => ArrayLike<number>, w: number, sched: Schedule, o: { tMax?: number } = {}): Guidance {
  return {
    name: `${name}(${w})`,
    apply(x, eps, t, B) {
      if (w === 0 || (o.tMax !== undefined && t > o.tMax)) return;
      const g = floatArray(grad(x, t, B));
      if (g.length !== eps.length) throw new RangeError(`${name}: the gradient has ${g.length} values for ${eps.length}`);
      const c = w * sched.sqrtOneMinusAlphaBar[t]!;
      for (let i = 0; i < eps.length; i++) eps[i]! -= c * g[i]!;
    },
  };
}

/** ∂E/∂x = −b − W x per row (E = −b·x − Σ_{i<j} w_ij x_i x_j), float64. */
export function energyGradient(p: IsingParams, values: ArrayLike<number>, B: number): Float64Array {
  const { n, b, w } = p;
  if (values.length !== B * n) throw new RangeError(`energyGradient: ${values.length} values for ${B}×${n}`);
  const x = floatArray(values);
  const u = new Float64Array(B * n);
  for (let r = 0; r < B; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      let v = -b[i]!;
      const row = i * n;
      for (let j = 0; j < n; j++) v -= w[row + j]! * x[o + j]!;
      u[o + i] = v;
    }
  }
  return u;
}

/**
 * ∇_{x_t} E_θ̂(x̂₀(x_t)) for a batch, with x̂₀ = (x_t − √(1−ᾱ_t) ε(x_t))/√ᾱ_t:
 *   ∇ = (u − √(1−ᾱ_t)·J_εᵀu)/√ᾱ_t,  u = ∂E/∂x̂₀ at x̂₀,
 * one batched VJP through ε (computed in `dtype`; float64 for gradient checks).
 */
export function tweedieEnergyGrad(eps: DiffEps, sched: Schedule, p: IsingParams, x: ArrayLike<number>, t: number, B: number, dtype: DType = 'float32', stats?: GuidanceStats): Float64Array {
  const n = p.n;
  if (x.length !== B * n) throw new Error(`tweedieEnergyGrad: ${x.length} values for ${B}×${n}`);
  const sa = sched.sqrtAlphaBar[t]!;
  const s1 = sched.sqrtOneMinusAlphaBar[t]!;
  const xs = dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x);
  const xt = fromStorage(xs, [B, n]).requireGrad();
  const e = eps(xt, t);
  const x0 = new Float64Array(B * n);
  for (let i = 0; i < x0.length; i++) x0[i] = (xs[i]! - s1 * e.data[i]!) / sa;
  const u = energyGradient(p, x0, B);
  const seed = fromStorage(dtype === 'float64' ? Float64Array.from(u) : Float32Array.from(u), [B, n]);
  backward(e, seed);
  const jtu = xt.grad!.data;
  const g = new Float64Array(B * n);
  for (let i = 0; i < g.length; i++) g[i] = (u[i]! - s1 * jtu[i]!) / sa;
  if (stats) {
    stats.gradCalls++;
    stats.gradRows += B;
  }
  return g;
}

/** E_θ̂(x̂₀(x_t)) summed over the rows (the function whose gradient tweedieEnergyGrad returns). */
export function tweedieEnergy(eps: DiffEps, sched: Schedule, p: IsingParams, x: ArrayLike<number>, t: number, B: number, dtype: DType = 'float64'): number {
  const n = p.n;
  const xs = dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x);
  const e = noGrad(() => eps(fromStorage(xs, [B, n]), t));
  const sa = sched.sqrtAlphaBar[t]!;
  const s1 = sched.sqrtOneMinusAlphaBar[t]!;
  const x0 = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < n; i++) x0[i] = (xs[r * n + i]! - s1 * e.data[r * n + i]!) / sa;
    total += energy(p, x0);
  }
  return total;
}

/** Classifier-free Tweedie-energy guidance of the network toward high E_θ̂ (scale w). */
export function tweedieEnergyGuidance(net: NoiseMLP, sched: Schedule, thetaHat: IsingParams, w: number, o: { tMax?: number; stats?: GuidanceStats } = {}): Guidance {
  const eps = networkEps(net);
  return gradientGuidance('tweedie-energy', (x, t, B) => withFrozen([net], () => tweedieEnergyGrad(eps, sched, thetaHat, x, t, B, 'float32', o.stats)), w, sched, o);
}

// ---- time-conditioned tail classifier c_ψ(tail | x_t, t) ----

export interface TailClassifierConfig {
  n: number;
  T: number;
  hidden: number;
  timeDim: number;
}

/** logit c_ψ(x_t, t) = MLP([x_t, emb(t)]): two GELU layers of `hidden` units. */
export class TailClassifier extends Module {
  readonly config: TailClassifierConfig;
  readonly dtype: DType;
  emb: SinusoidalTimeEmbedding;
  l1: Linear;
  l2: Linear;
  out: Linear;

  constructor(config: TailClassifierConfig, rng: Rng, dtype: DType = 'float32') {
    super();
    this.config = { ...config };
    this.dtype = dtype;
    this.emb = new SinusoidalTimeEmbedding(config.timeDim, { dtype });
    this.l1 = new Linear(config.n + this.emb.outDim, config.hidden, rng, { dtype });
    this.l2 = new Linear(config.hidden, config.hidden, rng, { dtype });
    this.out = new Linear(config.hidden, 1, rng, { dtype });
  }

  /** Logits [B, 1] for x [B, n] at steps t [B]. */
  forward(x: Tensor, t: Int32Array): Tensor {
    const e = this.emb.forward(t);
    const h = gelu(this.l1.forward(concat([x, e], 1)));
    return this.out.forward(gelu(this.l2.forward(h)));
  }
}

/** log σ(logit) = log c_ψ(tail | x_t, t), summed over rows; differentiable in x. */
export function tailLogProb(c: TailClassifier, x: Tensor, t: number): Tensor {
  return logSigmoid(c.forward(x, new Int32Array(at(x.shape, 0, 'batch shape')).fill(t)));
}

/** ∇_{x_t} log c_ψ(tail | x_t, t) for a batch (one batched backward). */
export function classifierGrad(c: TailClassifier, x: ArrayLike<number>, t: number, B: number, stats?: GuidanceStats): Float64Array {
  const n = c.config.n;
  const xs = c.dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x);
  const xt = fromStorage(xs, [B, n]).requireGrad();
  withFrozen([c], () => backward(tailLogProb(c, xt, t), fromStorage(c.dtype === 'float64' ? new Float64Array(B).fill(1) : new Float32Array(B).fill(1), [B, 1])));
  if (stats) {
    stats.gradCalls++;
    stats.gradRows += B;
  }
  return Float64Array.from(xt.grad!.data);
}

/** Classifier guidance toward "tail" (= away from "typical") with scale w. */
export function classifierGuidance(c: TailClassifier, sched: Schedule, w: number, o: { tMax?: number; stats?: GuidanceStats } = {}): Guidance {
  return gradientGuidance('classifier', (x, t, B) => classifierGrad(c, x, t, B, o.stats), w, sched, o);
}

export interface TrainClassifierOptions extends LoopHooks {
  /** Energy threshold E_τ: rows with E_θ̂ ≥ E_τ are labelled tail. */
  threshold: number;
  iterations?: number;
  batch?: number;
  lr?: number;
  hidden?: number;
  timeDim?: number;
  /** Train (and guide) only at t < tMax (default T/2: noise swamps the label above; scDiffusion). */
  tMax?: number;
  seed?: number;
}

export interface TrainedClassifier {
  classifier: TailClassifier;
  losses: number[];
  /** Fraction of training rows labelled tail. */
  tailFraction: number;
  /** Accuracy on freshly noised training rows at t = 0 and at t = tMax/2 (a sanity check). */
  accuracy: { t0: number; tHalf: number };
  tMax: number;
}

/**
 * Train c_ψ(tail | x_t, t) by logistic loss on noised training rows x_t = √ᾱ x₀ + √(1−ᾱ) ε,
 * t ~ U{0..tMax−1}, labels 1[E_θ̂(x₀) ≥ E_τ] (θ̂ fitted on the same training rows).
 */
export function trainTailClassifier(train: SpinData, thetaHat: IsingParams, sched: Schedule, o: TrainClassifierOptions): TrainedClassifier {
  const { n, m } = train;
  const iterations = o.iterations ?? 1500;
  const batch = Math.min(o.batch ?? 256, m);
  const tMax = o.tMax ?? Math.floor(sched.T / 2);
  if (!(tMax >= 1 && tMax <= sched.T)) throw new Error(`trainTailClassifier: tMax must be in 1..${sched.T}, got ${tMax}`);
  const rng = new Rng(o.seed ?? 1);
  const c = new TailClassifier({ n, T: sched.T, hidden: o.hidden ?? 64, timeDim: o.timeDim ?? 16 }, rng.fold('init', 0));
  const labels = new Float32Array(m);
  let tails = 0;
  for (let r = 0; r < m; r++) {
    const y = energy(thetaHat, train.s, r * n) >= o.threshold ? 1 : 0;
    labels[r] = y;
    tails += y;
  }
  if (tails === 0 || tails === m) throw new Error(`trainTailClassifier: all ${m} rows fall on one side of E_τ = ${o.threshold}`);
  const opt = new Adam(c.parameters(), { lr: o.lr ?? 3e-3 });
  const losses: number[] = [];
  const noisy = (rows: Int32Array, ts: Int32Array, r: Rng): Float32Array => {
    const x = new Float32Array(rows.length * n);
    for (let k = 0; k < rows.length; k++) {
      const sa = sched.sqrtAlphaBar[ts[k]!]!;
      const s1 = sched.sqrtOneMinusAlphaBar[ts[k]!]!;
      for (let i = 0; i < n; i++) x[k * n + i] = sa * train.s[rows[k]! * n + i]! + s1 * r.normal();
    }
    return x;
  };
  const bceLoss = (logits: Tensor, y: Tensor): Tensor =>
    neg(mean(add(mul(y, logSigmoid(logits)), mul(sub(1, y), logSigmoid(neg(logits))))));
  const data = rng.fold('batches', 0);
  for (let it = 0; it < iterations; it++) {
    if (o.signal?.aborted) break;
    const rows = new Int32Array(batch);
    const ts = new Int32Array(batch);
    const y = new Float32Array(batch);
    for (let k = 0; k < batch; k++) {
      rows[k] = data.int(m);
      ts[k] = data.int(tMax);
      y[k] = labels[rows[k]!]!;
    }
    const x = fromStorage(noisy(rows, ts, data), [batch, n]);
    opt.zeroGrad();
    const loss = bceLoss(c.forward(x, ts), fromStorage(y, [batch, 1]));
    backward(loss);
    opt.step();
    losses.push(loss.item());
    if ((it + 1) % 100 === 0) o.onProgress?.(it + 1, iterations, { loss: loss.item() });
  }
  const accAt = (t: number): number => {
    const r = rng.fold('accuracy', t);
    const rows = new Int32Array(m);
    for (let k = 0; k < m; k++) rows[k] = k;
    const ts = new Int32Array(m).fill(t);
    const z = noGrad(() => c.forward(fromStorage(noisy(rows, ts, r), [m, n]), ts)).data;
    let ok = 0;
    for (let k = 0; k < m; k++) ok += (z[k]! > 0 ? 1 : 0) === labels[k] ? 1 : 0;
    return ok / m;
  };
  return { classifier: c, losses, tailFraction: tails / m, accuracy: { t0: accAt(0), tHalf: accAt(Math.floor(tMax / 2)) }, tMax };
}
