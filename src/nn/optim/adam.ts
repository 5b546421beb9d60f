import { getBackend } from '../../tensor/index.js';
import type { Backend, Tensor } from '../../tensor/index.js';
import type { AdamHyper, AdamKernel } from '../../tensor/backend/types.js';
import { Optimizer, applyHyper, checkBeta, checkNonNegative, type OptimizerState } from './optimizer.js';
import { at } from '../../util/checked.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /**
   * Keep the moments in the backend current at construction and update there when it has an Adam
   * kernel (wasm, threads; float32 parameters, no amsgrad) — same numbers bit for bit (default
   * true). The kernel's memory is taken at the first plain step (asked for once; none where the
   * memory has no room), so an optimizer whose update runs elsewhere (a trainer's resident
   * update) or never takes the plain update (an L2 term) never holds it.
   */
  backendKernel?: boolean;
}

/**
 * Adam exactly as torch.optim.Adam (single-tensor path), step t counted per parameter:
 *   g ← ∇ + λ·p (L2 penalty added to the gradient);
 *   m ← m + (1−β₁)(g − m);  v ← β₂·v + (1−β₂)·g²;  (amsgrad: v̂max ← max(v̂max, v), used for v)
 *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε),
 * i.e. p −= lr·m̂/(√v̂ + ε) with ε added after the square root of the bias-corrected v.
 * Arithmetic in float64 on the parameter storage in place; moment buffers are float64 — in the
 * backend's memory when it has an Adam kernel (Backend.adamKernel), which then runs the plain
 * update (no L2 term) with the same operations in the same order.
 */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** AdamW: decay p ← p·(1 − lr·λ) instead of adding λ·p to the gradient. */
  protected readonly decoupled: boolean;
  private m: Float64Array[];
  private v: Float64Array[];
  private readonly vmax: (Float64Array | null)[];
  /** The backend's kernel holding m and v (then this.m, this.v are empty), or null. */
  private kernel: AdamKernel | null = null;
  /** The backend to take a kernel from at a step, or null (none wanted or none there). */
  private readonly kernelFrom: Backend | null;
  /** Whether a step asked kernelFrom for a kernel (and got this.kernel, or null: no room). */
  private kernelAsked = false;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}, kind = 'Adam', decoupled = false, defaultDecay = 0) {
    super(params, opts.lr ?? 1e-3, kind);
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    checkBeta(kind, 0, b1);
    checkBeta(kind, 1, b2);
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultDecay;
    this.amsgrad = opts.amsgrad ?? false;
    checkNonNegative(kind, 'epsilon value', this.eps);
    checkNonNegative(kind, 'weight_decay value', this.weightDecay);
    this.decoupled = decoupled;
    const float32 = this.params.every((p) => p.data instanceof Float32Array);
    const be = getBackend();
    this.kernelFrom = opts.backendKernel !== false && float32 && !this.amsgrad && this.params.length > 0 && be.adamKernel ? be : null;
    this.m = this.params.map((p) => new Float64Array(p.size));
    this.v = this.params.map((p) => new Float64Array(p.size));
    this.vmax = this.params.map((p) => (this.amsgrad ? new Float64Array(p.size) : null));
  }

  /** Whether the moments live in the backend (its Adam kernel runs the plain steps; from the first step on). */
  get residentMoments(): boolean {
    return this.kernel !== null;
  }

  /** Take the backend's kernel (once, at a step) and move the moments into it; null where there is none or no room. */
  private takeKernel(): AdamKernel | null {
    const be = this.kernelFrom;
    if (this.kernel || !be || this.kernelAsked) return this.kernel;
    this.kernelAsked = true;
    const k = be.adamKernel?.(this.params.map((p) => p.size)) ?? null;
    if (!k) return null;
    for (let i = 0; i < this.params.length; i++) k.write(i, at(this.m, i, 'exp_avg'), at(this.v, i, 'exp_avg_sq'));
    this.kernel = k;
    this.m = [];
    this.v = [];
    return k;
  }

  /**
   * Move the moments out of the backend's kernel into this optimizer's own arrays and free the
   * kernel's memory now (otherwise freed when the optimizer is collected); the next step takes a
   * kernel again. Same numbers either way.
   */
  releaseKernel(): void {
    const k = this.kernel;
    if (!k) return;
    const mv = this.params.map((_, i) => k.read(i));
    this.m = mv.map((x) => x.m);
    this.v = mv.map((x) => x.v);
    this.kernel = null;
    this.kernelAsked = false;
    k.free();
  }

  /** Parameter k's moments: the buffers themselves, or copies from the kernel (see step). */
  private moments(k: number): { m: Float64Array; v: Float64Array } {
    return this.kernel ? this.kernel.read(k) : { m: at(this.m, k, 'exp_avg'), v: at(this.v, k, 'exp_avg_sq') };
  }

  /** Parameter k's moments: the buffers themselves or copies (read them, do not keep them). */
  readMoments(k: number): { m: Float64Array; v: Float64Array } {
    return this.moments(k);
  }

  /** Set parameter k's moments (e.g. from a copy kept elsewhere during training). */
  writeMoments(k: number, m: ArrayLike<number>, v: ArrayLike<number>): void {
    if (this.kernel) {
      this.kernel.write(k, m, v);
      return;
    }
    const mk = at(this.m, k, 'exp_avg'), vk = at(this.v, k, 'exp_avg_sq');
    if (m.length !== mk.length || v.length !== vk.length) throw new Error(`${this.kindName()}.writeMoments: parameter ${k} has ${mk.length} moments`);
    mk.set(m);
    vk.set(v);
  }

  /**
   * The hyper-parameters of the next step (at the current lr) where it is the plain update of
   * every parameter at one step count t — no L2 term, no amsgrad, β₁ > 0.5 — else null. A step
   * with them (AdamKernel.step's arithmetic, e.g. on buffers resident elsewhere) followed by
   * countPlainStep() is this optimizer's step().
   */
  plainHyper(): AdamHyper | null {
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    const w1 = 1 - b1;
    if (this.amsgrad || (!decoupled && wd !== 0) || !(w1 < 0.5) || this.params.length === 0) return null;
    const t = at(this.steps, 0, 'Adam steps') + 1;
    if (this.steps.some((s) => s + 1 !== t)) return null;
    return { decay: decoupled ? 1 - lr * wd : 1, w1, b2, stepSize: lr / (1 - b1 ** t), bc2Sqrt: Math.sqrt(1 - b2 ** t), eps };
  }

  /** Count the plain step that plainHyper() described as done for every parameter. */
  countPlainStep(): void {
    this.steps.fill(at(this.steps, 0, 'Adam steps') + 1);
  }

  /** The whole step in the backend's kernel, when every parameter takes the plain update at one t. */
  private kernelStep(): boolean {
    // Only for a step the kernel can run: an optimizer that never takes the plain update (an L2
    // term, amsgrad) keeps its moments in JS instead of copying them in and out of a kernel.
    const h = this.plainHyper();
    if (!h) return false;
    const grads: Float32Array[] = [];
    for (let k = 0; k < this.params.length; k++) {
      const g = this.gradOf(k);
      if (!(g instanceof Float32Array)) return false;
      grads.push(g);
    }
    const kernel = this.takeKernel();
    if (!kernel) return false;
    kernel.step(this.params.map((p) => p.data as Float32Array), grads, h);
    this.countPlainStep();
    return true;
  }

  step(): void {
    if (this.kernelStep()) return;
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    for (let k = 0; k < this.params.length; k++) {
      const g = this.gradOf(k);
      if (g === null) continue;
      const p = at(this.params, k, 'Adam parameters').data;
      const { m, v } = this.moments(k);
      const vmax = this.vmax[k] ?? null;
      const t = at(this.steps, k, 'Adam steps') + 1;
      this.steps[k] = t;
      const stepSize = lr / (1 - b1 ** t);
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      const decay = decoupled ? 1 - lr * wd : 1;
      const l2 = decoupled ? 0 : wd;
      const w1 = 1 - b1;
      if (vmax === null && l2 === 0 && w1 < 0.5) {
        adamPlain(p, g, m, v, decay, w1, b2, stepSize, bc2Sqrt, eps);
        this.kernel?.write(k, m, v);
        continue;
      }
      for (let i = 0; i < p.length; i++) {
        let pi = p[i]! * decay;
        const gi = l2 !== 0 ? g[i]! + l2 * pi : g[i]!;
        // m.lerp_(g, 1 − β₁), with torch.lerp's two branches for rounding fidelity.
        const mi = w1 < 0.5 ? m[i]! + w1 * (gi - m[i]!) : gi - (gi - m[i]!) * (1 - w1);
        let vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (vmax !== null) {
          if (vi > vmax[i]!) vmax[i] = vi;
          else vi = vmax[i]!;
        }
        pi -= stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
        p[i] = pi;
      }
      this.kernel?.write(k, m, v);
    }
  }

  stateDict(): OptimizerState {
    const has = (i: number) => at(this.steps, i, 'Adam steps') > 0;
    const mv = this.params.map((_, i) => (has(i) ? this.moments(i) : null));
    const named: Record<string, (Float64Array | null)[]> = {
      exp_avg: mv.map((x) => x?.m ?? null),
      exp_avg_sq: mv.map((x) => x?.v ?? null),
    };
    if (this.amsgrad) named.max_exp_avg_sq = this.vmax.map((a, i) => (has(i) ? a : null));
    return this.exportBuffers(this.kindName(), { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad }, named);
  }

  loadStateDict(state: OptimizerState): void {
    const kind = this.kindName();
    const get = this.importCommon(kind, state);
    if (state.hyper.amsgrad !== undefined && state.hyper.amsgrad !== this.amsgrad) {
      throw new Error(`${kind}.loadStateDict: state has amsgrad=${state.hyper.amsgrad}, this optimizer amsgrad=${this.amsgrad}`);
    }
    const loaded = this.params.map((_, i) => {
      if (at(state.steps, i, 'Adam state steps') === 0) return null;
      const m = get(i, 'exp_avg');
      const v = get(i, 'exp_avg_sq');
      const vm = this.amsgrad ? get(i, 'max_exp_avg_sq') : null;
      if (m === null || v === null || (this.amsgrad && vm === null)) throw new Error(`${kind}.loadStateDict: missing moment buffers for parameter ${i}`);
      return { m, v, vm };
    });
    applyHyper(this, state.hyper);
    for (let i = 0; i < this.params.length; i++) {
      this.steps[i] = at(state.steps, i, 'Adam state steps');
      const l = loaded[i];
      const size = at(this.params, i, 'Adam parameters').size;
      if (this.kernel) this.kernel.write(i, l ? l.m : new Float64Array(size), l ? l.v : new Float64Array(size));
      else {
        const m = at(this.m, i, 'exp_avg'), v = at(this.v, i, 'exp_avg_sq');
        if (l) {
          m.set(l.m);
          v.set(l.v);
        } else {
          m.fill(0);
          v.fill(0);
        }
      }
      const vm = this.vmax[i];
      if (vm) {
        if (l?.vm) vm.set(l.vm);
        else vm.fill(0);
      }
    }
  }

  protected kindName(): string {
    return this.decoupled ? 'AdamW' : 'Adam';
  }
}

/** The common case (no L2 term, no amsgrad, β₁ > 0.5) without branches in the loop; same arithmetic as the general loop. */
function adamPlain(p: Float32Array | Float64Array, g: Float32Array | Float64Array, m: Float64Array, v: Float64Array,
  decay: number, w1: number, b2: number, stepSize: number, bc2Sqrt: number, eps: number): void {
  const c2 = 1 - b2;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = m[i]! + w1 * (gi - m[i]!);
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! * decay - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

/**
 * AdamW exactly as torch.optim.AdamW: first p ← p·(1 − lr·λ) (decoupled weight decay, default
 * λ = 0.01), then the Adam update without any L2 term in the gradient.
 */
export class AdamW extends Adam {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts, 'AdamW', true, 1e-2);
  }
}
