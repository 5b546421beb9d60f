import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Adam, AdamW, SGD, SinusoidalTimeEmbedding, clipGradNorm, type Optimizer } from '../../src/nn/index.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { noGrad } from '../../src/autograd/index.js';
import { Rng } from '../../src/random/index.js';
import { Tensor, fromStorage, tensor } from '../../src/tensor/index.js';
import { Net } from './thesis-net.js';

/**
 * Reference values from PyTorch itself (torch 2.13.0+cpu, safetensors 0.8.0), made by
 * fixtures/pytorch_reference.py: torch.optim on the same quadratic as optim.test.ts, clip_grad_norm_,
 * the thesis appendix's SinusoidalPosEmb and MLP (verbatim, small widths) with its state dict
 * saved by safetensors.torch.
 */
const REF = JSON.parse(readFileSync(new URL('./fixtures/pytorch-reference.json', import.meta.url), 'utf8')) as {
  torch: string;
  optim: Record<string, number[]>;
  clip: { total: number; a: number[]; b: number[] };
  sinusoidal16: { t: number[]; emb: number[][] };
  mlp: { names: string[]; shapes: number[][]; safetensors: string; x: number[][]; time: number[]; y: number[][] };
};

const A = [0.3, -1.2, 2.5, 0.0];
const C = [1.0, 0.5, 3.0, 0.01];
const P0 = [0.5, -1.5, 2.0, 0.7];

function runOpt(make: (ps: Tensor[]) => Optimizer, steps: number, lrAt?: (t: number) => number): number[] {
  const p = fromStorage(Float64Array.from(P0), [4]).requireGrad();
  const opt = make([p]);
  for (let t = 1; t <= steps; t++) {
    if (lrAt) opt.lr = lrAt(t);
    p.grad = fromStorage(Float64Array.from(p.data, (x, i) => 2 * C[i]! * (x - A[i]!)), [4]);
    opt.step();
  }
  return Array.from(p.data);
}

/** Distance in units in the last place (float64). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const ulp = Math.max(Math.abs(a), Math.abs(b)) * 2 ** -52;
  return Math.abs(a - b) / Math.max(ulp, Number.MIN_VALUE);
}

describe(`optimizers against torch.optim (torch ${REF.torch})`, () => {
  const cases: [string, () => number[]][] = [
    ['adam_default_8', () => runOpt((ps) => new Adam(ps, { lr: 0.05 }), 8)],
    ['adam_eps_6', () => runOpt((ps) => new Adam(ps, { lr: 0.1, betas: [0.8, 0.99], eps: 1e-3 }), 6)],
    ['adam_wd_7', () => runOpt((ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.3 }), 7)],
    ['adam_amsgrad_10', () => runOpt((ps) => new Adam(ps, { lr: 0.2, amsgrad: true }), 10)],
    ['adam_beta1_small_5', () => runOpt((ps) => new Adam(ps, { lr: 0.05, betas: [0.3, 0.9] }), 5)],
    ['adam_schedule_6', () => runOpt((ps) => new Adam(ps, { lr: 1 }), 6, (t) => 0.1 / t)],
    ['adamw_wd_8', () => runOpt((ps) => new AdamW(ps, { lr: 0.05, weightDecay: 0.3 }), 8)],
    ['adamw_default_3', () => runOpt((ps) => new AdamW(ps, { lr: 1e-3 }), 3)],
    ['sgd_plain_6', () => runOpt((ps) => new SGD(ps, { lr: 0.1 }), 6)],
    ['sgd_wd_6', () => runOpt((ps) => new SGD(ps, { lr: 0.1, weightDecay: 0.2 }), 6)],
    ['sgd_momentum_6', () => runOpt((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9 }), 6)],
    ['sgd_dampening_6', () => runOpt((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.1 }), 6)],
    ['sgd_nesterov_6', () => runOpt((ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, weightDecay: 0.1, nesterov: true }), 6)],
  ];
  for (const [name, fn] of cases) {
    it(`${name}: within 4 ulps of PyTorch's float64 result`, () => {
      const want = REF.optim[name]!;
      const got = fn();
      want.forEach((w, i) => expect(ulps(got[i]!, w), `element ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(4));
    });
  }

  it('float32 parameters: within 8 float32 ulps of PyTorch after 20 steps (PyTorch keeps float32 moments, we float64)', () => {
    for (const [name, make] of [
      ['adam_f32_20', (ps: Tensor[]) => new Adam(ps, { lr: 0.05 })],
      ['adamw_f32_20', (ps: Tensor[]) => new AdamW(ps, { lr: 0.05, weightDecay: 0.3 })],
    ] as const) {
      const p = fromStorage(Float32Array.from(P0), [4]).requireGrad();
      const opt = make([p]);
      for (let t = 1; t <= 20; t++) {
        // The gradient as float32 autograd computes it: c·(2·(p − a)), each op rounded.
        p.grad = fromStorage(Float32Array.from(p.data, (x, i) => Math.fround(C[i]! * Math.fround(2 * Math.fround(x - A[i]!)))), [4]);
        opt.step();
      }
      const want = REF.optim[name]!;
      want.forEach((w, i) => expect(Math.abs(p.data[i]! - w), `${name} element ${i}: ${p.data[i]} vs ${w}`).toBeLessThanOrEqual(8 * 2 ** (Math.floor(Math.log2(Math.abs(w))) - 23)));
    }
  });

  it('clip_grad_norm_: same total norm and clipped gradients', () => {
    const a = fromStorage(new Float64Array(2), [2]).requireGrad();
    const b = fromStorage(new Float64Array(1), [1]).requireGrad();
    a.grad = tensor([3, 4], { dtype: 'float64' });
    b.grad = tensor([12], { dtype: 'float64' });
    expect(clipGradNorm([a, b], 6.5)).toBe(REF.clip.total);
    [...a.grad.data, ...b.grad.data].forEach((g, i) => expect(ulps(g, [...REF.clip.a, ...REF.clip.b][i]!)).toBeLessThanOrEqual(2));
  });
});

describe('the thesis network against PyTorch', () => {
  it("SinusoidalTimeEmbedding matches the thesis's SinusoidalPosEmb (PyTorch float32) to float32 angle rounding", () => {
    const { t, emb } = REF.sinusoidal16;
    const ours = new SinusoidalTimeEmbedding(16).forward(t);
    t.forEach((tt, i) => {
      // PyTorch rounds the angle t·f to float32: an error up to ½ulp(t·f) ≈ 3e-8·t in sin and cos.
      const tol = 1e-7 + 6e-8 * tt;
      emb[i]!.forEach((w, j) => expect(Math.abs(ours.data[i * 16 + j]! - w), `t=${tt} j=${j}`).toBeLessThan(tol));
    });
  });

  it('our thesis-shaped Net has exactly the parameter names and shapes of the PyTorch MLP', () => {
    const net = new Net(5, new Rng(1));
    expect(net.namedParameters().map(([n]) => n)).toEqual(REF.mlp.names);
    expect(net.namedParameters().map(([, p]) => p.shape)).toEqual(REF.mlp.shapes);
  });

  it("loads PyTorch's safetensors state dict and reproduces PyTorch's forward pass", () => {
    const file = decodeSafetensors(new Uint8Array(Buffer.from(REF.mlp.safetensors, 'base64')));
    const net = new Net(5, new Rng(1));
    net.loadStateDict(file.tensors);
    const x = tensor(REF.mlp.x);
    const y = noGrad(() => net.forward(x, tensor(REF.mlp.time)));
    expect(y.shape).toEqual([3, 5]);
    REF.mlp.y.flat().forEach((w, i) => expect(Math.abs(y.data[i]! - w), `output ${i}`).toBeLessThan(2e-6));
  });
});
