// Per-step costs outside the network on the paper's parameter count (≈4.79M, n = 40):
// Adam step, EMA update, global-norm clipping, and a safetensors encode + decode round trip.
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { fromStorage } from '../src/tensor/index.js';
import { Adam, EMA, Linear, Sequential, clipGradNorm } from '../src/nn/index.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';

function paperSized(): Sequential {
  const rng = new Rng(1);
  // 4 × (1000·1000 + 1000) + 1000·790 + 790 = 4,794,790 parameters.
  const net = new Sequential(new Linear(1000, 1000, rng), new Linear(1000, 1000, rng), new Linear(1000, 1000, rng), new Linear(1000, 1000, rng), new Linear(1000, 790, rng));
  for (const p of net.parameters()) p.grad = fromStorage(new Float32Array(p.size).fill(1e-3), p.shape);
  return net;
}

export default function cases(o: BenchOptions): BenchCase[] {
  const repeats = o.quick ? 3 : 7;
  const shape = 'params=4794790';
  let net: Sequential | null = null;
  let adam: Adam | null = null;
  let ema: EMA | null = null;
  const ready = () => {
    if (!net) {
      net = paperSized();
      adam = new Adam(net.parameters(), { lr: 1e-4 });
      ema = new EMA(net, 0.999);
    }
  };
  return [
    { group: 'train', impl: 'spindiff-js', name: 'Adam step', shape, repeats, setup: ready, fn: () => adam!.step() },
    { group: 'train', impl: 'spindiff-js', name: 'EMA update (float64 shadow)', shape, repeats, setup: ready, fn: () => ema!.update(net!) },
    { group: 'train', impl: 'spindiff-js', name: 'clipGradNorm', shape, repeats, setup: ready, fn: () => clipGradNorm(net!.parameters(), 1e9) },
    { group: 'io', impl: 'spindiff-js', name: 'safetensors encode+decode', shape, repeats, setup: ready, fn: () => decodeSafetensors(encodeSafetensors(net!.stateDict())) },
  ];
}
