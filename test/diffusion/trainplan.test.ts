// The compiled training step (diffusion/trainplan.ts) against the autograd step, the reference:
// from the same seed, N steps give bit-identical losses, weights, EMA and Adam moments — for the
// demo network at the demo's batch, a network without shortcuts, a three-level network at a batch
// small enough that GELU takes the backend's JS formula (its programs run call by call), one at a
// batch of 37 with rows of 5 floats, on the wasm and threads backends (and one that splits every
// program: uneven chunks of rows over 3 threads, every GEMM and column sum in pieces), with
// the update (clipping, Adam, EMA) in JS or resident (ResidentUpdate), with clipping active
// (a small gradClip: coef < 1), computed but not applied, and off; a run resumed from a state
// dict continues the uninterrupted one; and a resident run whose state is read, changed or
// handed to the JS update between steps continues exactly as the uninterrupted one. The step with
// the GELU keeping Φ(x) for its backward gives the plain GELU calls' loss and gradients.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { Tensor, fromStorage, withBackend } from '../../src/tensor/index.js';
import { add, backward, mseLoss } from '../../src/autograd/index.js';
import type { Backend, ResidentKernels } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import { compileTrainStep, NoTrainPlan } from '../../src/diffusion/trainplan.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import type { TrainConfig } from '../../src/diffusion/train.js';
import type { NetworkConfig } from '../../src/diffusion/network.js';
import { generatorConfig } from '../../src/diffusion/discrete/objective.js';
import { jsBackend } from '../../src/tensor/backend/js.js';
import type { SpinData } from '../../src/ising/index.js';

const backends: { name: string; backend: Backend }[] = [];
let threads: ThreadsBackend | null = null, split3: ThreadsBackend | null = null;
if (wasmSimdSupported()) {
  backends.push({ name: 'wasm', backend: await loadWasmBackend() });
  threads = await loadThreadsBackend({ threads: 2 });
  backends.push({ name: 'threads-2', backend: threads });
  // Every program split: row chunks of uneven length, every GEMM and column sum in pieces.
  split3 = await loadThreadsBackend({ threads: 3, minFlopsPerThread: 1, minVecWorkPerThread: 1, minUpdatePairsPerChunk: 1 });
  backends.push({ name: 'threads-3 (every call split)', backend: split3 });
}
afterAll(async () => { await threads?.terminate(); await split3?.terminate(); });

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

/** autograd: the reference; compiled: the compiled step with the update in JS; resident: and the update resident. */
type Mode = 'autograd' | 'compiled' | 'resident';
const MODES: readonly Mode[] = ['autograd', 'compiled', 'resident'];

function train(be: Backend, data: SpinData, net: NetworkConfig, cfg: TrainConfig, steps: number, mode: Mode | boolean): DiffusionTrainer {
  const m: Mode = mode === true ? 'resident' : mode === false ? 'autograd' : mode;
  return withBackend(be, () => {
    const tr = new DiffusionTrainer(data, net, cfg);
    tr.compiledStep = m !== 'autograd';
    tr.residentUpdate = m === 'resident';
    for (let i = 0; i < steps; i++) {
      tr.step();
      expect(tr.lastStepCompiled).toBe(m !== 'autograd');
      expect(tr.lastStepResident).toBe(m === 'resident');
    }
    return tr;
  });
}

const cases: { name: string; n: number; net: Omit<NetworkConfig, 'n' | 'T'>; batch: number; steps: number }[] = [
  { name: 'the demo network (64-128, timeDim 32) at batch 128', n: 20, net: { widths: [64, 128], timeDim: 32, residual: true }, batch: 128, steps: 4 },
  { name: 'no shortcuts (residual: false)', n: 12, net: { widths: [16, 32], timeDim: 8, residual: false }, batch: 24, steps: 5 },
  { name: 'three levels at batch 4 (GELU in JS below 256 elements)', n: 5, net: { widths: [8, 12, 16], timeDim: 6, residual: true }, batch: 4, steps: 6 },
  { name: 'three levels at batch 37 (rows of 5 floats, chunks of rows that do not divide the batch)', n: 5, net: { widths: [8, 12, 16], timeDim: 6, residual: true }, batch: 37, steps: 4 },
];

describe.skipIf(backends.length === 0)('compiled training step = autograd step, bit for bit', () => {
  for (const c of cases) {
    for (const { name, backend } of backends) {
      it(`${c.name}, ${name}`, () => {
        const data = spins(c.n, 300, 7);
        const net: NetworkConfig = { n: c.n, T: 1000, ...c.net };
        const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 50, batchSize: c.batch, seed: 11, gradClip: c.batch === 4 ? 0 : 1 };
        const ref = state(train(backend, data, net, cfg, c.steps, 'autograd'));
        for (const mode of MODES.slice(1)) {
          const got = state(train(backend, data, net, cfg, c.steps, mode));
          expect(got.losses).toEqual(ref.losses);
          expect(got.bytes.equals(ref.bytes)).toBe(true);
        }
      });
    }
  }

  for (const { name, backend } of backends) {
    it(`clipping active (coef < 1), computed but inactive, and off, ${name}`, () => {
      const data = spins(10, 200, 8);
      const net: NetworkConfig = { n: 10, T: 1000, widths: [16, 32], timeDim: 8, residual: true };
      const refs: Buffer[] = [];
      for (const gradClip of [1e-3, 1e6, 0]) {
        const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 30, batchSize: 32, seed: 2, gradClip };
        const ref = state(train(backend, data, net, cfg, 4, 'autograd'));
        refs.push(ref.bytes);
        for (const mode of MODES.slice(1)) {
          const got = state(train(backend, data, net, cfg, 4, mode));
          expect(got.losses).toEqual(ref.losses);
          expect(got.bytes.equals(ref.bytes)).toBe(true);
        }
      }
      // The small bound did clip (the state differs from the unclipped run's); the large one did not.
      expect(refs[0]!.equals(refs[2]!)).toBe(false);
      expect(refs[1]!.equals(refs[2]!)).toBe(true);
    });

    it(`a resident run read, changed and handed to the JS update between steps = the autograd run with the same changes, ${name}`, () => {
      const data = spins(8, 200, 6);
      const net: NetworkConfig = { n: 8, T: 1000, widths: [16, 32], timeDim: 8, residual: true };
      const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 40, batchSize: 16, seed: 4, gradClip: 0.01 };
      const script = (compiled: boolean): { losses: number[]; bytes: Buffer; early: Buffer } => withBackend(backend, () => {
        const tr = new DiffusionTrainer(data, net, cfg);
        tr.compiledStep = compiled;
        const resident = (want: boolean): void => expect(tr.lastStepResident).toBe(compiled && want);
        tr.step();
        tr.step();
        const early = state(tr).bytes; // read everything (as a checkpoint does)
        tr.step();
        resident(true);
        // Change the moments, the averages and the weights through the JS objects: the next
        // resident step must start from the changed values.
        const opt = tr.optimizer.stateDict();
        const half = (t: Tensor): Tensor => new Tensor(t.data.map((v) => v / 2), t.shape);
        tr.optimizer.loadStateDict({ ...opt, buffers: Object.fromEntries(Object.entries(opt.buffers).map(([k, t]) => [k, half(t)])) });
        for (const t of Object.values(tr.ema!.shadow)) t.data[0] = t.data[0]! + 0.25;
        for (const p of tr.net.parameters()) p.data[0] = p.data[0]! - 0.125;
        tr.step();
        resident(true);
        // One step with the update in JS (it needs the moments and averages back), then resident again.
        tr.residentUpdate = false;
        tr.step();
        resident(false);
        tr.residentUpdate = true;
        tr.step();
        tr.samplingStateDict();
        for (let i = 0; i < 3; i++) tr.step();
        resident(true);
        return { ...state(tr), early };
      });
      const ref = script(false), got = script(true);
      expect(got.early.equals(ref.early)).toBe(true);
      expect(got.losses).toEqual(ref.losses);
      expect(got.bytes.equals(ref.bytes)).toBe(true);
      // The changes mattered: the unchanged run ends elsewhere.
      expect(state(train(backend, data, net, cfg, 9, 'autograd')).bytes.equals(ref.bytes)).toBe(false);
    });
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

  it('where the memory has room for the plan but not for the update\'s state, the plan compiles without it', () => {
    const { backend } = backends[0]!;
    const rk = backend.resident!()!;
    const net = new NoiseMLP({ n: 6, T: 100, widths: [8, 16], timeDim: 8, residual: true }, new Rng(1));
    let asked = 0;
    const full = compileTrainStep(net, 8, { ...rk, allocBlock: (bytes) => { asked = bytes; return rk.allocBlock(bytes); } });
    expect(full.update).not.toBeNull();
    full.dispose();
    const tight = compileTrainStep(net, 8, { ...rk, allocBlock: (bytes) => (bytes >= asked ? -1 : rk.allocBlock(bytes)) });
    expect(tight.update).toBeNull();
    tight.dispose();
  });

  it('falls back to autograd where it does not apply: the js backend, a discrete objective, compiledStep false', () => {
    const data = spins(6, 100, 4);
    const net: NetworkConfig = { n: 6, T: 40, widths: [8, 16], timeDim: 8, residual: true };
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 10, batchSize: 8, T: 40 };
    const step = (be: Backend, c: TrainConfig, compiled = true): string | null => withBackend(be, () => {
      const tr = new DiffusionTrainer(data, net, c);
      tr.compiledStep = compiled;
      tr.step();
      expect(tr.lastStepCompiled).toBe(tr.lastStepFallback === null);
      expect(tr.lastStepRefused).toBe(false); // none of these had a compiled step to refuse
      tr.dispose();
      return tr.lastStepFallback;
    });
    const { backend } = backends[0]!;
    expect(step(backend, cfg)).toBeNull();
    expect(step(jsBackend, cfg)).toBe('the js backend has no compiled step');
    expect(step(backend, cfg, false)).toBe('compiledStep is off');
    expect(step(backend, { ...cfg, generator: generatorConfig('masked') })).toBe('the objective has no compiled step');
    expect(step(backend, { ...cfg, generator: generatorConfig('d3pm') })).toBe('the objective has no compiled step');
  });

  it('a resident step leaves the gradients in the backend (no .grad) and the parameters until the network is read; with the update in JS the gradients are copied out', () => {
    const { backend } = backends[0]!;
    const data = spins(6, 100, 2);
    const net: NetworkConfig = { n: 6, T: 1000, widths: [8, 16], timeDim: 8, residual: true };
    withBackend(backend, () => {
      const tr = new DiffusionTrainer(data, net, { ...DEFAULT_TRAIN, iterations: 10, batchSize: 8 });
      tr.step();
      expect(tr.lastStepPath).toBe('compiled, update resident');
      expect(tr.net.parameters().every((p) => p.grad === null)).toBe(true);
      // The parameters stay in the backend across resident steps: copied into the network when
      // it is handed out (tr.net), not after every step.
      const p0 = tr.net.parameters()[0]!, before = Array.from(p0.data);
      tr.step();
      expect(Array.from(p0.data)).toEqual(before);
      expect(tr.net.parameters()[0]).toBe(p0);
      expect(Array.from(p0.data)).not.toEqual(before);
      tr.residentUpdate = false;
      tr.step();
      expect(tr.lastStepPath).toBe('compiled, update in JS');
      const grads = tr.net.parameters().map((p) => p.grad);
      expect(grads.every((g) => g !== null && g.size > 0)).toBe(true);
      expect(grads.some((g) => g!.data.some((v) => v !== 0))).toBe(true);
      tr.dispose();
    });
  });

  it('with no room left for its state a trainer steps through autograd (same numbers) and says why, and compiles once room is freed; dispose() frees the room and keeps the state', () => {
    const { backend } = backends[0]!;
    const data = spins(6, 200, 9);
    const net: NetworkConfig = { n: 6, T: 1000, widths: [8, 16], timeDim: 8, residual: true };
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, iterations: 40, batchSize: 16, seed: 6, gradClip: 0.5 };
    // The backend with its resident memory capped at `cap` bytes of blocks.
    let used = 0, cap = Infinity;
    const sizes = new Map<number, number>();
    const capped: Backend = {
      ...backend, name: 'capped',
      resident: () => {
        const rk = backend.resident!()!;
        return {
          ...rk,
          allocBlock: (bytes: number) => {
            if (used + bytes > cap) return -1;
            const at = rk.allocBlock(bytes);
            if (at >= 0) { used += bytes; sizes.set(at, bytes); }
            return at;
          },
          freeBlock: (at: number) => { used -= sizes.get(at) ?? 0; sizes.delete(at); rk.freeBlock(at); },
        };
      },
    };
    const run = (tr: DiffusionTrainer, steps: number): void => withBackend(capped, () => { for (let i = 0; i < steps; i++) tr.step(); });
    // One state's size, and dispose() gives it back.
    const probe = new DiffusionTrainer(data, net, cfg);
    run(probe, 1);
    expect(probe.lastStepResident).toBe(true);
    const one = used;
    expect(one).toBeGreaterThan(0);
    probe.dispose();
    expect(used).toBe(0);
    cap = one + 64; // room for one state, not for a second plan

    const a = new DiffusionTrainer(data, net, cfg), b = new DiffusionTrainer(data, net, cfg);
    run(a, 3);
    expect(a.lastStepResident).toBe(true);
    run(b, 3);
    expect(b.lastStepCompiled).toBe(false);
    expect(b.lastStepRefused).toBe(true);
    expect(b.lastStepFallback).toMatch(/no room left for this training state \(\d+ MiB; DiffusionTrainer\.dispose\(\)/);
    const ref3 = state(train(backend, data, net, cfg, 3, 'autograd'));
    const gotB = state(b);
    expect(gotB.losses).toEqual(ref3.losses);
    expect(gotB.bytes.equals(ref3.bytes)).toBe(true);

    a.dispose();
    expect(used).toBe(0);
    // Blocks were freed: b tries again at its next step, compiles, and carries its state in.
    run(b, 1);
    expect(b.lastStepPath).toBe('compiled, update resident');
    const ref4 = state(train(backend, data, net, cfg, 4, 'autograd'));
    const gotB4 = state(b);
    expect(gotB4.losses).toEqual(ref4.losses);
    expect(gotB4.bytes.equals(ref4.bytes)).toBe(true);
    // a continues from the state its disposed plan held (moments and averages), through autograd
    // now that b holds the room.
    run(a, 3);
    expect(a.lastStepCompiled).toBe(false);
    const ref6 = state(train(backend, data, net, cfg, 6, 'autograd'));
    const gotA = state(a);
    expect(gotA.losses).toEqual(ref6.losses);
    expect(gotA.bytes.equals(ref6.bytes)).toBe(true);
    b.dispose();
    a.dispose();
    expect(used).toBe(0);
  });

  /**
   * One step of `net` at batch B compiled against autograd's: 'refused' (NoTrainPlan), or whether
   * the loss and every parameter's gradient are the same bits (after a second step on the plan).
   */
  function compiledOrRefused(be: Backend, net: NoiseMLP, B: number): 'refused' | 'same' | 'different' {
    return withBackend(be, () => {
      const n = net.mlp_in.inFeatures, nOut = net.mlp_out.outFeatures, rng = new Rng(3);
      const x = rng.fillNormal(new Float32Array(B * n)), e = rng.fillNormal(new Float32Array(B * nOut));
      const t = Int32Array.from({ length: B }, (_, i) => (7 * i) % net.config.T);
      let plan;
      try {
        plan = compileTrainStep(net, B, be.resident!()!);
      } catch (err) {
        if (err instanceof NoTrainPlan) return 'refused';
        throw err;
      }
      for (const p of net.parameters()) p.grad = null;
      const loss = mseLoss(net.forward(fromStorage(x.slice(), [B, n]), t), fromStorage(e.slice(), [B, nOut]));
      backward(loss);
      const want = net.parameters().map((p) => Buffer.from(p.grad!.data.slice().buffer));
      plan.forward(x, t, e);
      plan.backward();
      const value = plan.forward(x, t, e);
      plan.backward();
      const got = net.parameters().map((p) => Buffer.from(p.grad!.data.slice().buffer));
      plan.dispose();
      return value === loss.item() && Buffer.concat(got).equals(Buffer.concat(want)) ? 'same' : 'different';
    });
  }

  for (const { name, backend } of backends) {
    it(`the GELU keeping Φ(x) for its backward = the plain GELU calls, bit for bit, and kept exactly where keepsPhi (${name})`, () => {
      withBackend(backend, () => {
        const nets: [NetworkConfig, number][] = [[{ n: 20, T: 100, widths: [64, 128], timeDim: 32, residual: true }, 128], [{ n: 5, T: 100, widths: [8, 12, 16], timeDim: 6, residual: true }, 37], [{ n: 5, T: 100, widths: [8, 12, 16], timeDim: 6, residual: true }, 24]];
        for (const [cfg, B] of nets) {
          const net = new NoiseMLP(cfg, new Rng(4));
          const n = net.mlp_in.inFeatures, nOut = net.mlp_out.outFeatures, rng = new Rng(5);
          const x = rng.fillNormal(new Float32Array(B * n)), e = rng.fillNormal(new Float32Array(B * nOut));
          const t = Int32Array.from({ length: B }, (_, i) => (13 * i) % cfg.T);
          const rk = backend.resident!()!;
          const step = (keep: boolean): { loss: number[]; grads: Buffer; kept: number; plain: number } => {
            let kept = 0, plain = 0;
            const spy: ResidentKernels = {
              ...rk,
              keepsPhi: (op, len) => keep && rk.keepsPhi(op, len),
              program: (calls, rows) => {
                for (const c of calls) {
                  if (c.kind !== 'unary' && c.kind !== 'unaryGrad') continue;
                  expect(c.phi !== undefined, `${c.kind} on ${c.len}`).toBe(keep && rk.keepsPhi(c.op, c.len));
                  if (c.phi !== undefined) kept++; else plain++;
                }
                return rk.program(calls, rows);
              },
            };
            const plan = compileTrainStep(net, B, spy);
            const loss: number[] = [];
            for (let k = 0; k < 2; k++) { loss.push(plan.forward(x, t, e)); plan.backward(); }
            const grads = Buffer.concat(net.parameters().map((p) => Buffer.from(p.grad!.data.slice().buffer)));
            plan.dispose();
            return { loss, grads, kept, plain };
          };
          const ref = step(false), got = step(true);
          expect(ref.kept).toBe(0);
          expect(got.kept, `batch ${B}: GELU calls keeping Φ`).toBeGreaterThan(0);
          // Batch 24: the 8-wide GELUs (192 elements) take the JS formula, the wider ones keep Φ.
          if (B === 24) expect(got.plain, 'batch 24: GELU calls in the JS formula').toBeGreaterThan(0);
          expect(got.loss).toEqual(ref.loss);
          expect(got.grads.equals(ref.grads), `batch ${B}: gradients`).toBe(true);
        }
      });
    });
  }

  // A parameter that is a linear layer's weight and also an input of an earlier op (here added to
  // x): its gradient has two contributions, the later one added in the backward program before the
  // parameters' gradients ran — the compiled step gave the weight gradient without the add's
  // contribution until such a graph was refused.
  class WeightAlsoAdded extends NoiseMLP {
    override forwardEmb(x: Tensor, temb: Tensor): Tensor {
      return super.forwardEmb(add(x, this.mlp_in.weight), temb); // [B, n] + [w0, n]: B = w0
    }
  }
  for (const { name, backend } of backends) {
    it(`a parameter used as a weight and elsewhere: refused, never different gradients (${name})`, () => {
      const cfg: NetworkConfig = { n: 6, T: 50, widths: [16, 24], timeDim: 8, residual: true };
      expect(compiledOrRefused(backend, new NoiseMLP(cfg, new Rng(1)), 16)).toBe('same');
      expect(compiledOrRefused(backend, new WeightAlsoAdded(cfg, new Rng(1)), 16)).toBe('refused');
    });
  }
});
