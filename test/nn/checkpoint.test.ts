import { describe, expect, it } from 'vitest';
import { Adam, EMA, Linear, Sequential, Tanh, decodeTrainingCheckpoint, encodeTrainingCheckpoint } from '../../src/nn/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { backward, mseLoss } from '../../src/autograd/index.js';
import { Rng } from '../../src/random/index.js';
import { randn } from '../../src/tensor/index.js';

function setup(seed: number) {
  const rng = new Rng(seed);
  const net = new Sequential(new Linear(3, 8, rng), new Tanh(), new Linear(8, 2, rng));
  const opt = new Adam(net.parameters(), { lr: 0.01 });
  const ema = new EMA(net, 0.9);
  return { net, opt, ema };
}

function train(s: ReturnType<typeof setup>, steps: number, dataSeed: number): void {
  const rng = new Rng(dataSeed);
  for (let k = 0; k < steps; k++) {
    const x = randn([16, 3], rng), y = randn([16, 2], rng);
    s.opt.zeroGrad();
    backward(mseLoss(s.net.forward(x), y));
    s.opt.step();
    s.ema.update(s.net);
  }
}

const bits = (xs: Iterable<[string, { data: ArrayLike<number> }]>) => Array.from(xs, ([n, t]) => [n, Array.from(t.data)]);

describe('checkpoints', () => {
  it('resuming from a checkpoint continues exactly like the uninterrupted run (weights, EMA, Adam moments)', () => {
    const a = setup(1);
    train(a, 5, 100);
    const bytes = encodeTrainingCheckpoint({ model: a.net, ema: a.ema, optimizer: a.opt, metadata: { iteration: '5' } });
    const b = setup(2);
    const { metadata } = decodeTrainingCheckpoint(bytes, { model: b.net, ema: b.ema, optimizer: b.opt });
    expect(metadata.iteration).toBe('5');
    expect(metadata.format).toBe('pt');
    train(a, 4, 200);
    train(b, 4, 200);
    expect(bits(b.net.namedParameters())).toEqual(bits(a.net.namedParameters()));
    expect(bits(Object.entries(b.ema.shadow))).toEqual(bits(Object.entries(a.ema.shadow)));
  });

  it('keeps model weights under their PyTorch names at the top level', () => {
    const a = setup(1);
    const file = decodeSafetensors(encodeTrainingCheckpoint({ model: a.net, ema: a.ema, optimizer: a.opt }));
    const names = Object.keys(file.tensors).filter((k) => !k.startsWith('ema.') && !k.startsWith('optimizer.')).sort();
    expect(names).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(Object.keys(file.tensors).filter((k) => k.startsWith('ema.')).sort()).toEqual(['ema.0.bias', 'ema.0.weight', 'ema.2.bias', 'ema.2.weight']);
  });

  it('loads a plain state dict file; asks for what a resume needs', () => {
    const a = setup(1);
    const plain = encodeSafetensors(a.net.stateDict());
    const b = setup(2);
    decodeTrainingCheckpoint(plain, { model: b.net });
    expect(bits(b.net.namedParameters())).toEqual(bits(a.net.namedParameters()));
    const c = setup(3);
    const before = bits(c.net.namedParameters());
    expect(() => decodeTrainingCheckpoint(plain, { model: c.net, ema: c.ema })).toThrow(/no EMA shadow for '0.weight'/);
    expect(() => decodeTrainingCheckpoint(plain, { model: c.net, optimizer: c.opt })).toThrow(/metadata key 'optimizer' not found/);
    expect(bits(c.net.namedParameters())).toEqual(before); // nothing loaded on error
  });
});
