import { describe, expect, it } from 'vitest';
import { Adam, GELU, Linear, Sequential, Tanh, clipGradNorm } from '../../src/nn/index.js';
import { backward, mseLoss, noGrad } from '../../src/autograd/index.js';
import { Rng } from '../../src/random/index.js';
import { tensor, type Tensor } from '../../src/tensor/index.js';

/** Full-batch training; returns the final loss (evaluated after the last step). */
function fit(net: Sequential, x: Tensor, y: Tensor, opt: Adam, steps: number, clip?: number): number {
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const loss = mseLoss(net.forward(x), y);
    backward(loss);
    if (clip !== undefined) clipGradNorm(net.parameters(), clip);
    opt.step();
  }
  return noGrad(() => mseLoss(net.forward(x), y).item());
}

describe('small MLPs learn with Adam', () => {
  it('fits sin on [−π, π]: MSE below 1e-3 (the variance of sin there is 0.5)', () => {
    const rng = new Rng(2024);
    const n = 64;
    const xs = Array.from({ length: n }, (_, i) => -Math.PI + (2 * Math.PI * i) / (n - 1));
    const x = tensor(xs.map((v) => [v]));
    const y = tensor(xs.map((v) => [Math.sin(v)]));
    const net = new Sequential(new Linear(1, 16, rng), new Tanh(), new Linear(16, 16, rng), new Tanh(), new Linear(16, 1, rng));
    const initial = noGrad(() => mseLoss(net.forward(x), y).item());
    const final = fit(net, x, y, new Adam(net.parameters(), { lr: 0.02 }), 600, 10);
    expect(initial).toBeGreaterThan(0.1);
    expect(final).toBeLessThan(1e-3);
    // Generalises between the grid points too.
    const xt = [-2.9, -1.234, 0.05, 1.7, 3.0];
    const pred = noGrad(() => net.forward(tensor(xt.map((v) => [v]))));
    xt.forEach((v, i) => expect(Math.abs(pred.data[i]! - Math.sin(v))).toBeLessThan(0.05));
  });

  it('learns XOR: MSE below 1e-3 and every output on the right side of 1/2', () => {
    const rng = new Rng(7);
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = tensor([[0], [1], [1], [0]]);
    const net = new Sequential(new Linear(2, 8, rng), new GELU(), new Linear(8, 1, rng));
    const final = fit(net, x, y, new Adam(net.parameters(), { lr: 0.03 }), 600);
    expect(final).toBeLessThan(1e-3);
    const out = noGrad(() => net.forward(x));
    [0, 1, 1, 0].forEach((t, i) => expect(out.data[i]! > 0.5).toBe(t === 1));
  });
});
