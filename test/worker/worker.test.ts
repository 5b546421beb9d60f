// spindiff/worker: the client and the serving side over a real MessageChannel (structured clone,
// as between a page and its Web Worker). Oracle: the same call made in-thread gives bit-identical
// results; progress events arrive with augment's own arguments; an AbortSignal ends the run.
import { afterAll, describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { SpindiffWorker, serveWorker } from '../../src/worker/index.js';
import type { PortLike, WorkerLike } from '../../src/worker/index.js';
import { Rng, skParams, sampleExact, augment, inferPLE, Tensor, AbortError } from '../../src/index.js';

const { port1, port2 } = new MessageChannel();
serveWorker(port2 as unknown as PortLike);
const worker = new SpindiffWorker({ ...(port1 as unknown as WorkerLike), postMessage: (m) => port1.postMessage(m), addEventListener: (t, f) => port1.addEventListener(t, f as never), terminate: () => port1.close() });
afterAll(() => { port1.close(); port2.close(); });

const rng = new Rng(5);
const truth = skParams(6, 1, rng);
const data = sampleExact(truth, 200, rng);
const small = { preset: 'tiny' as const, samples: 100, seed: 3, train: { iterations: 40, batchSize: 32 }, evalEvery: 20, evalSamples: 50, sampler: { steps: 5 } };

describe('SpindiffWorker over a MessageChannel', () => {
  it('augment: same result as in-thread, progress events with augment\'s arguments, tensors revived', async () => {
    const events: [string, number, number][] = [];
    const viaWorker = await worker.augment(data, { ...small, onProgress: (stage, done, total) => events.push([stage, done, total]) });
    const direct = await augment(data, small);
    expect(Array.from(viaWorker.params.w)).toEqual(Array.from(direct.params.w));
    expect(viaWorker.losses).toEqual(direct.losses);
    expect(viaWorker.curve).toEqual(direct.curve);
    expect(events.some(([s]) => s === 'train')).toBe(true);
    expect(events.some(([s]) => s === 'generate')).toBe(true);
    const [name, t] = Object.entries(viaWorker.stateDict)[0]!;
    expect(t).toBeInstanceOf(Tensor);
    expect(Array.from(t.data)).toEqual(Array.from(direct.stateDict[name]!.data));
  }, 60_000);

  it('infer by name equals the in-thread call', async () => {
    const r = await worker.infer(data, 'ple');
    expect(Array.from(r.params.w)).toEqual(Array.from(inferPLE(data).params.w));
  });

  it('an AbortSignal ends a long run with an AbortError; the worker serves the next call', async () => {
    const ac = new AbortController();
    const run = worker.augment(data, { ...small, train: { iterations: 100000 }, onProgress: (stage) => { if (stage === 'train') ac.abort(); }, signal: ac.signal });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    await expect(worker.infer(data, 'nope' as never)).rejects.toThrow(/unknown inference method/);
  }, 60_000);
});
