import { describe, expect, it } from 'vitest';
import { Adam, AdamW, SGD, clipGradNorm, clipScale, clipSurelyIdle, optimizerStateFromSafetensors, optimizerStateToSafetensors, type Optimizer } from '../../src/nn/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Tensor, fromStorage } from '../../src/tensor/index.js';
import { Rng } from '../../src/random/index.js';

/**
 * Oracles: the published update rules (Kingma & Ba 2015 with PyTorch's L2 / eps placement;
 * Loshchilov & Hutter 2019 for AdamW; PyTorch's SGD documentation), written out below in plain
 * float64 arithmetic independently of the implementation. Gradients are set by hand: the
 * gradient of the quadratic L(p) = Σ c_i (p_i − a_i)² at the current parameters.
 */
const A = [0.3, -1.2, 2.5, 0.0];
const C = [1.0, 0.5, 3.0, 0.01];
const P0 = [0.5, -1.5, 2.0, 0.7];
const gradAt = (p: readonly number[]): number[] => p.map((x, i) => 2 * C[i]! * (x - A[i]!));

function param(values: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor {
  return fromStorage(dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), [values.length]).requireGrad();
}

function setGrad(p: Tensor, g: number[]): void {
  p.grad = fromStorage(p.dtype === 'float64' ? Float64Array.from(g) : Float32Array.from(g), p.shape);
}

function expectClose(got: ArrayLike<number>, want: readonly number[], rtol: number, atol = 0): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = atol + rtol * Math.abs(want[i]!);
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (tol ${tol})`);
  }
}

/** Run `steps` optimizer steps on p with the quadratic's gradient; lrAt(t) may change lr (t = 1, 2, …). */
function run(opt: Optimizer, p: Tensor, steps: number, lrAt?: (t: number) => number): void {
  for (let t = 1; t <= steps; t++) {
    if (lrAt) opt.lr = lrAt(t);
    setGrad(p, gradAt(Array.from(p.data)));
    opt.step();
  }
}

/** Adam / AdamW by the textbook formulas: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), p −= lr·m̂/(√v̂ + ε). */
function adamByHand(o: { lr: number | ((t: number) => number); b1: number; b2: number; eps: number; wd: number; decoupled: boolean; amsgrad?: boolean }, steps: number): number[] {
  const p = P0.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const vmax = p.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    const lr = typeof o.lr === 'function' ? o.lr(t) : o.lr;
    const g0 = gradAt(p);
    for (let i = 0; i < p.length; i++) {
      if (o.decoupled) p[i] = p[i]! - lr * o.wd * p[i]!;
      const g = o.decoupled ? g0[i]! : g0[i]! + o.wd * p[i]!;
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g * g;
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const mhat = m[i]! / (1 - o.b1 ** t);
      const vhat = (o.amsgrad ? vmax[i]! : v[i]!) / (1 - o.b2 ** t);
      p[i] = p[i]! - (lr * mhat) / (Math.sqrt(vhat) + o.eps);
    }
  }
  return p;
}

describe('Adam', () => {
  it('first step moves each parameter by lr·sign(g) (|m̂|/√v̂ = 1 at t = 1)', () => {
    const p = param(P0);
    const opt = new Adam([p], { lr: 0.01, eps: 0 });
    run(opt, p, 1);
    expectClose(p.data, P0.map((x, i) => x - 0.01 * Math.sign(gradAt(P0)[i]!)), 1e-15, 1e-15);
  });

  it('matches the published update rule over 8 steps (defaults)', () => {
    const p = param(P0);
    run(new Adam([p], { lr: 0.05 }), p, 8);
    expectClose(p.data, adamByHand({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false }, 8), 1e-13, 1e-15);
  });

  it('adds eps after the square root of the bias-corrected second moment (eps large vs gradients)', () => {
    // With |g| ~ 1e-2·0.01 for the last coordinate, eps = 1e-3 dominates: placing eps inside the
    // root, or before bias correction, would change the result far beyond the tolerance.
    const p = param(P0);
    run(new Adam([p], { lr: 0.1, betas: [0.8, 0.99], eps: 1e-3 }), p, 6);
    const want = adamByHand({ lr: 0.1, b1: 0.8, b2: 0.99, eps: 1e-3, wd: 0, decoupled: false }, 6);
    expectClose(p.data, want, 1e-13, 1e-15);
    const wrong = adamByHand({ lr: 0.1, b1: 0.8, b2: 0.99, eps: 1e-3 * Math.sqrt(1 - 0.99), wd: 0, decoupled: false }, 6);
    expect(Math.abs(wrong[3]! - want[3]!)).toBeGreaterThan(1e-6);
  });

  it('L2 weight decay is added to the gradient', () => {
    const p = param(P0);
    run(new Adam([p], { lr: 0.05, weightDecay: 0.3 }), p, 7);
    expectClose(p.data, adamByHand({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.3, decoupled: false }, 7), 1e-13, 1e-15);
  });

  it('amsgrad uses the running maximum of v', () => {
    const p = param(P0);
    run(new Adam([p], { lr: 0.2, amsgrad: true }), p, 10);
    const want = adamByHand({ lr: 0.2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: true }, 10);
    expectClose(p.data, want, 1e-13, 1e-15);
    // The case is one where the maximum matters.
    const plain = adamByHand({ lr: 0.2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false }, 10);
    expect(Math.max(...want.map((w, i) => Math.abs(w - plain[i]!)))).toBeGreaterThan(1e-6);
  });

  it('reads lr at every step (schedules)', () => {
    const sched = (t: number) => 0.1 / t;
    const p = param(P0);
    run(new Adam([p], { lr: 1 }), p, 6, sched);
    expectClose(p.data, adamByHand({ lr: sched, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false }, 6), 1e-13, 1e-15);
  });

  it('float32 parameters: float64 arithmetic, rounded once per step', () => {
    const p = param(P0, 'float32');
    const opt = new Adam([p], { lr: 0.05 });
    // Hand rule on the float32-rounded parameters.
    const q = P0.map(Math.fround);
    const m = q.map(() => 0), v = q.map(() => 0);
    for (let t = 1; t <= 5; t++) {
      setGrad(p, gradAt(Array.from(p.data)));
      const g = Array.from(p.grad!.data);
      opt.step();
      for (let i = 0; i < q.length; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
        q[i] = Math.fround(q[i]! - (0.05 * m[i]! / (1 - 0.9 ** t)) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8));
      }
      expectClose(p.data, q, 1.2e-7, 1e-12);
    }
  });

  it('skips parameters without a gradient and counts steps per parameter', () => {
    const p = param(P0);
    const idle = param([1, 2]);
    const opt = new Adam([idle, p], { lr: 0.05 });
    run(opt, p, 4);
    expect(Array.from(idle.data)).toEqual([1, 2]);
    expectClose(p.data, adamByHand({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false }, 4), 1e-13, 1e-15);
    expect(opt.stateDict().steps).toEqual([0, 4]);
  });

  it('rejects bad hyperparameters and parameter lists', () => {
    const p = param(P0);
    expect(() => new Adam([p], { lr: -1 })).toThrow(/invalid lr -1/);
    expect(() => new Adam([p], { betas: [1, 0.9] })).toThrow(/beta parameter at index 0/);
    expect(() => new Adam([p], { eps: NaN })).toThrow(/epsilon/);
    expect(() => new Adam([p, p])).toThrow(/appears more than once/);
    expect(() => new Adam([fromStorage(new Float64Array(2), [2])])).toThrow(/does not have requiresGrad/);
    expect(() => new Adam([])).toThrow(/empty parameter list/);
  });
});

describe('AdamW', () => {
  it('decays the parameter first (p ← p·(1 − lr·λ)), then the Adam step without L2', () => {
    const p = param(P0);
    run(new AdamW([p], { lr: 0.05, weightDecay: 0.3 }), p, 8);
    const want = adamByHand({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.3, decoupled: true }, 8);
    expectClose(p.data, want, 1e-13, 1e-15);
    const l2 = adamByHand({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.3, decoupled: false }, 8);
    expect(Math.max(...want.map((w, i) => Math.abs(w - l2[i]!)))).toBeGreaterThan(1e-4);
  });

  it('has PyTorch defaults (weight decay 0.01)', () => {
    const p = param(P0);
    const opt = new AdamW([p]);
    expect([opt.lr, opt.beta1, opt.beta2, opt.eps, opt.weightDecay]).toEqual([1e-3, 0.9, 0.999, 1e-8, 0.01]);
    run(opt, p, 3);
    expectClose(p.data, adamByHand({ lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true }, 3), 1e-13, 1e-15);
  });
});

describe('SGD', () => {
  function sgdByHand(o: { lr: number; mu: number; damp: number; wd: number; nesterov: boolean }, steps: number): number[] {
    const p = P0.slice();
    const b = p.map(() => 0);
    for (let t = 1; t <= steps; t++) {
      const g0 = gradAt(p);
      for (let i = 0; i < p.length; i++) {
        let d = g0[i]! + o.wd * p[i]!;
        if (o.mu !== 0) {
          b[i] = t === 1 ? d : o.mu * b[i]! + (1 - o.damp) * d;
          d = o.nesterov ? d + o.mu * b[i]! : b[i]!;
        }
        p[i] = p[i]! - o.lr * d;
      }
    }
    return p;
  }
  const cases = [
    { lr: 0.1, mu: 0, damp: 0, wd: 0, nesterov: false },
    { lr: 0.1, mu: 0, damp: 0, wd: 0.2, nesterov: false },
    { lr: 0.05, mu: 0.9, damp: 0, wd: 0, nesterov: false },
    { lr: 0.05, mu: 0.9, damp: 0.3, wd: 0.1, nesterov: false },
    { lr: 0.05, mu: 0.8, damp: 0, wd: 0.1, nesterov: true },
  ];
  for (const c of cases) {
    it(`matches the PyTorch rule: ${JSON.stringify(c)}`, () => {
      const p = param(P0);
      run(new SGD([p], { lr: c.lr, momentum: c.mu, dampening: c.damp, weightDecay: c.wd, nesterov: c.nesterov }), p, 6);
      expectClose(p.data, sgdByHand(c, 6), 1e-14, 1e-15);
    });
  }
  it('plain SGD on a quadratic: closed form p_t − a = (1 − 2lr·c)^t (p_0 − a)', () => {
    const p = param(P0);
    run(new SGD([p], { lr: 0.1 }), p, 5);
    expectClose(p.data, P0.map((x, i) => A[i]! + (1 - 0.2 * C[i]!) ** 5 * (x - A[i]!)), 1e-13, 1e-15);
  });
  it('nesterov needs momentum and no dampening', () => {
    expect(() => new SGD([param(P0)], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
  });
});

describe('optimizer state save/load', () => {
  const makers: [string, (ps: Tensor[]) => Optimizer][] = [
    ['Adam', (ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.1, amsgrad: true })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.05 })],
    ['SGD', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: resuming from a saved state (through safetensors) continues identically`, () => {
      const p = param(P0);
      const opt = make([p]);
      run(opt, p, 3);
      opt.lr = 0.02;
      const file = optimizerStateToSafetensors(opt.stateDict());
      const back = decodeSafetensors(encodeSafetensors(file.tensors, file.metadata));
      const q = param(Array.from(p.data));
      const opt2 = make([q]);
      opt2.loadStateDict(optimizerStateFromSafetensors(back));
      expect(opt2.lr).toBe(0.02);
      run(opt, p, 4);
      run(opt2, q, 4);
      expect(Array.from(q.data)).toEqual(Array.from(p.data));
    });
  }
  it('refuses a state from another optimizer or parameter count', () => {
    const p = param(P0);
    const adam = new Adam([p]);
    run(adam, p, 1);
    expect(() => new SGD([param(P0)], { lr: 1 }).loadStateDict(adam.stateDict())).toThrow(/state is from a Adam optimizer/);
    expect(() => new Adam([param(P0), param([1])]).loadStateDict(adam.stateDict())).toThrow(/1 parameters, this optimizer 2/);
  });
});

describe('clipGradNorm', () => {
  it('scales all gradients by maxNorm / (total + 1e-6) when the global norm is above maxNorm', () => {
    const a = param([0, 0]), b = param([0]), c = param([5]);
    setGrad(a, [3, 4]);
    setGrad(b, [12]);
    // c has no gradient and is skipped. Global norm √(9 + 16 + 144) = 13.
    const total = clipGradNorm([a, b, c], 6.5);
    expect(total).toBe(13);
    const coef = 6.5 / (13 + 1e-6);
    expectClose(a.grad!.data, [3 * coef, 4 * coef], 1e-15);
    expectClose(b.grad!.data, [12 * coef], 1e-15);
    expect(c.grad).toBeNull();
  });
  it('leaves gradients alone when the norm is below maxNorm', () => {
    const a = param([0, 0]);
    setGrad(a, [3, 4]);
    expect(clipGradNorm([a], 5.1)).toBe(5);
    expect(Array.from(a.grad!.data)).toEqual([3, 4]);
  });
  it('clipSurelyIdle: where it says idle, the in-order sum does not clip (near the threshold too)', () => {
    const rng = new Rng(21);
    let idleSeen = 0, busySeen = 0, tight = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rng.int(3000);
      const g = Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * 2 ** (rng.int(20) - 10));
      let inOrder = 0;
      for (const v of g) inOrder += v * v;
      // Another order: pairwise from the back (the kernel's is lanes of eight).
      const sq = Float64Array.from(g, (v) => v * v).reverse();
      let any = 0;
      for (let i = 0; i < n; i += 2) any += sq[i]! + (sq[i + 1] ?? 0);
      // maxNorm within a few ulps of where coef = maxNorm / (√sq + 1e-6) crosses 1.
      const edge = Math.sqrt(inOrder) + 1e-6;
      for (const maxNorm of [edge * (1 - 1e-12), edge * (1 - 2 ** -52), edge, edge * (1 + 2 ** -52), edge * (1 + 1e-9), edge * 2]) {
        const idle = clipSurelyIdle(any, n, maxNorm);
        const clips = clipScale(inOrder, maxNorm).scale !== null;
        if (idle) expect(clips).toBe(false);
        if (idle) idleSeen++; else busySeen++;
        if (!idle && !clips) tight++; // idle in fact, but too close to call: the in-order sum decides
      }
    }
    // Both answers occur, and the margin sends the near-threshold cases to the in-order sum.
    expect(idleSeen).toBeGreaterThan(200);
    expect(busySeen).toBeGreaterThan(200);
    expect(tight).toBeGreaterThan(100);
    expect(clipSurelyIdle(NaN, 1, 1)).toBe(false);
    expect(clipSurelyIdle(Infinity, 1, 1)).toBe(false);
    expect(clipSurelyIdle(0.25, 1, 0)).toBe(false); // maxNorm 0 clips everything
    // A count that is not one (negative, fractional, NaN) widens nothing: never surely idle.
    // (n = −2⁵⁰ made the margin 1 − 2⁻¹: sqAny halved, then 'idle' where the sum clips.)
    const edgeSq = 1.5; // clipScale(1.5, 1.2) clips
    expect(clipScale(edgeSq, 1.2).scale).not.toBeNull();
    for (const n of [-(2 ** 50), -1, 0.5, NaN, Infinity]) expect(clipSurelyIdle(edgeSq, n, 1.2), `n = ${n}`).toBe(false);
  });

  it('non-finite norms: an error on request', () => {
    const a = param([0]);
    setGrad(a, [Infinity]);
    expect(() => clipGradNorm([a], 1, { errorIfNonfinite: true })).toThrow(/total norm of the gradients is Infinity/);
  });
});
