import { Tensor } from '../tensor/index.js';
import { at } from '../util/checked.js';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** At most `max` names, then "… and k more" (error messages stay readable for big models). */
function listNames(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`).join(', ');
  return names.length > max ? `${shown} … and ${names.length - max} more` : shown;
}

/**
 * Base class of network parts, as torch.nn.Module. Parameters and submodules are discovered from
 * the object's own fields in insertion (declaration) order, so no registration calls are needed:
 *   - a Tensor field with requiresGrad is a parameter ('weight'),
 *   - a Module field is a submodule ('mlp1' → 'mlp1.weight'),
 *   - an array field holds submodules or parameters named by index ('downs.0.mlp1.weight').
 * Anything else (numbers, typed arrays, tensors without requiresGrad, `#private` fields) is
 * ignored. Names are exactly PyTorch's for the same structure, so state dicts interchange.
 */
export abstract class Module {
  /** Training mode (as PyTorch's `training`; set recursively by train()/eval()). */
  training = true;

  abstract forward(...args: any[]): Tensor;

  /**
   * The [name, value] pairs scanned for parameters and submodules. Default: own enumerable fields.
   * Containers override it (Sequential names its layers '0', '1', …).
   */
  protected fields(): [string, unknown][] {
    return Object.entries(this);
  }

  /** Direct submodules, with their field names (array elements as 'name.i'). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of this.fields()) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v instanceof Module) out.push([`${key}.${i}`, v]);
        });
      }
    }
    return out;
  }

  /** Parameters held directly by this module (not by submodules). */
  private ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of this.fields()) {
      if (value instanceof Tensor) {
        if (value.requiresGrad) out.push([key, value]);
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v instanceof Tensor && v.requiresGrad) out.push([`${key}.${i}`, v]);
        });
      }
    }
    return out;
  }

  /** This module ('' ) and all submodules, depth first, each once (a shared submodule under its first name). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [name, m] = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([name, m]);
      const kids = m.namedChildren();
      for (let i = kids.length - 1; i >= 0; i--) {
        const [k, c] = at(kids, i, 'child modules');
        stack.push([name === '' ? k : `${name}.${k}`, c]);
      }
    }
    return out;
  }

  /** Every (name, parameter) pair, each tensor once (a shared tensor under its first name), as PyTorch. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mname, m] of this.namedModules()) {
      for (const [pname, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([mname === '' ? pname : `${mname}.${pname}`, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.size;
    return n;
  }

  /**
   * Name → parameter tensor. As PyTorch, the tensors are the parameters themselves (shared
   * storage: later training changes them); pass { copy: true } for a snapshot.
   */
  stateDict(opts: { copy?: boolean } = {}): StateDict {
    const sd: StateDict = Object.create(null);
    for (const [name, p] of this.namedParameters()) {
      sd[name] = opts.copy ? new Tensor(p.data.slice(), p.shape) : p;
    }
    return sd;
  }

  /**
   * Copy values from a state dict into the parameters' storage (float64 values are rounded into
   * float32 parameters and vice versa). A shape mismatch is always an error; with `strict`,
   * missing and unexpected keys are errors too. Nothing is copied unless all checks pass.
   */
  loadStateDict(sd: Record<string, Tensor>, strict = true): LoadStateDictResult {
    const own = this.namedParameters();
    const ownNames = new Set(own.map(([n]) => n));
    const missingKeys = own.filter(([n]) => !Object.prototype.hasOwnProperty.call(sd, n)).map(([n]) => n);
    const unexpectedKeys = Object.keys(sd).filter((k) => !ownNames.has(k));
    const problems: string[] = [];
    for (const [name, p] of own) {
      if (!Object.prototype.hasOwnProperty.call(sd, name)) continue;
      const src = sd[name];
      if (!(src instanceof Tensor)) {
        problems.push(`'${name}' is not a Tensor in the state dict`);
        continue;
      }
      if (src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i])) {
        problems.push(`'${name}': shape ${fmt(src.shape)} in the state dict but ${fmt(p.shape)} in the model`);
      }
    }
    if (strict) {
      if (missingKeys.length > 0) problems.push(`missing keys (in the model, not in the state dict): ${listNames(missingKeys)}`);
      if (unexpectedKeys.length > 0) problems.push(`unexpected keys (in the state dict, not in the model): ${listNames(unexpectedKeys)}`);
    }
    if (problems.length > 0) throw new Error(`loadStateDict(${this.constructor.name}): ${problems.join('; ')}`);
    for (const [name, p] of own) {
      const src = sd[name];
      if (src !== undefined && src !== p) p.data.set(src.data);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Set training mode on this module and every submodule; returns this. */
  train(flag = true): this {
    for (const [, m] of this.namedModules()) m.training = flag;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Drop the gradients of all parameters (set to null), as PyTorch's zero_grad(). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}

/** Modules applied in order, output of one the input of the next; layers are named '0', '1', … */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    for (const [i, m] of layers.entries()) {
      if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} is not a Module`);
    }
    this.layers = layers;
  }

  protected override fields(): [string, unknown][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.layers) h = m.forward(h);
    return h;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Module {
    const m = this.layers[i < 0 ? this.layers.length + i : i];
    if (m === undefined) throw new Error(`Sequential.at(${i}): only ${this.layers.length} layers`);
    return m;
  }
}
