import { Tensor, type DType } from '../tensor/index.js';
import type { Module } from './module.js';

/**
 * Exponential moving average of a module's parameters (the weights sampled from in DDPM practice):
 * after each optimizer step, shadow ← decay·shadow + (1 − decay)·param. The shadow copies are
 * float64 by default, because in float32 an update (1 − decay)·(param − shadow) smaller than
 * half an ulp of shadow is lost and the average stalls.
 */
export class EMA {
  decay: number;
  /** Name → shadow tensor, names as the module's namedParameters. */
  readonly shadow: Record<string, Tensor>;
  /** Number of update() calls so far. */
  updates = 0;
  private backup: Map<Tensor, Float32Array | Float64Array> | null = null;

  constructor(module: Module, decay = 0.999, opts: { dtype?: DType } = {}) {
    checkDecay(decay);
    this.decay = decay;
    const dtype = opts.dtype ?? 'float64';
    this.shadow = Object.create(null);
    for (const [name, p] of module.namedParameters()) {
      const data = dtype === 'float64' ? Float64Array.from(p.data) : Float32Array.from(p.data);
      this.shadow[name] = new Tensor(data, p.shape);
    }
  }

  /** shadow ← decay·shadow + (1 − decay)·param for every parameter of `module`. */
  update(module: Module): void {
    const d = this.decay;
    checkDecay(d);
    for (const [, p, s] of this.pairs(module)) {
      const sd = s.data;
      const pd = p.data;
      for (let i = 0; i < sd.length; i++) sd[i] = d * sd[i]! + (1 - d) * pd[i]!;
    }
    this.updates++;
  }

  /**
   * One update done by `apply(decay)` elsewhere with update()'s arithmetic (the compiled training
   * step's shadow, resident in the backend): checks the decay and counts the update.
   */
  updateWith(apply: (decay: number) => void): void {
    checkDecay(this.decay);
    apply(this.decay);
    this.updates++;
  }

  /** Copy the averages into the module's parameters (rounded to their dtype). */
  copyTo(module: Module): void {
    for (const [, p, s] of this.pairs(module)) p.data.set(s.data);
  }

  /** Set the averages to the module's current parameters. */
  copyFrom(module: Module): void {
    for (const [, p, s] of this.pairs(module)) s.data.set(p.data);
  }

  /** Save the module's parameters and put the averages in their place (for sampling); undo with restore(). */
  swapIn(module: Module): void {
    if (this.backup !== null) throw new Error('EMA.swapIn: averages are already swapped in; call restore() first');
    const backup = new Map<Tensor, Float32Array | Float64Array>();
    for (const [, p] of this.pairs(module)) backup.set(p, p.data.slice());
    this.copyTo(module);
    this.backup = backup;
  }

  /** Put back the parameters saved by swapIn. */
  restore(module: Module): void {
    if (this.backup === null) throw new Error('EMA.restore: nothing to restore (swapIn was not called)');
    for (const [name, p] of module.namedParameters()) {
      const saved = this.backup.get(p);
      if (saved === undefined) throw new Error(`EMA.restore: parameter '${name}' was not swapped in from this module`);
      p.data.set(saved);
    }
    this.backup = null;
  }

  /** Run fn with the averages swapped into `module`, restoring its parameters afterwards (also on error). */
  withAveraged<T>(module: Module, fn: () => T): T {
    this.swapIn(module);
    try {
      return fn();
    } finally {
      this.restore(module);
    }
  }

  private pairs(module: Module): [string, Tensor, Tensor][] {
    const params = module.namedParameters();
    const names = Object.keys(this.shadow);
    if (params.length !== names.length) {
      throw new Error(`EMA: the module has ${params.length} parameters, the average ${names.length}`);
    }
    return params.map(([name, p]) => {
      const s = this.shadow[name];
      if (s === undefined) throw new Error(`EMA: parameter '${name}' has no shadow copy (a different module?)`);
      if (s.size !== p.size) throw new Error(`EMA: parameter '${name}' has ${p.size} elements, its shadow ${s.size}`);
      return [name, p, s];
    });
  }
}

function checkDecay(d: number): void {
  if (!(d >= 0 && d <= 1)) throw new Error(`EMA: decay must be in [0, 1], got ${d}`);
}
