// Diffusion: training iterations per second (batch 128, n = 20) and sampling throughput
// (network evaluations per second of a 1000-row batch at one step, i.e. samples × steps / s)
// for the CPU default ('small'), 'tiny' and the paper network (n = 20: 128-256-512, timeDim 1000).
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from '../src/diffusion/train.js';
import { presetConfig } from '../src/diffusion/network.js';
import type { PresetName } from '../src/diffusion/network.js';
import type { SpinData } from '../src/ising/index.js';

function data(n: number, m: number): SpinData {
  const rng = new Rng(3);
  const s = new Int8Array(n * m);
  for (let i = 0; i < s.length; i++) s[i] = rng.spin();
  return { n, m, s };
}

export default function cases(o: BenchOptions): BenchCase[] {
  const n = 20;
  const out: BenchCase[] = [];
  for (const preset of ['tiny', 'small', 'paper'] as PresetName[]) {
    const cfg = presetConfig(preset, n);
    let tr: DiffusionTrainer | null = null;
    const ready = (): DiffusionTrainer => (tr ??= new DiffusionTrainer(data(n, 2000), cfg, { ...DEFAULT_TRAIN, iterations: 100000 }));
    const itersPerCall = preset === 'paper' ? 1 : 5;
    out.push({
      group: 'train', impl: 'spindiff-js', name: `diffusion train step, ${preset} (${cfg.widths.join('-')}, tdim ${cfg.timeDim})`,
      shape: `batch=128,n=20,steps=${itersPerCall}`, repeats: o.quick ? 2 : 5,
      setup: () => ready().step(),
      fn: () => {
        for (let i = 0; i < itersPerCall; i++) ready().step();
      },
    });
    const B = preset === 'paper' ? 256 : 1000;
    const x = new Rng(4).fillNormal(new Float32Array(B * n));
    out.push({
      group: 'sample', impl: 'spindiff-js', name: `diffusion sampler network call, ${preset}, ${B} rows`,
      shape: `rows=${B},n=20`, repeats: o.quick ? 2 : 5,
      setup: () => makePredictor(ready().net)(x, 500, B),
      fn: () => makePredictor(ready().net)(x, 500, B),
    });
  }
  return out;
}
