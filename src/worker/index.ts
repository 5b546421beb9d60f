/**
 * `spindiff/worker`: run the long operations off the main thread, with the same options and
 * progress events as in-thread and a standard AbortSignal.
 *
 *   const w = createWorker();                        // a module Web Worker (or Node worker thread)
 *   const r = await w.augment(data, { samples: 2000, backend: 'wasm', onProgress, signal });
 *   w.terminate();
 *
 * Options must survive a structured clone: a backend is named ('wasm') and loaded in the worker,
 * the inference method is named (inferMethod: 'em' | 'ple' | 'mle').
 */
import type { AugmentResult, AugmentOptions } from '../diffusion/augment.js';
import type { InferResult, SpinData } from '../ising/types.js';
import { AbortError } from '../util/errors.js';
import { pack, unpack } from './protocol.js';
import type { Reply, Request } from './protocol.js';
import type { InferMethod, OpName, WorkerAugmentOptions } from './ops.js';

export { serveWorker } from './serve.js';
export type { PortLike } from './serve.js';
export type { InferMethod, WorkerAugmentOptions } from './ops.js';

/** A Web Worker, or anything with its three methods (a Node Worker through `fromNodeWorker`). */
export interface WorkerLike {
  postMessage(m: unknown): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
  terminate(): unknown;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (...args: never[]) => void;
}

export class SpindiffWorker {
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void; onProgress?: ((...a: never[]) => void) | undefined }>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (e) => {
      const r = e.data as Reply;
      const p = this.pending.get(r.id);
      if (!p) return;
      if (r.type === 'progress') { p.onProgress?.(...(unpack(r.args) as never[])); return; }
      this.pending.delete(r.id);
      if (r.type === 'result') p.resolve(unpack(r.value));
      else {
        const err = r.name === 'AbortError' ? new AbortError(r.message) : new Error(r.message);
        if (r.name !== 'AbortError') err.name = r.name;
        p.reject(err);
      }
    });
  }

  /** Run a named operation; progress events arrive at opts.onProgress, opts.signal aborts it. */
  call<T>(op: OpName, args: unknown[], opts: CallOptions = {}): Promise<T> {
    const id = this.next++;
    if (opts.signal?.aborted) return Promise.reject(new AbortError(`${op}: aborted`));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress });
      opts.signal?.addEventListener('abort', () => this.worker.postMessage({ id, type: 'abort' } satisfies Request), { once: true });
      this.worker.postMessage({ id, type: 'run', op, args: pack(args) as unknown[] } satisfies Request);
    });
  }

  /** augment() in the worker: same options, backend and inference method by name. */
  augment(data: SpinData, opts: WorkerAugmentOptions & { signal?: AbortSignal; onProgress?: AugmentOptions['onProgress'] } = {}): Promise<AugmentResult> {
    const { signal, onProgress, ...rest } = opts;
    return this.call<AugmentResult>('augment', [data, rest], { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
  }

  /** Inverse inference in the worker: 'em' (default), 'ple' or 'mle'. */
  infer(data: SpinData, method: InferMethod = 'em', opts: { signal?: AbortSignal } = {}): Promise<InferResult> {
    return this.call<InferResult>('infer', [data, method], opts);
  }

  terminate(): void {
    for (const p of this.pending.values()) p.reject(new AbortError('spindiff worker: terminated'));
    this.pending.clear();
    void this.worker.terminate();
  }
}

/** Adapt a Node `worker_threads` Worker (an EventEmitter) to WorkerLike. */
export function fromNodeWorker(w: { postMessage(m: unknown): void; on(ev: 'message', fn: (d: unknown) => void): unknown; terminate(): unknown; unref?(): void }): WorkerLike {
  return {
    postMessage: (m) => w.postMessage(m),
    addEventListener: (_t, fn) => { w.on('message', (data) => fn({ data })); },
    terminate: () => w.terminate(),
  };
}

/** The URL of the worker script shipped beside this module. */
export const workerScriptUrl: URL = new URL('./worker-script.js', import.meta.url);

/**
 * A worker running spindiff: a module Web Worker in browsers, a worker thread in Node (pass
 * Node's `Worker` class from 'node:worker_threads' as `NodeWorker`, so this module needs no Node import).
 */
export function createWorker(opts: { NodeWorker?: new (url: URL) => Parameters<typeof fromNodeWorker>[0] } = {}): SpindiffWorker {
  if (opts.NodeWorker) return new SpindiffWorker(fromNodeWorker(new opts.NodeWorker(workerScriptUrl)));
  const W = (globalThis as unknown as { Worker: new (u: URL, o: { type: 'module' }) => WorkerLike }).Worker;
  return new SpindiffWorker(new W(workerScriptUrl, { type: 'module' }));
}
