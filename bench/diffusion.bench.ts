// Diffusion: training iterations per second (batch 128, n = 20) and sampling throughput
// (one network call on a batch at one step; rows/s = samples × steps / s) for the CPU default
// ('small'), 'tiny' and the paper network (n = 20: 128-256-512, timeDim 1000), on the JS backend,
// the wasm-simd backend and the threads backend on two threads (what the CLI uses by default on
// two cores; paired with the wasm rows in the bench's thread-scaling table).
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { withBackend, getBackend } from '../src/tensor/index.js';
import type { Backend } from '../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../src/tensor/backend/wasm/index.js';
import { enableRelaxedSimd } from '../src/tensor/backend/wasm/node-flags.js';
import { loadThreadsBackend } from '../src/tensor/backend/threads.js';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from '../src/diffusion/train.js';
import { presetConfig } from '../src/diffusion/network.js';
import type { PresetName } from '../src/diffusion/network.js';
import type { SpinData } from '../src/ising/index.js';
import { checkStepPath } from './peers/spindiff-network.bench.js';

function data(n: number, m: number): SpinData {
  const rng = new Rng(3);
  const s = new Int8Array(n * m);
  for (let i = 0; i < s.length; i++) s[i] = rng.spin();
  return { n, m, s };
}

export default async function cases(o: BenchOptions): Promise<BenchCase[]> {
  const n = 20;
  const out: BenchCase[] = [];
  const backends: [string, Backend][] = [['spindiff-js', getBackend()]];
  if (wasmSimdSupported()) {
    await enableRelaxedSimd();
    backends.push(['spindiff-wasm', await loadWasmBackend()], ['spindiff-threads', await loadThreadsBackend({ threads: 2 })]);
  }
  for (const [impl, be] of backends) {
    const threads = impl === 'spindiff-threads' ? 2 : 1;
    for (const preset of ['tiny', 'small', 'paper'] as PresetName[]) {
      const cfg = presetConfig(preset, n);
      const trainer = (compiled: boolean, resident = true): { get: () => DiffusionTrainer; check: () => void; dispose: () => void } => {
        let tr: DiffusionTrainer | null = null;
        const get = (): DiffusionTrainer => (tr ??= withBackend(be, () => {
          const t = new DiffusionTrainer(data(n, 2000), cfg, { ...DEFAULT_TRAIN, iterations: 100000 });
          t.compiledStep = compiled;
          t.residentUpdate = resident;
          return t;
        }));
        // dispose frees the resident state only (the sampler cases read .net, which stays).
        return { get, check: () => { if (tr) checkStepPath(tr, compiled, resident); }, dispose: () => tr?.dispose() };
      };
      const main = trainer(true);
      const ready = main.get;
      const steps = preset === 'paper' ? 1 : 5;
      // On wasm the compiled step (diffusion/trainplan.ts) with its update resident, as
      // '<impl>-jsupdate' the compiled step with the update in JS, and as '<impl>-autograd' the
      // autograd step (all the same numbers); the js backend has only the autograd step, and
      // threads only the first (its scaling is the question there).
      const variants: [string, ReturnType<typeof trainer>][] = impl !== 'spindiff-wasm' ? [[impl, main]]
        : [[impl, main], [`${impl}-jsupdate`, trainer(true, false)], [`${impl}-autograd`, trainer(false)]];
      for (const [name, { get, check, dispose }] of variants) {
        out.push({
          group: 'train', impl: name, name: `diffusion train, ${preset} (${cfg.widths.join('-')}, tdim ${cfg.timeDim}), ${steps} steps`,
          shape: `${preset},batch=128,n=20,steps=${steps}`, repeats: o.quick ? 2 : 5, threads,
          setup: () => withBackend(be, () => get().step()),
          fn: () => withBackend(be, () => {
            for (let i = 0; i < steps; i++) get().step();
            if (impl !== 'spindiff-js') check();
          }),
          teardown: dispose,
        });
      }
      const B = preset === 'paper' ? 256 : 1000;
      const x = new Rng(4).fillNormal(new Float32Array(B * n));
      out.push({
        group: 'sample', impl, name: `diffusion sampler call, ${preset}, ${B} rows`,
        shape: `${preset},rows=${B},n=20`, repeats: o.quick ? 2 : 5, threads,
        setup: () => withBackend(be, () => makePredictor(ready().net)(x, 500, B)),
        fn: () => withBackend(be, () => makePredictor(ready().net)(x, 500, B)),
      });
    }
  }
  return out;
}
