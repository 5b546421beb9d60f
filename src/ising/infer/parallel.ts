// Erasure machine and pseudo-likelihood on worker threads. The ε grid of the erasure machine and
// the per-spin regressions of PLE are independent problems: EM runs contiguous parts of the grid
// (one per thread, so each worker builds the pattern tables once) and combines them with
// combineEpsRuns; PLE fits ranges of spins and joins them with combinePLE. Each part computes
// exactly what the serial loop computes, so the results are identical to erasureMachine and
// inferPLE (test/ising/parallel.test.ts). Workers: Node worker_threads (data: URL) or browser
// Web Workers (Blob URL), started per call and stopped at the end; threads = 1 runs in this thread.
import { at } from '../../util/checked.js';
import { AbortError } from '../../util/errors.js';
import { throwIfAborted, yieldToHost } from '../../util/abort.js';
import { isNode, startModuleWorker } from '../../util/module-worker.js';
import type { ModuleWorker } from '../../util/module-worker.js';
import { enableWasmLanes } from '../blocked-wasm.js';
import { combineEpsRuns, defaultEpsGrid, EM_DEFAULTS } from './em.js';
import type { ErasureMachineOptions } from './em.js';
import { combinePLE } from './ple.js';
import type { PLEOptions, PLESpinFits } from './ple.js';
import { runInferJob } from './parallel-jobs.js';
import type { InferJob, WorkerData, WorkerMessage } from './parallel-jobs.js';
import { WORKER_SOURCE } from './parallel-worker-source.js';
import type { InferResultOf, SpinData } from '../types.js';

export interface ParallelOptions {
  /** Worker threads (default: the core count; 1: no workers, the calling thread). */
  threads?: number;
}

async function defaultThreads(): Promise<number> {
  if (isNode()) return (await import('node:os')).availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/**
 * Run the jobs on `threads` workers (each worker takes the next job when it finishes one) and
 * return the results in job order. `onSteps(done)` gets the total steps done so far.
 */
async function runJobs<R>(d: WorkerData, jobs: InferJob[], threads: number, what: string,
  signal: { aborted: boolean } | undefined, onSteps: ((done: number) => void) | undefined): Promise<R[]> {
  throwIfAborted(signal, what);
  const results = new Array<R>(jobs.length);
  const stepsOf = new Array<number>(jobs.length).fill(0);
  const report = (): void => onSteps?.(stepsOf.reduce((a, v) => a + v, 0));
  if (threads <= 1 || jobs.length <= 1) {
    const cache = new Map<string, unknown>();
    for (const [j, job] of jobs.entries()) {
      results[j] = runInferJob(d, job, cache, (s) => { stepsOf[j] = s; report(); }, signal) as R;
      await yieldToHost();
    }
    return results;
  }
  const workers = await Promise.all(Array.from({ length: Math.min(threads, jobs.length) }, () => startModuleWorker<WorkerMessage>(WORKER_SOURCE)));
  try {
    return await new Promise<R[]>((resolve, reject) => {
      let next = 0, finished = 0, failed = false;
      const fail = (e: unknown): void => { if (!failed) { failed = true; reject(e); } };
      const timer = setInterval(() => { if (signal?.aborted) fail(new AbortError(`${what}: aborted`)); }, 50);
      const give = (w: ModuleWorker<WorkerMessage>): void => {
        if (next < jobs.length) { const id = next++; w.post({ id, job: at(jobs, id, 'jobs') }); }
      };
      for (const w of workers) {
        w.onError((e) => { clearInterval(timer); fail(e); });
        w.onMessage((m) => {
          if ('progress' in m) { stepsOf[m.id] = m.progress; report(); return; }
          if ('error' in m) { clearInterval(timer); fail(new Error(m.error)); return; }
          results[m.id] = m.result as R;
          if (++finished === jobs.length) { clearInterval(timer); resolve(results); } else give(w);
        });
        w.post(d);
        give(w);
      }
    });
  } finally {
    for (const w of workers) w.terminate();
  }
}

/** Split [0, n) into `parts` contiguous ranges of near-equal length (none empty). */
function ranges(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(n, parts));
  return Array.from({ length: k }, (_, j) => [Math.floor((j * n) / k), Math.floor(((j + 1) * n) / k)]);
}

/**
 * The erasure machine (erasureMachine) with its ε grid split over worker threads; the same
 * result as erasureMachine with the same options.
 */
export async function erasureMachineParallel(data: SpinData, opts: ErasureMachineOptions & ParallelOptions = {}): Promise<InferResultOf<'em'>> {
  const { onProgress, signal, threads: t, ...rest } = opts;
  const threads = Math.max(1, Math.floor(t ?? (await defaultThreads())));
  enableWasmLanes(); // for a run in this thread (threads = 1); the workers enable their own
  const grid = rest.epsGrid ?? defaultEpsGrid();
  if (grid.length === 0) throw new Error('erasureMachine: empty ε grid');
  const iterations = rest.iterations ?? EM_DEFAULTS.iterations;
  const jobs: InferJob[] = ranges(grid.length, threads).map(([a, b]) => ({ kind: 'em', opts: { ...rest, epsGrid: grid.slice(a, b) } }));
  const total = grid.length * iterations;
  const runs = await runJobs<InferResultOf<'em'>>({ data }, jobs, threads, 'erasureMachine', signal, onProgress && ((done) => onProgress(done, total)));
  return runs.length === 1 ? at(runs, 0, 'runs') : combineEpsRuns(runs);
}

/**
 * Pseudo-likelihood (inferPLE) with the per-spin regressions split over worker threads (a few
 * ranges of spins per thread, for balance); the same result as inferPLE with the same options.
 */
export async function inferPLEParallel(data: SpinData, opts: PLEOptions & ParallelOptions = {}): Promise<InferResultOf<'ple'>> {
  const { onProgress, signal, threads: t, weights, ...rest } = opts;
  const threads = Math.max(1, Math.floor(t ?? (await defaultThreads())));
  const parts = threads === 1 ? 1 : 4 * threads;
  const jobs: InferJob[] = ranges(data.n, parts).map(([i0, i1]) => ({ kind: 'ple', opts: rest, i0, i1 }));
  const fits = await runJobs<PLESpinFits>({ data, ...(weights ? { weights } : {}) }, jobs, threads, 'inferPLE', signal, onProgress && ((done) => onProgress(done, data.n)));
  return combinePLE(data.n, fits, opts);
}
