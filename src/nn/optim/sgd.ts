import type { Tensor } from '../../tensor/index.js';
import { Optimizer, applyHyper, checkNonNegative, type OptimizerState } from './optimizer.js';
import { at } from '../../util/checked.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent exactly as torch.optim.SGD:
 *   g ← ∇ + λ·p;  with momentum μ: b ← g on the first step, else b ← μ·b + (1−τ)·g;
 *   g ← g + μ·b (nesterov) or g ← b;  p ← p − lr·g.
 * Arithmetic in float64 on the parameter storage in place; momentum buffers are float64.
 */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  private readonly buf: (Float64Array | null)[];

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    super(params, opts.lr, 'SGD');
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkNonNegative('SGD', 'momentum', this.momentum);
    checkNonNegative('SGD', 'dampening', this.dampening);
    checkNonNegative('SGD', 'weight_decay', this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: nesterov momentum requires a momentum > 0 and zero dampening');
    }
    this.buf = this.params.map((p) => (this.momentum !== 0 ? new Float64Array(p.size) : null));
  }

  step(): void {
    const { lr, momentum: mu, dampening, weightDecay: wd, nesterov } = this;
    for (let k = 0; k < this.params.length; k++) {
      const g = this.gradOf(k);
      if (g === null) continue;
      const p = at(this.params, k, 'SGD parameters').data;
      const b = at(this.buf, k, 'SGD momentum buffers');
      const steps = at(this.steps, k, 'SGD steps');
      const first = steps === 0;
      this.steps[k] = steps + 1;
      if (mu === 0 || b === null) {
        for (let i = 0; i < p.length; i++) {
          const d = wd !== 0 ? g[i]! + wd * p[i]! : g[i]!;
          p[i] = p[i]! - lr * d;
        }
        continue;
      }
      for (let i = 0; i < p.length; i++) {
        const d = wd !== 0 ? g[i]! + wd * p[i]! : g[i]!;
        const bi = first ? d : mu * b[i]! + (1 - dampening) * d;
        b[i] = bi;
        p[i] = p[i]! - lr * (nesterov ? d + mu * bi : bi);
      }
    }
  }

  stateDict(): OptimizerState {
    return this.exportBuffers('SGD', { momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov },
      { momentum_buffer: this.buf.map((b, i) => (this.steps[i] === 0 ? null : b)) });
  }

  loadStateDict(state: OptimizerState): void {
    const get = this.importCommon('SGD', state);
    const bufs = this.params.map((_, i) => get(i, 'momentum_buffer'));
    applyHyper(this, state.hyper);
    for (let i = 0; i < this.params.length; i++) {
      const steps = at(state.steps, i, 'SGD state steps');
      this.steps[i] = steps;
      const src = at(bufs, i, 'SGD momentum buffers');
      if (steps > 0 && this.momentum !== 0) {
        if (src === null) throw new Error(`SGD.loadStateDict: missing momentum_buffer for parameter ${i}`);
        this.buf[i] = src.slice();
      } else if (this.momentum !== 0) this.buf[i] = new Float64Array(at(this.params, i, 'SGD parameters').size);
    }
  }
}
