// The worker side of row-sharded sampling (shards.ts): scripts/build-worker.mjs bundles this
// module with esbuild into shard-worker-source.ts, started from a data: URL (Node) or a Blob URL
// (browsers). A worker runs the wasm backend on its own thread and answers each request with its
// shard's rows (sampleLoop's `shard` option), progress messages in between; an abort message
// stops the request it names. Importing this module runs nothing; runShardWorker does.
import { Rng } from '../random/index.js';
import type { RngSnapshot } from '../random/index.js';
import { fromStorage, setBackend } from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { loadWasmBackend } from '../tensor/backend/wasm/index.js';
import { NoiseMLP } from './network.js';
import type { NetworkConfig } from './network.js';
import { makePredictor } from './train.js';
import { makeSchedule } from './schedule.js';
import { sampleLoop } from './samplers.js';
import type { SamplerKind } from './samplers.js';

/** One shard of one sampling run. */
export interface ShardRequest {
  id: number;
  config: NetworkConfig;
  /** The sampling weights by name, with their shapes. */
  weights: Record<string, { data: Float32Array; shape: number[] }>;
  m: number;
  sampler: { sampler: SamplerKind; steps: number; eta: number; batch: number };
  rng: RngSnapshot;
  shard: { index: number; count: number };
}

export type ShardReply =
  | { ready: true }
  | { id: number; progress: number }
  | { id: number; rows: Float32Array; rng: RngSnapshot }
  | { id: number; error: string; name: string };

interface Port {
  post(m: ShardReply, transfer?: ArrayBuffer[]): void;
  onMessage(f: (m: unknown) => void): void;
}

/** Serve shard requests on a port, on the wasm backend (the same bits as the threads backend). */
export async function serveShards(port: Port): Promise<void> {
  setBackend(await loadWasmBackend());
  const running = new Map<number, AbortController>();
  port.onMessage((msg) => {
    if (typeof msg === 'object' && msg !== null && 'abort' in msg) {
      running.get((msg as { abort: number }).abort)?.abort();
      return;
    }
    const req = msg as ShardRequest;
    const ac = new AbortController();
    running.set(req.id, ac);
    const run = async (): Promise<void> => {
      const sd: Record<string, Tensor> = {};
      for (const [name, w] of Object.entries(req.weights)) sd[name] = fromStorage(w.data, w.shape);
      const net = NoiseMLP.fromStateDict(req.config, sd);
      const rng = Rng.fromSnapshot(req.rng);
      const rows = await sampleLoop(makePredictor(net), makeSchedule({ T: req.config.T }), {
        n: req.config.n, m: req.m, rng, ...req.sampler, shard: req.shard, signal: ac.signal,
        onProgress: (_done, _total, info) => port.post({ id: req.id, progress: info?.['step'] ?? 0 }),
      });
      port.post({ id: req.id, rows, rng: rng.snapshot() }, [rows.buffer as ArrayBuffer]);
    };
    run().catch((e: unknown) => port.post({ id: req.id, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' }))
      .finally(() => running.delete(req.id));
  });
  port.post({ ready: true });
}

/** The worker's entry (the bundle calls it): Node's parentPort, or the worker's global scope in browsers. */
export async function runShardWorker(): Promise<void> {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('sampling worker: not started as a worker thread');
    await serveShards({ post: (m, t) => parentPort.postMessage(m, t ?? []), onMessage: (f) => parentPort.on('message', f) });
    return;
  }
  const scope = globalThis as unknown as { addEventListener(t: 'message', f: (e: { data: unknown }) => void): void; postMessage(m: unknown, t?: ArrayBuffer[]): void };
  await serveShards({ post: (m, t) => scope.postMessage(m, t ?? []), onMessage: (f) => scope.addEventListener('message', (e) => f(e.data)) });
}
