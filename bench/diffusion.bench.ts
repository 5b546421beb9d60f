// Diffusion: training iterations per second (batch 128, n = 20) and sampling throughput
// (one network call on a batch at one step; rows/s = samples × steps / s) for the CPU default
// ('small'), 'tiny' and the paper network (n = 20: 128-256-512, timeDim 1000), on the JS backend,
// the wasm-simd backend and the threads backend on two threads (what the CLI uses by default on
// two cores; paired with the wasm rows in the bench's thread-scaling table).
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { withBackend, getBackend, setBackend } from '../src/tensor/index.js';
import type { Backend } from '../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../src/tensor/backend/wasm/index.js';
import { enableRelaxedSimd } from '../src/tensor/backend/wasm/node-flags.js';
import { loadThreadsBackend } from '../src/tensor/backend/threads.js';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from '../src/diffusion/train.js';
import { NoiseMLP, presetConfig } from '../src/diffusion/network.js';
import { generateSpins } from '../src/diffusion/augment.js';
import type { SamplerOptions } from '../src/diffusion/augment.js';
import { SamplePool } from '../src/diffusion/shards.js';
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
  out.push(...(await samplingRuns(o, backends)));
  return out;
}

/**
 * Whole sampling runs (generateSpins: network calls, noise and updates): the threads backend
 * splitting each network call, against SamplePool's row shards on two workers (the same spins,
 * checked), and the wasm backend on one thread: shards ÷ threads is what the pool gains.
 */
async function samplingRuns(o: BenchOptions, backends: [string, Backend][]): Promise<BenchCase[]> {
  const wasm = backends.find(([k]) => k === 'spindiff-wasm')?.[1];
  const threads = backends.find(([k]) => k === 'spindiff-threads')?.[1];
  if (!wasm || !threads) return [];
  const out: BenchCase[] = [];
  for (const [preset, steps] of [['small', 100], ['paper', 10]] as const) { // small: one demo evaluation
    const net = new NoiseMLP(presetConfig(preset, 20), new Rng(5));
    const s: SamplerOptions = { sampler: 'ddim', steps, eta: 1, batch: 1000 };
    const want = await withBackendAsync(wasm, () => generateSpins(net, 1000, new Rng(6), s));
    const check = (got: SpinData): void => {
      if (!got.s.every((v, i) => v === want.s[i])) throw new Error('sampling bench: the spins differ from the wasm backend\'s');
    };
    const runs: [string, Backend, number][] = [['spindiff-wasm', wasm, 1], ['spindiff-threads', threads, 2], ['spindiff-shards', threads, 2]];
    for (const [impl, be, t] of runs) {
      let pool: SamplePool | null = null;
      out.push({
        group: 'sample', impl, threads: t, name: `diffusion sampling, ${preset}, 1000 rows, DDIM-${steps}${impl === 'spindiff-shards' ? ' (row shards)' : ''}`,
        shape: `${preset},rows=1000,steps=${steps},n=20`, repeats: o.quick ? 2 : 5,
        // minRowSteps 0: the shards themselves, also where the pool would decline (paper, DDIM-10).
        setup: async () => { if (impl === 'spindiff-shards') pool = await SamplePool.start(2, { minRowSteps: 0 }); },
        fn: async () => check(await withBackendAsync(be, () => generateSpins(net, 1000, new Rng(6), s, impl === 'spindiff-shards' ? { sampling: pool! } : {}))),
        teardown: () => pool?.close(),
      });
    }
  }
  return out;
}

/** withBackend for async work: the backend stays set until the promise settles. */
async function withBackendAsync<T>(be: Backend, f: () => Promise<T>): Promise<T> {
  const prev = getBackend();
  setBackend(be);
  try {
    return await f();
  } finally {
    setBackend(prev);
  }
}
