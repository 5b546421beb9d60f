// Row-sharded sampling on worker threads. Sampling on the threads backend splits every network
// call of a step over the threads, and the calling thread alone draws the step's noise and
// applies the update between calls (~15% of a `small` step): two threads gave ~1.5× one. Here
// each worker instead runs the whole reverse process, on its own thread, for its part of every
// batch's rows (sampleLoop's `shard`); no thread waits for another until the end. Each shard
// skips the others' normals instead of drawing them (Rng.skipNormals), so the rows come out
// exactly as from sampleLoop on the wasm or threads backend here: the pool checks that once per
// backend on a short run, and declines (null: sample here) where it does not hold.
import { at } from '../util/checked.js';
import { AbortError, DataError, UsageError } from '../util/errors.js';
import { startModuleWorker } from '../util/module-worker.js';
import type { ModuleWorker } from '../util/module-worker.js';
import { throwIfAborted } from '../util/abort.js';
import type { LoopHooks } from '../util/abort.js';
import { Rng } from '../random/index.js';
import type { RngSnapshot } from '../random/index.js';
import { getBackend } from '../tensor/index.js';
import type { Backend } from '../tensor/index.js';
import type { NoiseMLP } from './network.js';
import { makePredictor } from './train.js';
import { makeSchedule } from './schedule.js';
import { checkLoopSizes, loopBatch, reverseSteps, sampleLoop, shardRows } from './samplers.js';
import type { SamplerOptions, OffThreadSampling } from './augment.js';
import type { ShardReply, ShardRequest } from './shard-worker.js';
import { WORKER_SOURCE } from './shard-worker-source.js';

/** Whether the workers' wasm backend can reproduce this backend's sampling bit for bit (then checked). */
const sameKernels = (be: Backend): boolean => be.name === 'wasm' || be.name.startsWith('threads-');
/**
 * The check run once per backend: 7 rows in batches of 5 (a partial batch, shards of 2 and 3 rows
 * on two workers), three DDIM steps with noise. It compares the kernels and the shards' skipping;
 * the sampler's update is the same JavaScript on both sides.
 */
const PROBE = { m: 7, batch: 5, steps: 3, eta: 1, seed: 0x5eed };
/**
 * SamplePoolOptions.minRowSteps' default. A call posts the weights to every worker, which compiles
 * them: ~0.1 s for the paper network's 4.8M, in proportion to the network as the sampling is, so
 * what pays for it is rows × steps. Measured (README, run R): 1000 rows × 100 steps 1.10× the
 * threads backend (`small`), 2000 × 50 1.05–1.07× (paper n = 40); 1000 × 10 1.02× (`small`)
 * and 0.94× (paper n = 20).
 */
export const MIN_ROW_STEPS = 20000;

export interface SamplePoolOptions {
  /** Runs of fewer rows × reverse steps than this are declined (sampled by the caller). */
  minRowSteps?: number;
}

interface Pending {
  resolve(r: { rows: Float32Array; rng: RngSnapshot }): void;
  reject(e: unknown): void;
  onProgress(step: number): void;
}

/**
 * Worker threads that sample row shards side by side. `sample` returns sampleLoop's rows for a
 * network, or null where the pool cannot give the same numbers (a backend other than wasm or
 * threads, or a failed check) or the run is too short to pay for it (minRowSteps): the caller
 * then samples on its own thread. close() stops the workers.
 */
export class SamplePool implements OffThreadSampling {
  readonly workers: number;
  private readonly pending = new Map<number, Pending>();
  private readonly checked = new WeakMap<Backend, Promise<boolean>>();
  private nextId = 1;
  private broken: unknown = null;
  private closed = false;

  /**
   * Start `workers` worker threads (≥ 2; one per core is the point). They keep a Node process
   * alive until close(); if one fails to start, those started are stopped and this rejects.
   */
  static async start(workers = 2, opts: SamplePoolOptions = {}): Promise<SamplePool> {
    if (!(Number.isInteger(workers) && workers >= 2)) throw new RangeError(`SamplePool: workers must be an integer ≥ 2, got ${workers}`);
    const minRowSteps = opts.minRowSteps ?? MIN_ROW_STEPS;
    if (!(minRowSteps >= 0)) throw new RangeError(`SamplePool: minRowSteps must be ≥ 0, got ${minRowSteps}`);
    const started = await Promise.allSettled(Array.from({ length: workers }, () => startModuleWorker<ShardReply>(WORKER_SOURCE)));
    const ws = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const ready = await Promise.allSettled(ws.map((w) => new Promise<void>((resolve, reject) => {
      w.onError(reject);
      w.onMessage((m) => { if ('ready' in m) resolve(); });
    })));
    const failed = [...started, ...ready].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const w of ws) w.terminate();
      throw failed.reason;
    }
    return new SamplePool(ws, minRowSteps);
  }

  private constructor(private readonly ws: ModuleWorker<ShardReply>[], readonly minRowSteps: number) {
    this.workers = ws.length;
    for (const w of ws) {
      w.onError((e) => this.fail(e));
      w.onMessage((m) => this.receive(m));
    }
  }

  /**
   * m samples of `net` (continuous rows, as sampleLoop returns them), sharded over the workers;
   * `rng` advances as sampleLoop would advance it. null: not here (see the class).
   */
  async sample(net: NoiseMLP, m: number, rng: Rng, s: SamplerOptions, hooks: LoopHooks = {}): Promise<Float32Array | null> {
    checkLoopSizes(net.config.n, m, s.batch);
    if (this.broken !== null) throw this.broken;
    throwIfAborted(hooks.signal, 'sampling');
    if (m * reverseSteps(s.sampler, s.steps, net.config.T) < this.minRowSteps) return null;
    if (!(await this.sameBits(net))) return null;
    return this.run(net, m, rng, s, hooks);
  }

  /** Stop the workers; calls in flight reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('sampling pool: closed'));
    for (const w of this.ws) w.terminate();
  }

  /**
   * Whether the workers reproduce this thread's sampling on the current backend (checked once per
   * backend, with `net`). A check that fails on a worker declines; one that fails here (or a pool
   * that broke meanwhile) rejects and is not remembered.
   */
  private sameBits(net: NoiseMLP): Promise<boolean> {
    const be = getBackend();
    if (!sameKernels(be)) return Promise.resolve(false);
    let ok = this.checked.get(be);
    if (!ok) {
      const o: SamplerOptions = { sampler: 'ddim', batch: PROBE.batch, steps: Math.min(net.config.T, PROBE.steps), eta: PROBE.eta };
      const probe = (async () => {
        const here = await sampleLoop(makePredictor(net), makeSchedule({ T: net.config.T }), { n: net.config.n, m: PROBE.m, rng: new Rng(PROBE.seed), ...o });
        let there: Float32Array;
        try {
          there = await this.run(net, PROBE.m, new Rng(PROBE.seed), o, {});
        } catch (e) {
          if (this.broken !== null) throw e;
          return false;
        }
        return here.length === there.length && here.every((v, i) => Object.is(v, there[i]));
      })();
      probe.catch(() => { if (this.checked.get(be) === probe) this.checked.delete(be); });
      this.checked.set(be, (ok = probe));
    }
    return ok;
  }

  private async run(net: NoiseMLP, m: number, rng: Rng, s: SamplerOptions, hooks: LoopHooks): Promise<Float32Array> {
    if (this.broken !== null) throw this.broken;
    if (hooks.signal?.aborted) throw new AbortError('sampling: aborted');
    const weights: ShardRequest['weights'] = {};
    // postMessage copies them as it posts (structured clone): no copy here.
    for (const [name, p] of net.namedParameters()) weights[name] = { data: p.data instanceof Float32Array ? p.data : Float32Array.from(p.data), shape: p.shape.slice() };
    const count = this.workers;
    const batch = loopBatch(s.batch, m);
    const totalSteps = Math.ceil(m / batch) * reverseSteps(s.sampler, s.steps, net.config.T);
    const steps = new Array<number>(count).fill(0);
    const ids: number[] = [];
    const start = rng.snapshot();
    const timer = hooks.signal ? setInterval(() => { if (hooks.signal?.aborted) for (const [j, id] of ids.entries()) at(this.ws, j, 'workers').post({ abort: id }); }, 50) : null;
    try {
      const parts = await Promise.all(this.ws.map((w, index) => new Promise<{ rows: Float32Array; rng: RngSnapshot }>((resolve, reject) => {
        const id = this.nextId++;
        ids.push(id);
        this.pending.set(id, {
          resolve, reject,
          onProgress: (step) => {
            steps[index] = step;
            const done = Math.min(...steps);
            // A callback that throws ends this run (as it ends sampleLoop), not the message handler.
            try {
              hooks.onProgress?.(Math.min(m, Math.round((m * done) / totalSteps)), m, { step: done, steps: totalSteps });
            } catch (e) {
              reject(e);
            }
          },
        });
        const req: ShardRequest = { id, config: net.config, weights, m, sampler: { sampler: s.sampler, steps: s.steps, eta: s.eta, batch: s.batch }, rng: start, shard: { index, count } };
        w.post(req);
      })));
      // Every shard drew the same stream to its end: the caller's generator goes on from there.
      const end = at(parts, 0, 'shards').rng;
      for (const p of parts) {
        if (!(p.rng.spare === end.spare && p.rng.state.every((v, i) => v === end.state[i]))) throw new Error('sampling pool: the shards ended on different generator states');
      }
      rng.restore(end);
      return this.merge(parts.map((p) => p.rows), m, batch, net.config.n);
    } catch (e) {
      // The other shards of a failed run stop too (a worker ignores an abort for a finished request).
      if (this.broken === null) for (const [j, id] of ids.entries()) at(this.ws, j, 'workers').post({ abort: id });
      throw e;
    } finally {
      if (timer !== null) clearInterval(timer);
      for (const id of ids) this.pending.delete(id);
    }
  }

  /** The shards' rows back in sampleLoop's order: batch by batch, each batch's shards in turn. */
  private merge(parts: Float32Array[], m: number, batch: number, n: number): Float32Array {
    const out = new Float32Array(m * n);
    const offsets = parts.map(() => 0);
    let row = 0;
    for (let start = 0; start < m; start += batch) {
      const B = Math.min(batch, m - start);
      for (const [j, part] of parts.entries()) {
        const [r0, r1] = shardRows(B, j, parts.length);
        const len = (r1 - r0) * n;
        const o = at(offsets, j, 'shard offsets');
        out.set(part.subarray(o, o + len), (row + r0) * n);
        offsets[j] = o + len;
      }
      row += B;
    }
    return out;
  }

  private receive(m: ShardReply): void {
    if ('ready' in m) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('progress' in m) p.onProgress(m.progress);
    else if ('rows' in m) p.resolve({ rows: m.rows, rng: m.rng });
    else p.reject(m.name === 'AbortError' ? new AbortError(m.error) : m.name === 'UsageError' ? new UsageError(m.error) : m.name === 'DataError' ? new DataError(m.error) : new Error(`sampling worker: ${m.error}`));
  }

  /** A worker failed (or the pool closed): every call in flight rejects, and so does every later one. */
  private fail(e: unknown): void {
    if (this.broken === null) this.broken = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
