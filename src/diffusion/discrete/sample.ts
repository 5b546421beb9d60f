/**
 * Samplers of the discrete generators. Each is one loop written as a generator function that
 * yields after every network call; `runStepLoop` drives it to the end (for the synchronous training
 * evaluation), `runStepLoopAsync` awaits a Yielder between steps (cooperative, abortable).
 */
import type { Rng } from '../../random/index.js';
import type { SpinData } from '../../ising/index.js';
import type { AbortLike, LoopHooks } from '../../util/abort.js';
import { Yielder, throwIfAborted } from '../../util/abort.js';
import type { NoiseMLP } from '../network.js';
import { makePredictor } from '../train.js';
import { ddimTimesteps, floatArray } from '../samplers.js';
import type { GeneratorConfig } from './objective.js';
import { d3pmSchedule } from './objective.js';
import { MASK, maskedInput, maskedReverseStep } from './masked.js';
import { d3pmKeep, d3pmReverseStep } from './d3pm.js';

export interface DiscreteSampleOptions extends LoopHooks {
  /** Reverse steps S (masked: time grid t_k = k/S; D3PM: S of the T steps, evenly spaced). */
  steps: number;
  /** Rows per block (bounds memory). */
  batch?: number;
}

export interface DiscreteSampleResult {
  data: SpinData;
  /** Forward passes of the network counted per row (a batched call over R rows counts R). */
  rowEvaluations: number;
  /** Batched network calls. */
  calls: number;
}

type Loop = Generator<void, DiscreteSampleResult, void>;

/** The sampling loop of a discrete generator (kind masked or d3pm). */
export function* discreteSampleLoop(net: NoiseMLP, gen: GeneratorConfig, m: number, rng: Rng, o: DiscreteSampleOptions): Loop {
  const n = net.config.n;
  const S = o.steps;
  if (!(Number.isInteger(S) && S >= 1)) throw new Error(`discrete sampler: steps must be an integer ≥ 1, got ${S}`);
  if (!(Number.isInteger(m) && m >= 0)) throw new Error(`discrete sampler: m must be an integer ≥ 0, got ${m}`);
  const batch = Math.max(1, Math.min(o.batch ?? 2048, Math.max(1, m)));
  const predict = makePredictor(net);
  const s = new Int8Array(m * n);
  let rowEvaluations = 0, calls = 0;
  if (gen.kind === 'masked') {
    if ((net.config.inputChannels ?? 1) !== 2 || (net.config.outputChannels ?? 1) !== 2) throw new Error('masked sampler: the network needs the masked head (2 input and 2 output channels per spin)');
    for (let start = 0; start < m; start += batch) {
      const B = Math.min(batch, m - start);
      const z = new Int8Array(B * n).fill(MASK);
      const logits = new Float32Array(B * 2 * n);
      const stale = new Uint8Array(B).fill(1);
      const refresh = (rows: Int32Array): void => {
        const zr = new Int8Array(rows.length * n);
        rows.forEach((b, r) => zr.set(z.subarray(b * n, (b + 1) * n), r * n));
        const out = floatArray(predict(maskedInput(zr, rows.length), 0, rows.length));
        if (out.length !== 2 * n * rows.length) throw new RangeError(`masked sampler: the predictor returned ${out.length} logits for ${rows.length}×${2 * n}`);
        rows.forEach((b, r) => logits.set(out.subarray(2 * n * r, 2 * n * (r + 1)), 2 * n * b));
        rowEvaluations += rows.length;
        calls++;
      };
      for (let k = S; k >= 1; k--) {
        const refreshed = maskedReverseStep(z, n, k / S, (k - 1) / S, rng, logits, stale, refresh);
        o.onProgress?.(start + Math.round((B * (S - k + 1)) / S), m);
        if (refreshed > 0) yield;
      }
      s.set(z, start * n);
    }
  } else if (gen.kind === 'd3pm') {
    if ((net.config.inputChannels ?? 1) !== 1 || (net.config.outputChannels ?? 1) !== 2) throw new Error('d3pm sampler: the network needs the D3PM head (1 input and 2 output channels per spin)');
    const sched = d3pmSchedule(gen, net.config.T);
    const taus = ddimTimesteps(sched.T, Math.min(S, sched.T)); // indices 0..T−1 = paper steps 1..T
    for (let start = 0; start < m; start += batch) {
      const B = Math.min(batch, m - start);
      const x = new Float32Array(B * n);
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.5 ? -1 : 1; // the uniform prior
      for (let k = taus.length - 1; k >= 0; k--) {
        const t = taus[k]! + 1, sPrev = k > 0 ? taus[k - 1]! + 1 : 0;
        const logits = predict(x, t - 1, B);
        rowEvaluations += B;
        calls++;
        d3pmReverseStep(x, logits, n, d3pmKeep(sched, sPrev), d3pmKeep(sched, t), sPrev === 0, rng);
        o.onProgress?.(start + Math.round((B * (taus.length - k)) / taus.length), m);
        yield;
      }
      for (let i = 0; i < x.length; i++) s[start * n + i] = x[i]! < 0 ? -1 : 1;
    }
  } else {
    throw new Error(`discrete sampler: '${gen.kind}' is not a discrete generator`);
  }
  return { data: { n, m, s }, rowEvaluations, calls };
}

/** Run a step loop to the end synchronously, checking the signal at every step. */
export function runStepLoop<R>(loop: Generator<void, R, void>, signal?: AbortLike): R {
  for (;;) {
    throwIfAborted(signal, 'sampling');
    const r = loop.next();
    if (r.done) return r.value;
  }
}

/** Run a step loop with `await yielder.tick()` between steps (yields to the host, abortable). */
export async function runStepLoopAsync<R>(loop: Generator<void, R, void>, signal?: AbortLike): Promise<R> {
  const y = new Yielder(signal, 40, 'sampling');
  for (;;) {
    await y.tick();
    const r = loop.next();
    if (r.done) return r.value;
  }
}

/** Draw m configurations from a discrete generator (async, abortable). */
export async function sampleDiscrete(net: NoiseMLP, gen: GeneratorConfig, m: number, rng: Rng, o: DiscreteSampleOptions): Promise<DiscreteSampleResult> {
  return runStepLoopAsync(discreteSampleLoop(net, gen, m, rng, o), o.signal);
}
