import { describe, expect, it } from 'vitest';
import { NoiseMLP, presetConfig } from '../../src/diffusion/network.js';
import type { NoiseWiring } from '../../src/diffusion/network.js';
import { noisePlan } from '../../src/diffusion/plan.js';
import { makePredictor } from '../../src/diffusion/train.js';
import { Rng } from '../../src/random/index.js';
import { readFileSync } from 'node:fs';
import { fromStorage, tensor } from '../../src/tensor/index.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { noGrad } from '../../src/autograd/index.js';

describe('NoiseMLP (thesis appendix)', () => {
  it('paper preset: the thesis module tree, PyTorch names and shapes', () => {
    const net = new NoiseMLP(presetConfig('paper', 40), new Rng(1));
    const shapes = Object.fromEntries(net.namedParameters().map(([k, t]) => [k, t.shape.join('x')]));
    // From the thesis code: SinusoidalPosEmb(n_steps=1000) → Linear(1000, 256) → GELU → Linear(256, 256).
    expect(shapes['t_emb.1.weight']).toBe('256x1000');
    expect(shapes['t_emb.3.weight']).toBe('256x256');
    expect(shapes['mlp_in.weight']).toBe('128x40');
    expect(shapes['downs.0.temb_proj.weight']).toBe('256x256');
    expect(shapes['downs.0.mlp1.weight']).toBe('256x128');
    expect(shapes['downs.0.mlp2.weight']).toBe('256x256');
    expect(shapes['downs.0.conv_shortcut.weight']).toBe('256x128');
    expect(shapes['downs.1.conv_shortcut.weight']).toBe('512x256');
    expect(shapes['downs.2.conv_shortcut.weight']).toBeUndefined(); // 512 → 512 has none
    expect(shapes['mid.mlp1.weight']).toBe('512x512');
    expect(shapes['ups.0.mlp1.weight']).toBe('512x1024');
    expect(shapes['ups.1.mlp1.weight']).toBe('256x1024');
    expect(shapes['ups.2.mlp1.weight']).toBe('128x512');
    expect(shapes['ups.2.conv_shortcut.weight']).toBe('128x512');
    expect(shapes['mlp_out.weight']).toBe('40x256');
    // DESIGN.md: the paper's n = 40 network has 4.79M parameters.
    expect(net.numParameters()).toBeGreaterThan(4.78e6);
    expect(net.numParameters()).toBeLessThan(4.80e6);
    expect(presetConfig('paper', 60).widths).toEqual([200, 400, 600]);
  });

  it('the sampler predictor (fused plan, time path folded into biases) agrees with forward() on per-row embeddings', () => {
    const cfg = { n: 6, widths: [8, 12, 16], timeDim: 8, T: 50, residual: true };
    const net = new NoiseMLP(cfg, new Rng(2));
    const rng = new Rng(3);
    const B = 5;
    const x = rng.fillNormal(new Float32Array(B * 6));
    const t = 17;
    const a = noGrad(() => net.forward(fromStorage(x.slice(), [B, 6]), new Int32Array(B).fill(t))).data;
    const b = makePredictor(net)(x, t, B);
    // Same float32 arithmetic up to summation order and the time path's float64 sum: a few ulps.
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]! - a[i]!)).toBeLessThanOrEqual(64 * 2 ** -23 * (1 + Math.abs(a[i]!)));
    expect(a.length).toBe(B * 6);
  });

  it('the predictor is a snapshot: changing the weights afterwards (time path included) does not change it', () => {
    const net = new NoiseMLP({ n: 4, widths: [8, 12], timeDim: 8, T: 20, residual: true }, new Rng(5));
    const x = new Rng(6).fillNormal(new Float32Array(3 * 4));
    const predict = makePredictor(net);
    const before = Array.from(predict(x, 9, 3));
    for (const [, p] of net.namedParameters()) p.data.fill(0.5);
    expect(Array.from(predict(x, 9, 3))).toEqual(before);
    expect(Array.from(predict(x, 11, 3))).not.toEqual(before); // an uncached step, still the old weights
    expect(Array.from(makePredictor(net)(x, 9, 3))).not.toEqual(before);
  });

  it('the plan follows the module\'s own wiring: a network wired differently compiles to its own forward', () => {
    // A variant with every concatenation the other way round (skip first, r first): nothing in
    // plan.ts knows of it, the plan is traced from wire().
    class Variant extends NoiseMLP {
      override wire<V>(x: V, w: NoiseWiring<V>): V {
        let h = w.linear(this.mlp_in, x);
        const r = h;
        const skips: V[] = [];
        for (const b of this.downs) skips.push((h = w.block(b, h)));
        h = w.block(this.mid, h);
        for (const b of this.ups) h = w.block(b, w.concat(skips.pop()!, h));
        return w.linear(this.mlp_out, w.concat(r, h));
      }
    }
    const cfg = { n: 5, widths: [8, 8, 8], timeDim: 8, T: 30, residual: true };
    const net = new Variant(cfg, new Rng(7));
    const base = NoiseMLP.fromStateDict(cfg, net.stateDict());
    const B = 4;
    const x = new Rng(8).fillNormal(new Float32Array(B * 5));
    const ts = new Int32Array(B).fill(12);
    const a = noGrad(() => net.forward(fromStorage(x.slice(), [B, 5]), ts)).data;
    const b = makePredictor(net)(x, 12, B);
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]! - a[i]!)).toBeLessThanOrEqual(64 * 2 ** -23 * (1 + Math.abs(a[i]!)));
    // and it is a different function from the standard wiring with the same weights
    expect(Array.from(makePredictor(base)(x, 12, B))).not.toEqual(Array.from(b));
    // A wiring the layout cannot place without copies is refused, not miscompiled.
    class Twice extends NoiseMLP {
      override wire<V>(x: V, w: NoiseWiring<V>): V {
        const r = w.linear(this.mlp_in, x);
        return w.linear(this.mlp_out, w.concat(r, r));
      }
    }
    expect(() => noisePlan(new Twice(cfg, new Rng(1)))).toThrow(/two concatenations/);
  });

  it('fromStateDict builds the network without drawing an init; a null rng gives zeros', () => {
    const cfg = { n: 4, widths: [8, 12], timeDim: 8, T: 20, residual: true };
    const net = new NoiseMLP(cfg, new Rng(9));
    const copy = NoiseMLP.fromStateDict(cfg, net.stateDict({ copy: true }));
    const x = new Rng(1).fillNormal(new Float32Array(3 * 4));
    expect(Array.from(makePredictor(copy)(x, 5, 3))).toEqual(Array.from(makePredictor(net)(x, 5, 3)));
    expect(new NoiseMLP(cfg, null).parameters().every((p) => p.data.every((v) => v === 0))).toBe(true);
    expect(() => NoiseMLP.fromStateDict({ ...cfg, widths: [8, 16] }, net.stateDict())).toThrow(/shape/);
  });

  it('residual blocks are switchable: no shortcuts without them, different output', () => {
    const cfg = { n: 4, widths: [8, 16], timeDim: 8, T: 10, residual: false };
    const net = new NoiseMLP(cfg, new Rng(4));
    expect(net.namedParameters().some(([k]) => k.includes('conv_shortcut'))).toBe(false);
    expect(() => new NoiseMLP({ ...cfg, widths: [8] }, new Rng(1))).toThrow(/widths/);
    expect(() => new NoiseMLP({ ...cfg, timeDim: 7 }, new Rng(1))).toThrow(/timeDim/);
  });
});

describe('NoiseMLP against PyTorch (the thesis module, run by PyTorch once to make the fixture)', () => {
  // test/nn/fixtures/pytorch_reference.py: MLP(5, n_dim=4, n_hidden1=6, n_hidden2=8), n_steps = 10.
  const REF = JSON.parse(readFileSync(new URL('../nn/fixtures/pytorch-reference.json', import.meta.url), 'utf8')) as {
    mlp: { names: string[]; shapes: number[][]; safetensors: string; x: number[][]; time: number[]; y: number[][] };
  };
  it('has the same parameter names and shapes, loads its state dict and reproduces its outputs', () => {
    const net = new NoiseMLP({ n: 5, widths: [4, 6, 8], timeDim: 10, T: 10, residual: true }, new Rng(1));
    expect(net.namedParameters().map(([k]) => k)).toEqual(REF.mlp.names);
    expect(net.namedParameters().map(([, p]) => p.shape)).toEqual(REF.mlp.shapes);
    net.loadStateDict(decodeSafetensors(new Uint8Array(Buffer.from(REF.mlp.safetensors, 'base64'))).tensors);
    const y = noGrad(() => net.forward(tensor(REF.mlp.x), Int32Array.from(REF.mlp.time)));
    expect(y.shape).toEqual([3, 5]);
    // float32 forward of a few small layers: a few float32 ulps of the O(1) outputs.
    REF.mlp.y.flat().forEach((w, i) => expect(Math.abs(y.data[i]! - w), `output ${i}`).toBeLessThan(2e-6));
  });
});
