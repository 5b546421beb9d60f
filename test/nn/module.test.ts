import { describe, expect, it } from 'vitest';
import { GELU, Linear, MSELoss, Module, ReLU, Sequential, SiLU, Sigmoid, Tanh, Identity } from '../../src/nn/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { backward, gradcheck, sum } from '../../src/autograd/index.js';
import { Rng } from '../../src/random/index.js';
import { Tensor, fromStorage, randn, tensor } from '../../src/tensor/index.js';
import { Net } from './thesis-net.js';

/** Names PyTorch gives the same structure (module.named_parameters()), written out by hand. */
const BLOCK = (p: string, shortcut: boolean) => [
  `${p}.temb_proj.weight`, `${p}.temb_proj.bias`, `${p}.mlp1.weight`, `${p}.mlp1.bias`, `${p}.mlp2.weight`, `${p}.mlp2.bias`,
  ...(shortcut ? [`${p}.conv_shortcut.weight`, `${p}.conv_shortcut.bias`] : []),
];
const NET_NAMES = [
  't_emb.1.weight', 't_emb.1.bias', 't_emb.3.weight', 't_emb.3.bias',
  'mlp_in.weight', 'mlp_in.bias',
  ...BLOCK('downs.0', true), ...BLOCK('downs.1', true), ...BLOCK('downs.2', false), ...BLOCK('mid', false),
  ...BLOCK('ups.0', true), ...BLOCK('ups.1', true), ...BLOCK('ups.2', true),
  'mlp_out.weight', 'mlp_out.bias',
];

describe('Module naming', () => {
  it('gives PyTorch names in registration order for a thesis-shaped network', () => {
    const net = new Net(5, new Rng(1));
    expect(net.namedParameters().map(([n]) => n)).toEqual(NET_NAMES);
    expect(net.stateDict()['downs.1.mlp1.weight']!.shape).toEqual([8, 6]);
    expect(net.namedModules().map(([n]) => n).slice(0, 6)).toEqual(['', 't_emb', 't_emb.0', 't_emb.1', 't_emb.2', 't_emb.3']);
  });

  it('counts parameters', () => {
    const net = new Net(5, new Rng(1));
    const byHand = NET_NAMES.map((n) => net.stateDict()[n]!.size).reduce((a, b) => a + b, 0);
    expect(net.numParameters()).toBe(byHand);
    // t_emb.1: 10·6 + 6, t_emb.3: 6·6 + 6 — spot check of the sizes by hand.
    expect(net.stateDict()['t_emb.1.weight']!.size + net.stateDict()['t_emb.1.bias']!.size).toBe(66);
  });

  it('own parameters come before submodules, arrays of tensors are named by index, shared tensors appear once', () => {
    class M extends Module {
      child: Linear;
      scale: Tensor;
      list: Tensor[];
      frozen: Tensor;
      alias: Linear;
      constructor(rng: Rng) {
        super();
        this.child = new Linear(2, 3, rng);
        this.scale = tensor([1]).requireGrad();
        this.list = [tensor([1]).requireGrad(), tensor([2]).requireGrad()];
        this.frozen = tensor([3]); // no requiresGrad: not a parameter
        this.alias = this.child;
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new M(new Rng(2));
    expect(m.namedParameters().map(([n]) => n)).toEqual(['scale', 'list.0', 'list.1', 'child.weight', 'child.bias']);
    expect(m.parameters()).toHaveLength(5);
  });
});

describe('Linear', () => {
  it("uses PyTorch's default init: weight and bias U(-1/√in, 1/√in), moments within 5 standard errors", () => {
    const inF = 50, outF = 400;
    const lin = new Linear(inF, outF, new Rng(7));
    const bound = 1 / Math.sqrt(inF);
    expect(lin.weight.shape).toEqual([outF, inF]);
    expect(lin.bias!.shape).toEqual([outF]);
    for (const t of [lin.weight, lin.bias!]) {
      const n = t.size;
      let s = 0, s2 = 0, maxAbs = 0;
      for (const v of t.data) { s += v; s2 += v * v; maxAbs = Math.max(maxAbs, Math.abs(v)); }
      expect(maxAbs).toBeLessThan(bound);
      const mean = s / n, msq = s2 / n;
      // U(-b, b): mean 0 (sd b/√(3n)), E[x²] = b²/3 with sd b²·√(4/45 / n).
      expect(Math.abs(mean)).toBeLessThan(5 * bound / Math.sqrt(3 * n));
      expect(Math.abs(msq - bound * bound / 3)).toBeLessThan(5 * bound * bound * Math.sqrt(4 / 45 / n));
      // Both halves of the interval are used.
      expect(maxAbs).toBeGreaterThan(0.9 * bound);
    }
    expect(lin.weight.requiresGrad && lin.bias!.requiresGrad).toBe(true);
  });

  it('is reproducible per seed, draws the weight before the bias, honours bias:false and dtype', () => {
    const a = new Linear(3, 2, new Rng(9));
    const b = new Linear(3, 2, new Rng(9));
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    const r = new Rng(9);
    const w0 = (2 * r.uniform() - 1) / Math.sqrt(3);
    expect(a.weight.data[0]).toBe(Math.fround(w0));
    const nb = new Linear(3, 2, new Rng(9), { bias: false, dtype: 'float64' });
    expect(nb.bias).toBeNull();
    expect(nb.weight.dtype).toBe('float64');
    expect(nb.weight.data[0]).toBe(w0);
    expect(nb.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('forward is x·Wᵀ + b (float64 loop oracle) and rejects a wrong input width', () => {
    const rng = new Rng(3);
    const lin = new Linear(4, 3, rng, { dtype: 'float64' });
    const x = randn([5, 4], rng, 'float64');
    const y = lin.forward(x);
    expect(y.shape).toEqual([5, 3]);
    for (let i = 0; i < 5; i++) for (let o = 0; o < 3; o++) {
      let s = lin.bias!.data[o]!;
      for (let k = 0; k < 4; k++) s += x.data[i * 4 + k]! * lin.weight.data[o * 4 + k]!;
      expect(Math.abs(y.data[i * 3 + o]! - s)).toBeLessThan(1e-14);
    }
    expect(() => lin.forward(randn([5, 3], rng, 'float64'))).toThrow(/expected last dimension 4/);
  });
});

describe('activations, Sequential, MSELoss', () => {
  it('activation modules compute their functions', () => {
    const x = tensor([-2, -0.5, 0, 0.7, 3], { dtype: 'float64' });
    const erf = (z: number) => {
      // Abramowitz–Stegun 7.1.26 is too coarse; use the series (|z| ≤ 3 here, converges fast).
      let s = 0, term = z, n = 0;
      while (Math.abs(term) > 1e-17 * Math.abs(s) || n < 5) { s += term / (2 * n + 1); n++; term *= -z * z / n; }
      return (2 / Math.sqrt(Math.PI)) * s;
    };
    const cases: [Module, (v: number) => number][] = [
      [new GELU(), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      [new SiLU(), (v) => v / (1 + Math.exp(-v))],
      [new ReLU(), (v) => Math.max(0, v)],
      [new Tanh(), Math.tanh],
      [new Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
      [new Identity(), (v) => v],
    ];
    for (const [m, f] of cases) {
      const y = m.forward(x);
      x.data.forEach((v, i) => expect(Math.abs(y.data[i]! - f(v)), m.constructor.name).toBeLessThan(1e-12));
      expect(m.parameters()).toHaveLength(0);
    }
  });

  it('Sequential chains layers and names them by position', () => {
    const rng = new Rng(4);
    const seq = new Sequential(new Linear(2, 3, rng, { dtype: 'float64' }), new Tanh(), new Linear(3, 1, rng, { dtype: 'float64' }));
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = tensor([[0.1, -0.4]], { dtype: 'float64' });
    const l0 = seq.at(0) as Linear, l2 = seq.at(-1) as Linear;
    expect(Array.from(seq.forward(x).data)).toEqual(Array.from(l2.forward(new Tanh().forward(l0.forward(x))).data));
    expect(seq.length).toBe(3);
    expect(() => new Sequential(5 as unknown as Module)).toThrow(/argument 0 is not a Module/);
  });

  it('MSELoss is the mean squared error and its gradient reaches the parameters', () => {
    const rng = new Rng(5);
    const lin = new Linear(3, 2, rng, { dtype: 'float64' });
    const x = randn([4, 3], rng, 'float64'), y = randn([4, 2], rng, 'float64');
    const pred = lin.forward(x);
    const loss = new MSELoss().forward(pred, y);
    let s = 0;
    for (let i = 0; i < 8; i++) s += (pred.data[i]! - y.data[i]!) ** 2;
    expect(loss.item()).toBeCloseTo(s / 8, 14);
    backward(loss);
    // d loss / d bias_o = (2/8) Σ_i (pred_io − y_io)
    for (let o = 0; o < 2; o++) {
      let g = 0;
      for (let i = 0; i < 4; i++) g += (2 / 8) * (pred.data[i * 2 + o]! - y.data[i * 2 + o]!);
      expect(lin.bias!.grad!.data[o]).toBeCloseTo(g, 14);
    }
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
  });
});

describe('state dicts', () => {
  it('round trip through safetensors restores every parameter and the same outputs', () => {
    const a = new Net(5, new Rng(11));
    const b = new Net(5, new Rng(12));
    const x = randn([3, 5], new Rng(13));
    const t = tensor([0, 3, 9]);
    expect(Array.from(b.forward(x, t).data)).not.toEqual(Array.from(a.forward(x, t).data));
    const file = decodeSafetensors(encodeSafetensors(a.stateDict(), { format: 'pt' }));
    const res = b.loadStateDict(file.tensors);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [name, p] of a.namedParameters()) expect(Array.from(b.stateDict()[name]!.data), name).toEqual(Array.from(p.data));
    expect(Array.from(b.forward(x, t).data)).toEqual(Array.from(a.forward(x, t).data));
  });

  it('stateDict shares storage as PyTorch does, or copies on request', () => {
    const lin = new Linear(2, 2, new Rng(1));
    const shared = lin.stateDict();
    const copy = lin.stateDict({ copy: true });
    lin.weight.data[0] = 42;
    expect(shared.weight!.data[0]).toBe(42);
    expect(copy.weight!.data[0]).not.toBe(42);
  });

  it('strict loading names missing, unexpected and mis-shaped keys, and loads nothing then', () => {
    const net = new Net(5, new Rng(1));
    const before = Array.from(net.mlp_in.weight.data);
    const sd = { ...new Net(5, new Rng(2)).stateDict() };
    delete sd['mid.mlp2.bias'];
    sd['mid.extra'] = tensor([1]);
    expect(() => net.loadStateDict(sd)).toThrow(/missing keys \(in the model, not in the state dict\): 'mid.mlp2.bias'.*unexpected keys \(in the state dict, not in the model\): 'mid.extra'/);
    expect(Array.from(net.mlp_in.weight.data)).toEqual(before);
    const res = net.loadStateDict(sd, false);
    expect(res).toEqual({ missingKeys: ['mid.mlp2.bias'], unexpectedKeys: ['mid.extra'] });
    expect(Array.from(net.mlp_in.weight.data)).not.toEqual(before);
    const wrong = { ...net.stateDict(), 'mlp_in.weight': fromStorage(new Float32Array(20), [5, 4]) };
    expect(() => net.loadStateDict(wrong, false)).toThrow(/'mlp_in.weight': shape \[5, 4\] in the state dict but \[4, 5\] in the model/);
  });

  it('loads float64 values into float32 parameters (rounded)', () => {
    const lin = new Linear(1, 1, new Rng(1));
    lin.loadStateDict({ weight: tensor([[0.1]], { dtype: 'float64' }), bias: tensor([1 / 3], { dtype: 'float64' }) });
    expect(lin.weight.data[0]).toBe(Math.fround(0.1));
    expect(lin.bias!.data[0]).toBe(Math.fround(1 / 3));
  });
});

describe('train / eval', () => {
  it('sets the mode recursively', () => {
    const net = new Net(3, new Rng(1));
    expect(net.downs[1]!.mlp1.training).toBe(true);
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
  });
});

describe('gradients through a module', () => {
  it('backward fills .grad for every named parameter', () => {
    const net = new Net(5, new Rng(1));
    const loss = sum(net.forward(randn([3, 5], new Rng(2)), tensor([1, 2, 3])));
    backward(loss);
    for (const [name, p] of net.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect(p.grad!.shape, name).toEqual(p.shape);
      expect(p.grad!.data.some((v) => v !== 0), name).toBe(true);
    }
  });

  it('module gradients agree with float64 central differences (gradcheck over input and all parameters)', () => {
    const rng = new Rng(8);
    const o = { dtype: 'float64' as const };
    const net = new Sequential(new Linear(3, 5, rng, o), new GELU(), new Linear(5, 4, rng, o), new Tanh(), new Linear(4, 2, rng, o));
    const x = randn([6, 3], rng, 'float64');
    const res = gradcheck((xx) => net.forward(xx), [x, ...net.parameters()]);
    expect(res.ok, JSON.stringify(res.worst)).toBe(true);
    expect(res.maxRelError).toBeLessThan(1e-6);
  });
});
