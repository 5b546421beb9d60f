// The paper's n = 40 noise network (thesis widths 128-256-512, sinusoidal embedding of T = 1000
// steps; 4.79M parameters) on every spindiff backend: one training step (forward, backward,
// Adam; compiled where the backend allows, and the autograd step beside it) at batch 128 and 512, and one DDIM sampling step at batch 10,000. Peers run the same
// network in bench/peers/tfjs.bench.ts and torch.bench.ts.
import type { BenchCase, BenchOptions } from '../types.js';
import { Rng } from '../../src/random/index.js';
import { setBackend, getBackend } from '../../src/tensor/backend/registry.js';
import type { Backend } from '../../src/tensor/backend/types.js';
import { DiffusionTrainer, makePredictor } from '../../src/diffusion/train.js';
import { NoiseMLP, presetConfig } from '../../src/diffusion/network.js';
import { ddimStep } from '../../src/diffusion/samplers.js';
import { spindiffBackends } from './backends.js';

export const N_SPINS = 40;
export const TRAIN_BATCHES = [128, 512];
export const SAMPLE_BATCH = 10_000;
/** Forward flops per sample ≈ 2 × weights (the bias adds and activations are O(width)). */
export function networkFlops(): { forward: number; forwardNoTime: number; params: number } {
  const net = new NoiseMLP(presetConfig('paper', N_SPINS), new Rng(0));
  let params = 0, timeParams = 0;
  for (const [name, p] of net.namedParameters()) {
    params += p.size;
    if (name.startsWith('t_emb') || name.includes('temb_proj')) timeParams += p.size;
  }
  return { forward: 2 * params, forwardNoTime: 2 * (params - timeParams), params };
}

export const trainShape = (batch: number): string => `n=40 paper net, batch=${batch}`;
export const sampleShape = (batch: number): string => `n=40 paper net, DDIM step, batch=${batch}`;

function randomSpins(m: number, n: number, rng: Rng): { n: number; m: number; s: Int8Array } {
  const s = new Int8Array(m * n);
  for (let i = 0; i < s.length; i++) s[i] = rng.uniform() < 0.5 ? -1 : 1;
  return { n, m, s };
}

/**
 * Throws where a trainer's last step did not take the path its case is named for: a trainer that
 * finds no room for its resident state in the backend's memory steps through autograd (or
 * without the resident update), and its row would time another path under the variant's name.
 */
export function checkStepPath(t: DiffusionTrainer, compiled: boolean, resident: boolean): void {
  if (t.lastStepCompiled !== compiled || t.lastStepResident !== (compiled && resident)) {
    throw new Error(`the step ran ${t.lastStepPath}, not the case's path`);
  }
}

function withBackendCase(backend: Backend, c: BenchCase): BenchCase {
  let prev: Backend | null = null;
  return {
    ...c,
    setup: () => { prev = getBackend(); setBackend(backend); return c.setup?.(); },
    before: () => setBackend(backend), // samples of other backends' cases interleave with ours
    teardown: () => { c.teardown?.(); if (prev) setBackend(prev); },
  };
}

export default async function cases(o: BenchOptions): Promise<BenchCase[]> {
  const out: BenchCase[] = [];
  const { forward, forwardNoTime } = networkFlops();
  for (const s of await spindiffBackends()) {
    if (!s.backend) continue;
    const slow = s.impl === 'spindiff-js';
    for (const batch of TRAIN_BATCHES) {
      const shape = trainShape(batch);
      if (slow && batch > 128) { out.push({ group: 'train', impl: s.impl, threads: s.threads, name: shape, shape, skip: 'too slow for the bench (scale the batch-128 figure)', fn: () => {} }); continue; }
      // The compiled step (diffusion/trainplan.ts, its update resident) where the backend has one,
      // and on wasm and threads at batch 128 also the compiled step with the update in JS
      // ('<impl>-jsupdate') and the autograd step ('<impl>-autograd'; all the same numbers).
      const variants = slow || batch > 128 ? (['resident'] as const) : (['resident', 'jsupdate', 'autograd'] as const);
      for (const variant of variants) {
        const compiled = variant !== 'autograd';
        let trainer: DiffusionTrainer | null = null;
        out.push(withBackendCase(s.backend, {
          group: 'train', impl: variant === 'resident' ? s.impl : `${s.impl}-${variant}`, threads: s.threads, name: shape, shape, flops: 3 * forward * batch,
          repeats: slow || o.quick ? 3 : 5,
          setup: () => {
            const data = randomSpins(1000, N_SPINS, new Rng(2));
            trainer = new DiffusionTrainer(data, presetConfig('paper', N_SPINS), { iterations: 1000, batchSize: batch, lr: 1e-3,
              lrSchedule: 'constant', emaDecay: 0, gradClip: 0, seed: 1, schedule: 'linear', T: 1000 });
            trainer.compiledStep = compiled;
            trainer.residentUpdate = variant === 'resident';
          },
          fn: () => {
            trainer!.step();
            // The js backend has no compiled step: its one row is the autograd step.
            checkStepPath(trainer!, compiled && s.backend!.resident !== undefined, variant === 'resident');
          },
          // Frees the resident state: the backend's memory holds only a few of them.
          teardown: () => { trainer?.dispose(); trainer = null; },
        }));
      }
    }
    const shape = sampleShape(SAMPLE_BATCH);
    if (slow) { out.push({ group: 'sample', impl: s.impl, threads: s.threads, name: shape, shape, skip: 'too slow for the bench', fn: () => {} }); continue; }
    let step: () => void = () => {};
    out.push(withBackendCase(s.backend, {
      group: 'sample', impl: s.impl, threads: s.threads, name: shape, shape, flops: forwardNoTime * SAMPLE_BATCH, repeats: 3,
      setup: () => {
        const net = new NoiseMLP(presetConfig('paper', N_SPINS), new Rng(3));
        net.eval();
        const predict = makePredictor(net);
        const rng = new Rng(4);
        const x = rng.fillNormal(new Float32Array(SAMPLE_BATCH * N_SPINS));
        let t = 999;
        step = () => {
          const eps = predict(x, t, SAMPLE_BATCH);
          ddimStep(x, eps, 0.3, 0.35, 0, rng);
          t = t > 20 ? t - 20 : 999;
        };
      },
      fn: () => step(),
    }));
  }
  return out;
}
