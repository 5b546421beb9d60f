// The compiled training step (diffusion/trainplan.ts) against the autograd step, the reference:
// from the same seed, N steps give bit-identical losses, weights, EMA and Adam moments — for the
// demo network at the demo's batch, a network without shortcuts, a three-level network at a batch
// small enough that GELU takes the backend's JS formula, on the wasm and threads backends; and
// a run resumed from a state dict continues the uninterrupted one.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { withBackend } from '../../src/tensor/index.js';
import type { Backend } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import type { TrainConfig } from '../../src/diffusion/train.js';
import type { NetworkConfig } from '../../src/diffusion/network.js';
import { generatorConfig } from '../../src/diffusion/discrete/objective.js';
import { jsBackend } from '../../src/tensor/backend/js.js';
import type { SpinData } from '../../src/ising/index.js';

const backends: { name: string; backend: Backend }[] = [];
let threads: ThreadsBackend | null = null;
if (wasmSimdSupported()) {
  backends.push({ name: 'wasm', backend: await loadWasmBackend() });
  threads = await loadThreadsBackend({ threads: 2 });
  backends.push({ name: 'threads-2', backend: threads });
}
afterAll(async () => { await threads?.terminate(); });

function spins(n: number, m: number, seed: number): SpinData {
  const rng = new Rng(seed);
  const s = new Int8Array(n * m);
  for (let i = 0; i < s.length; i++) s[i] = rng.spin();
  return { n, m, s };
}

/** Everything a step changes, as bytes. */
function state(tr: DiffusionTrainer): { losses: number[]; bytes: Buffer } {
  const parts: Buffer[] = [];
  const add = (a: Float32Array | Float64Array): void => { parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength)); };
  for (const p of tr.net.parameters()) add(p.data);
  for (const s of Object.values(tr.ema?.shadow ?? {})) add(s.data);
  const opt = tr.optimizer.stateDict();
  for (const b of Object.values(opt.buffers)) add(b.data);
  return { losses: tr.losses.slice(), bytes: Buffer.concat(parts) };
}

function train(be: Backend, data: SpinData, net: NetworkConfig, cfg: TrainConfig, steps: number, compiled: boolean): DiffusionTrainer {
  return withBackend(be, () => {
    const tr = new DiffusionTrainer(data, net, cfg);
    tr.compiledStep = compiled;
    for (let i = 0; i < steps; i++) {
      tr.step();
      expect(tr.lastStepCompiled).toBe(compiled);
    }
    return tr;
  });
}

const cases: { name: string; n: number; net: Omit<NetworkConfig, 'n' | 'T'>; batch: number; steps: number }[] = [
  { name: 'the demo network (64-128, timeDim 32) at batch 128', n: 20, net: { widths: [64, 128], timeDim: 32, residual: true }, batch: 128, steps: 4 },
  { name: 'no shortcuts (residual: false)', n: 12, net: { widths: [16, 32], timeDim: 8, residual: false }, batch: 24, steps: 5 },
  { name: 'three levels at batch 4 (GELU in JS below 256 elements)', n: 5, net: { widths: [8, 12, 16], timeDim: 6, residual: true }, batch: 4, steps: 6 },
];

describe.skipIf(backends.length === 0)('compiled training step = autograd step, bit for bit', () => {
  for (const c of cases) {
    for (const { name, backend } of backends) {
      it(`${c.name}, ${name}`, () => {
        const data = spins(c.n, 300, 7);
        const net: NetworkConfig = { n: c.n, T: 1000, ...c.net };
        const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 50, batchSize: c.batch, seed: 11, gradClip: c.batch === 4 ? 0 : 1 };
        const ref = state(train(backend, data, net, cfg, c.steps, false));
        const got = state(train(backend, data, net, cfg, c.steps, true));
        expect(got.losses).toEqual(ref.losses);
        expect(got.bytes.equals(ref.bytes)).toBe(true);
      });
    }
  }

  it('a run continued from the state after k compiled steps equals the uninterrupted one (wasm)', () => {
    const { backend } = backends[0]!;
    const data = spins(6, 200, 3);
    const net: NetworkConfig = { n: 6, T: 1000, widths: [8, 16], timeDim: 8, residual: true };
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 40, batchSize: 16, seed: 5 };
    const full = state(train(backend, data, net, cfg, 8, true));
    withBackend(backend, () => {
      const first = new DiffusionTrainer(data, net, cfg);
      for (let i = 0; i < 4; i++) first.step();
      const second = new DiffusionTrainer(data, net, cfg, first.net.stateDict({ copy: true }));
      second.optimizer.loadStateDict(first.optimizer.stateDict());
      for (const [k, s] of Object.entries(first.ema!.shadow)) second.ema!.shadow[k]!.data.set(s.data);
      second.iteration = 4;
      second.losses.push(...first.losses);
      for (let i = 0; i < 4; i++) second.step();
      expect(second.lastStepCompiled).toBe(true);
      const got = state(second);
      expect(got.losses).toEqual(full.losses);
      expect(got.bytes.equals(full.bytes)).toBe(true);
    });
  });

  it('falls back to autograd where it does not apply: the js backend, a discrete objective, compiledStep false', () => {
    const data = spins(6, 100, 4);
    const net: NetworkConfig = { n: 6, T: 40, widths: [8, 16], timeDim: 8, residual: true };
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 10, batchSize: 8, T: 40 };
    const step = (be: Backend, c: TrainConfig, compiled = true): boolean => withBackend(be, () => {
      const tr = new DiffusionTrainer(data, net, c);
      tr.compiledStep = compiled;
      tr.step();
      return tr.lastStepCompiled;
    });
    const { backend } = backends[0]!;
    expect(step(backend, cfg)).toBe(true);
    expect(step(jsBackend, cfg)).toBe(false);
    expect(step(backend, cfg, false)).toBe(false);
    expect(step(backend, { ...cfg, generator: generatorConfig('masked') })).toBe(false);
    expect(step(backend, { ...cfg, generator: generatorConfig('d3pm') })).toBe(false);
  });
});
