/**
 * Reverse-process samplers over a noise predictor ε̂(x_t, t), all of one shape (as diffusers'
 * schedulers): a sampler is the ascending sub-sequence τ_0 < … < τ_{S-1} of step indices it
 * visits plus one `step(x, ε̂, k, rng)` that moves the rows from τ_k to τ_{k-1} (to data at k = 0).
 * DDPM ancestral (all T steps) and DDIM (S ≤ T steps, stochasticity η; Song et al. 2021) are two
 * instances. The loop may add a guidance term to ε̂ before each step (guidance.ts) and run a
 * Langevin corrector after it. The network hides behind `EpsPredictor`, so every update formula
 * is tested against closed forms with an exact ε̂. Every row of a batch shares one step t.
 */
import { Rng } from '../random/index.js';
import { UsageError } from '../util/errors.js';
import type { Storage } from '../tensor/index.js';
import type { Schedule } from './schedule.js';
import { Yielder } from '../util/abort.js';
import type { LoopHooks } from '../util/abort.js';

/** ε̂ for a batch x (B×n, row-major) at one step index t (0..T-1). Must not keep `x`. */
export type EpsPredictor = (x: Float32Array, t: number, B: number) => ArrayLike<number>;

export type SamplerKind = 'ddpm' | 'ddim';

/**
 * One reverse-process sampler: the step indices it visits (ascending) and its update. `step`
 * moves the rows of x (any number of rows, in place) from τ_k to τ_{k-1}, given ε̂(x, τ_k).
 */
export interface Sampler {
  readonly name: string;
  readonly timesteps: Int32Array;
  step(x: Float32Array, eps: ArrayLike<number>, k: number, rng: Rng): void;
}

/**
 * A term added to ε̂ before each step, in place: ε̃ = ε̂ − √(1−ᾱ_t)·w∇log r(x_t) adds w∇log r to
 * the score s = −ε̂/√(1−ᾱ_t) (Dhariwal & Nichol's DDIM form). Also used by the corrector.
 */
export interface Guidance {
  readonly name: string;
  apply(x: Float32Array, eps: Float32Array, t: number, B: number): void;
}

/**
 * Langevin corrector after each reverse step, at the new step index t (Song et al. 2021, PC):
 *   x ← x + δ·γ·s̃(x, t) + √(2δ)·z,   s̃ = −ε̃/√(1−ᾱ_t), ε̃ the (guided) prediction.
 * δ is fixed (`delta`) or Song's per-row rule δ = 2·α_t·(snr·‖z‖/‖s̃‖)². γ < 0 moves against the
 * score; its target is not normalisable, so `bound` clips every coordinate to [−bound, bound].
 */
export interface CorrectorOptions {
  /** Langevin steps after each reverse step (each costs one network evaluation). */
  steps: number;
  /** Score scale γ of the corrector (default 1). */
  gamma?: number;
  /** Fixed step size δ; without it Song's signal-to-noise rule is used. */
  delta?: number;
  /** Signal-to-noise ratio r of Song's rule (default 0.16). */
  snr?: number;
  /** Clip x to [−bound, bound] after each corrector step (default: none; use with γ < 0). */
  bound?: number;
  /** Only correct at step indices t ≤ tMax (default: all). */
  tMax?: number;
}

export interface SampleLoopOptions extends LoopHooks {
  /** Number of variables per sample. */
  n: number;
  /** Number of samples to draw. */
  m: number;
  rng: Rng;
  /** 'ddpm', 'ddim', or a sampler built by makeSampler / a custom one. */
  sampler?: SamplerKind | Sampler;
  /** DDIM steps S (ignored by ddpm, which uses all T). */
  steps?: number;
  /** DDIM stochasticity: 0 deterministic, 1 = DDPM posterior variance on the sub-sequence. */
  eta?: number;
  /** DDPM reverse variance: the posterior β̃_t (default) or β_t. */
  ddpmVariance?: 'posterior' | 'beta';
  /** Clip the predicted x̂_0 to [-1, 1] before each update (off: the paper does not). */
  clipX0?: boolean;
  /** Added to ε̂ before every reverse step and every corrector step. */
  guidance?: Guidance;
  corrector?: CorrectorOptions;
  /** Rows per network call; bounds memory. */
  batch?: number;
  /** Filled with the cost: network calls, rows evaluated, corrector coordinates clipped. */
  stats?: SampleStats;
  /**
   * Compute only shard `index` of `count` of every batch's rows (shardRows) and return those rows,
   * batch after batch: each gets exactly the numbers of the whole run, because the other shards'
   * normals are skipped, not drawn (Rng.skipNormals). Built-in samplers only, without guidance
   * or corrector. SamplePool (shards.ts) runs the shards on workers.
   */
  shard?: { index: number; count: number };
}

/** The sizes sampleLoop takes, checked before anything is allocated (UsageError names the bad one). */
export function checkLoopSizes(n: number, m: number, batch: number | undefined): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`sampling: n must be an integer ≥ 1, got ${n}`);
  if (!(Number.isInteger(m) && m >= 0)) throw new UsageError(`sampling: the number of samples must be an integer ≥ 0, got ${m}`);
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) throw new UsageError(`sampling: batch must be an integer ≥ 1, got ${batch}`);
}

/** Reverse steps of a run: all T for ddpm, `steps` for ddim (each one network call per batch). */
export function reverseSteps(kind: SamplerKind, steps: number, T: number): number {
  return kind === 'ddpm' ? T : steps;
}

/** The rows per network call of a loop over m samples (default 2048; all m where fewer). */
export function loopBatch(batch: number | undefined, m: number): number {
  return Math.max(1, Math.min(batch ?? 2048, m));
}

/** Rows [r0, r1) of a batch of B rows that shard `index` of `count` takes: contiguous, near-equal. */
export function shardRows(B: number, index: number, count: number): [number, number] {
  return [Math.floor((index * B) / count), Math.floor(((index + 1) * B) / count)];
}

/**
 * The normals of one row shard: a draw of a whole batch's B·n values takes this shard's rows'
 * values and skips the rest's, so the shard's rows get what the whole batch would give them.
 * Built-in samplers draw only through fillNormal of the shard's rows; a draw of another length
 * and nextU32, uniform and normal throw. Its own state is a placeholder (the draws come from
 * `src`): it is not to be cloned, snapshotted or folded.
 */
class ShardNormals extends Rng {
  batch = 0;
  constructor(private readonly src: Rng, private readonly n: number, private readonly index: number, private readonly count: number) {
    super(1);
  }

  override fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    const [r0, r1] = shardRows(this.batch, this.index, this.count);
    if (out.length !== (r1 - r0) * this.n) throw new Error(`row shard: a draw of ${out.length} normals, not the shard's ${(r1 - r0) * this.n}`);
    this.src.skipNormals(r0 * this.n);
    this.src.fillNormal(out, mean, std);
    this.src.skipNormals((this.batch - r1) * this.n);
    return out;
  }

  override nextU32(): number {
    throw new Error('row shard: only whole-batch normal draws can be split by rows');
  }

  override normal(): number {
    return this.nextU32();
  }
}

/** Cost counters of one sampleLoop run (network rows do not include guidance gradients). */
export interface SampleStats {
  calls: number;
  rows: number;
  /** Coordinates clipped by the corrector bound, and coordinates corrected in all. */
  clipped: number;
  corrected: number;
}

export function newSampleStats(): SampleStats {
  return { calls: 0, rows: 0, clipped: 0, corrected: 0 };
}

/** The DDIM sub-sequence τ_0 < … < τ_{S-1} = T-1, evenly spaced and rounded, starting at 0. */
export function ddimTimesteps(T: number, S: number): Int32Array {
  if (!(Number.isInteger(S) && S >= 1 && S <= T)) throw new Error(`ddim steps must be an integer in 1..${T}, got ${S}`);
  const tau = new Int32Array(S);
  if (S === 1) {
    tau[0] = T - 1;
    return tau;
  }
  for (let i = 0; i < S; i++) tau[i] = Math.round((i * (T - 1)) / (S - 1));
  return tau;
}

/**
 * Values a kernel indexes in its loop: a Float32/64Array as it is, anything else (a plain array, a
 * predictor's Int32Array) copied into a Float64Array, which holds every number exactly.
 */
export function floatArray(a: ArrayLike<number>): Storage {
  return a instanceof Float32Array || a instanceof Float64Array ? a : Float64Array.from(a);
}

/**
 * One DDIM update x_t → x_prev for a block of rows, in place. ᾱ_prev = 1 at the last step.
 *   x̂0 = (x - √(1-ᾱ_t) ε̂)/√ᾱ_t,  σ = η √((1-ᾱ_prev)/(1-ᾱ_t)) √(1-ᾱ_t/ᾱ_prev),
 *   x_prev = √ᾱ_prev x̂0 + √(1-ᾱ_prev-σ²) ε̂ + σ z.
 */
export function ddimStep(x: Float32Array, epsIn: ArrayLike<number>, abT: number, abPrev: number, eta: number, rng: Rng, clipX0 = false): void {
  if (epsIn.length !== x.length) throw new RangeError(`ddimStep: ${epsIn.length} noise values for ${x.length}`);
  const eps = floatArray(epsIn);
  const sigma = eta * Math.sqrt(((1 - abPrev) / (1 - abT)) * (1 - abT / abPrev));
  const sa = Math.sqrt(abT);
  const s1 = Math.sqrt(1 - abT);
  const sp = Math.sqrt(abPrev);
  const dirCoef = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
  const z = sigma > 0 ? noise(rng, x.length) : null;
  for (let i = 0; i < x.length; i++) {
    const e = eps[i]!;
    let x0 = (x[i]! - s1 * e) / sa;
    if (clipX0) x0 = x0 > 1 ? 1 : x0 < -1 ? -1 : x0;
    let v = sp * x0 + dirCoef * e;
    if (z) v += sigma * z[i]!;
    x[i] = v;
  }
}

/**
 * `count` standard normals from rng, in order (as count calls of rng.normal()), drawn in one
 * fillNormal into a buffer reused across steps: the step's noise costs less than drawn one value
 * at a time inside its loop. Valid until the next call.
 */
function noise(rng: Rng, count: number): Float64Array {
  if (noiseBuf.length < count) noiseBuf = new Float64Array(count);
  return rng.fillNormal(noiseBuf.subarray(0, count));
}
let noiseBuf = new Float64Array(0);

/**
 * One DDPM ancestral update at step t, in place: mean of q(x_{t-1}|x_t, x̂0) plus noise of
 * variance β̃_t or β_t (none at t = 0). Without clipping the mean equals
 * (x_t - β_t/√(1-ᾱ_t) ε̂)/√α_t.
 */
export function ddpmStep(x: Float32Array, epsIn: ArrayLike<number>, s: Schedule, t: number, rng: Rng, variance: 'posterior' | 'beta' = 'posterior', clipX0 = false): void {
  if (epsIn.length !== x.length) throw new RangeError(`ddpmStep: ${epsIn.length} noise values for ${x.length}`);
  const eps = floatArray(epsIn);
  const sa = s.sqrtAlphaBar[t]!;
  const s1 = s.sqrtOneMinusAlphaBar[t]!;
  const c1 = s.posteriorMeanCoef1[t]!;
  const c2 = s.posteriorMeanCoef2[t]!;
  const sigma = t === 0 ? 0 : Math.sqrt(variance === 'beta' ? s.beta[t]! : s.posteriorVariance[t]!);
  const z = sigma > 0 ? noise(rng, x.length) : null;
  for (let i = 0; i < x.length; i++) {
    let x0 = (x[i]! - s1 * eps[i]!) / sa;
    if (clipX0) x0 = x0 > 1 ? 1 : x0 < -1 ? -1 : x0;
    let v = c1 * x0 + c2 * x[i]!;
    if (z) v += sigma * z[i]!;
    x[i] = v;
  }
}

/** DDPM ancestral sampling over all T steps. */
export function ddpmSampler(sched: Schedule, o: { variance?: 'posterior' | 'beta'; clipX0?: boolean } = {}): Sampler {
  const timesteps = new Int32Array(sched.T);
  for (let t = 0; t < sched.T; t++) timesteps[t] = t;
  return {
    name: 'ddpm',
    timesteps,
    step: (x, eps, k, rng) => ddpmStep(x, eps, sched, k, rng, o.variance, o.clipX0),
  };
}

/** DDIM over S evenly spaced steps with stochasticity η. */
export function ddimSampler(sched: Schedule, o: { steps?: number; eta?: number; clipX0?: boolean } = {}): Sampler {
  const eta = o.eta ?? 0;
  if (!(eta >= 0)) throw new Error(`eta must be ≥ 0, got ${eta}`);
  const timesteps = ddimTimesteps(sched.T, o.steps ?? 50);
  return {
    name: 'ddim',
    timesteps,
    step: (x, eps, k, rng) => {
      const abPrev = k > 0 ? sched.alphaBar[timesteps[k - 1]!]! : 1;
      ddimStep(x, eps, sched.alphaBar[timesteps[k]!]!, abPrev, eta, rng, o.clipX0);
    },
  };
}

/** The sampler named by the loop options (kind, steps, eta, variance, clipping). */
export function makeSampler(sched: Schedule, o: Pick<SampleLoopOptions, 'sampler' | 'steps' | 'eta' | 'ddpmVariance' | 'clipX0'>): Sampler {
  const kind = o.sampler ?? 'ddpm';
  if (typeof kind === 'object') return kind;
  if (kind === 'ddpm') return ddpmSampler(sched, { variance: o.ddpmVariance, clipX0: o.clipX0 });
  if (kind === 'ddim') return ddimSampler(sched, { steps: o.steps ?? 50, eta: o.eta ?? 0, clipX0: o.clipX0 });
  throw new Error(`unknown sampler '${String(kind)}' (ddpm|ddim)`);
}

/** ε̂ (plus guidance) for rows x at step t, as a fresh Float32Array. */
function guidedEps(predict: EpsPredictor, x: Float32Array, t: number, B: number, g: Guidance | undefined, st: SampleStats): Float32Array {
  const raw = predict(x, t, B);
  if (raw.length !== x.length) throw new Error(`noise predictor returned ${raw.length} values for ${x.length}`);
  st.calls++;
  st.rows += B;
  const eps = Float32Array.from(raw);
  g?.apply(x, eps, t, B);
  return eps;
}

/** Langevin corrector steps at step index t (see CorrectorOptions), in place. */
function correct(predict: EpsPredictor, sched: Schedule, x: Float32Array, t: number, n: number, B: number, c: CorrectorOptions, g: Guidance | undefined, rng: Rng, st: SampleStats): void {
  const gamma = c.gamma ?? 1;
  const snr = c.snr ?? 0.16;
  const s1 = sched.sqrtOneMinusAlphaBar[t]!;
  const z = new Float64Array(n);
  for (let r = 0; r < c.steps; r++) {
    const eps = guidedEps(predict, x, t, B, g, st);
    for (let b = 0; b < B; b++) {
      const o = b * n;
      let zz = 0;
      let ss = 0;
      rng.fillNormal(z);
      for (let i = 0; i < n; i++) {
        zz += z[i]! * z[i]!;
        const s = (-gamma * eps[o + i]!) / s1;
        ss += s * s;
      }
      const delta = c.delta ?? (ss > 0 ? 2 * sched.alpha[t]! * (snr * snr * zz) / ss : 0);
      const noise = Math.sqrt(2 * delta);
      for (let i = 0; i < n; i++) {
        let v = x[o + i]! + (delta * -gamma * eps[o + i]!) / s1 + noise * z[i]!;
        if (c.bound !== undefined && Math.abs(v) > c.bound) {
          v = v > 0 ? c.bound : -c.bound;
          st.clipped++;
        }
        if (!Number.isFinite(v)) throw new Error(`corrector: non-finite value at step ${t} (γ=${gamma}, δ=${delta}); set a bound`);
        x[o + i] = v;
      }
      st.corrected += n;
    }
  }
}

/**
 * Draw m samples (m×n, continuous values) by running the reverse process from x_T ~ N(0, I).
 * Batches are processed one after another; within a batch every step calls `predict` once (plus
 * once per corrector step). Async: yields to the host between steps; the signal aborts
 * (AbortError).
 */
export async function sampleLoop(predict: EpsPredictor, sched: Schedule, o: SampleLoopOptions): Promise<Float32Array> {
  const { n, m, rng } = o;
  checkLoopSizes(n, m, o.batch);
  const sampler = makeSampler(sched, o);
  const batch = loopBatch(o.batch, m);
  const taus = sampler.timesteps;
  const nSteps = taus.length;
  const c = o.corrector && o.corrector.steps > 0 ? o.corrector : null;
  if (c && !(Number.isInteger(c.steps) && c.steps >= 0)) throw new Error(`corrector steps must be an integer ≥ 0, got ${c.steps}`);
  if (c?.bound !== undefined && !(c.bound > 0)) throw new Error(`corrector bound must be > 0, got ${c.bound}`);
  const st = o.stats ?? newSampleStats();
  const y = new Yielder(o.signal, 40, 'sampling');
  const shard = o.shard ?? null;
  if (shard) {
    if (!(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) throw new UsageError(`sampleLoop: shard ${shard.index} of ${shard.count} does not exist`);
    if (typeof o.sampler === 'object' || o.guidance || c) throw new UsageError('sampleLoop: a row shard needs a built-in sampler, without guidance or corrector');
  }
  const normals = shard ? new ShardNormals(rng, n, shard.index, shard.count) : rng;
  const rowsOf = (B: number): [number, number] => (shard ? shardRows(B, shard.index, shard.count) : [0, B]);
  let outRows = 0;
  for (let start = 0; start < m; start += batch) {
    const [r0, r1] = rowsOf(Math.min(batch, m - start));
    outRows += r1 - r0;
  }
  const out = new Float32Array(outRows * n);
  const totalWork = Math.ceil(m / batch) * nSteps;
  let work = 0;
  let row = 0;
  for (let start = 0; start < m; start += batch) {
    const whole = Math.min(batch, m - start);
    const [r0, r1] = rowsOf(whole);
    if (normals instanceof ShardNormals) normals.batch = whole;
    const B = r1 - r0;
    const x = out.subarray(row * n, (row + B) * n);
    row += B;
    normals.fillNormal(x);
    for (let k = nSteps - 1; k >= 0; k--) {
      await y.tick();
      const t = taus[k]!;
      // An empty shard (a batch of fewer rows than shards) still draws, to skip the batch's normals.
      const raw = B > 0 ? predict(x, t, B) : x;
      if (raw.length !== x.length) throw new Error(`noise predictor returned ${raw.length} values for ${x.length}`);
      st.calls += B > 0 ? 1 : 0;
      st.rows += B;
      let eps: ArrayLike<number> = raw;
      if (o.guidance) {
        const e = Float32Array.from(raw);
        o.guidance.apply(x, e, t, B);
        eps = e;
      }
      sampler.step(x, eps, k, normals);
      if (c && k > 0 && (c.tMax === undefined || taus[k - 1]! <= c.tMax)) correct(predict, sched, x, taus[k - 1]!, n, B, c, o.guidance, rng, st);
      work++;
      o.onProgress?.(Math.min(m, start + Math.round((whole * (nSteps - k)) / nSteps)), m, { step: work, steps: totalWork });
    }
  }
  return out;
}

/** Analog bits back to spins: the sign of each value (0 goes to +1). */
export function thresholdSpins(x: ArrayLike<number>): Int8Array {
  return Int8Array.from(x, (v) => (v < 0 ? -1 : 1));
}
