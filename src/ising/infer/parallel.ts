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
import type { AbortLike } from '../../util/abort.js';
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
import type { InferResult, InferResultOf, SpinData } from '../types.js';
import { EXACT_MLE_DEFAULTS } from './mle.js';
import type { ExactMLEOptions } from './mle.js';

export interface ParallelOptions {
  /** Worker threads (default: the core count; 1: no workers, the calling thread). */
  threads?: number;
  /** Run on this pool's workers (as many parts as it has workers) instead of starting workers for the call. */
  pool?: InferPool;
}

async function defaultThreads(): Promise<number> {
  if (isNode()) return (await import('node:os')).availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/** Which queued job a free worker takes first: whole exact-MLE fits (the longest), then EM parts, then PLE parts. */
const RANK: Record<InferJob['kind'], number> = { mle: 0, em: 1, ple: 2 };

interface PoolRun {
  d: WorkerData;
  dataset: number;
  results: unknown[];
  steps: number[];
  left: number;
  done: boolean;
  settle: (e: unknown, results?: unknown[]) => void;
  onSteps: ((done: number) => void) | undefined;
  timer: ReturnType<typeof setInterval> | null;
}

interface PoolTask { id: number; rank: number; job: InferJob; index: number; run: PoolRun }

/** A worker and what it is doing: a task, nothing (null), or starting (a replacement for one stopped mid-task). */
interface PoolSlot { w: ModuleWorker<WorkerMessage>; task: PoolTask | null | 'starting'; sets: Set<number> }

/**
 * Worker threads shared by several inference calls at once (e.g. the demo's seven independent
 * fits): every call's jobs join one queue, and each free worker takes the next job by RANK, then
 * in the order queued. A job computes what it computes on the calling thread, so results do not
 * depend on the pool, its size or the order in which jobs run. close() stops the workers.
 */
export class InferPool {
  readonly threads: number;
  private readonly slots: PoolSlot[];
  private queue: PoolTask[] = [];
  private nextId = 0;
  private nextSet = 0;
  private broken: unknown = null;
  private closed = false;

  /** Start `threads` workers (default: the core count). */
  static async start(threads?: number): Promise<InferPool> {
    const t = Math.max(1, Math.floor(threads ?? (await defaultThreads())));
    return new InferPool(await Promise.all(Array.from({ length: t }, () => startModuleWorker<WorkerMessage>(WORKER_SOURCE))));
  }

  private constructor(workers: ModuleWorker<WorkerMessage>[]) {
    this.threads = workers.length;
    this.slots = workers.map((w) => ({ w, task: null, sets: new Set<number>() }));
    for (const slot of this.slots) this.wire(slot);
  }

  private wire(slot: PoolSlot): void {
    const w = slot.w;
    w.onError((e) => { if (slot.w === w) this.fail(e); });
    w.onMessage((m) => { if (slot.w === w) this.receive(slot, m); });
  }

  /**
   * Run `jobs` on the data `d` and return their results in job order. `onSteps(done)` gets the
   * steps done so far over all the jobs; a set signal rejects with an AbortError (the workers
   * running its jobs are stopped and replaced).
   */
  run<R>(d: WorkerData, jobs: InferJob[], what: string, signal?: AbortLike, onSteps?: (done: number) => void): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      if (this.broken !== null) { reject(this.broken); return; }
      if (signal?.aborted) { reject(new AbortError(`${what}: aborted`)); return; }
      if (jobs.length === 0) { resolve([]); return; }
      const run: PoolRun = {
        d, dataset: this.nextSet++, results: new Array<unknown>(jobs.length), steps: new Array<number>(jobs.length).fill(0), left: jobs.length,
        done: false, onSteps, timer: null,
        settle: (e, results) => { if (e === null) resolve(results as R[]); else reject(e); },
      };
      if (signal) run.timer = setInterval(() => { if (signal.aborted) this.finish(run, new AbortError(`${what}: aborted`)); }, 50);
      for (const [index, job] of jobs.entries()) this.queue.push({ id: this.nextId++, rank: RANK[job.kind], job, index, run });
      this.queue.sort((a, b) => a.rank - b.rank || a.id - b.id);
      this.dispatch();
    });
  }

  /** Stop the workers; calls still running reject. */
  close(): void {
    this.closed = true;
    this.fail(new Error('inference pool: closed'));
    for (const s of this.slots) s.w.terminate();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task !== null) continue;
      const task = this.queue.shift();
      if (!task) return;
      const { dataset } = task.run;
      if (!slot.sets.has(dataset)) {
        slot.w.post({ dataset, data: task.run.d });
        slot.sets.add(dataset);
      }
      slot.task = task;
      slot.w.post({ id: task.id, dataset, job: task.job });
    }
  }

  private receive(slot: PoolSlot, m: WorkerMessage): void {
    const task = slot.task;
    if (task === null || task === 'starting' || task.id !== m.id) return;
    const run = task.run;
    if ('progress' in m) {
      run.steps[task.index] = m.progress;
      run.onSteps?.(run.steps.reduce((a, v) => a + v, 0));
      return;
    }
    slot.task = null;
    if ('error' in m) this.finish(run, new Error(m.error));
    else if (!run.done) {
      run.results[task.index] = m.result;
      if (--run.left === 0) this.finish(run, null);
    }
    this.dispatch();
  }

  /** Settle a run (null: its results), drop its queued jobs, and let the workers free its data. */
  private finish(run: PoolRun, error: unknown): void {
    if (run.done) return;
    run.done = true;
    if (run.timer !== null) clearInterval(run.timer);
    this.queue = this.queue.filter((t) => t.run !== run);
    for (const slot of this.slots) {
      // A worker still busy with this run's job (an abort) cannot be interrupted: replace it.
      if (!this.closed && slot.task !== null && slot.task !== 'starting' && slot.task.run === run) this.restart(slot);
      else if (slot.sets.delete(run.dataset)) slot.w.post({ drop: run.dataset });
    }
    run.settle(error, run.results);
  }

  private restart(slot: PoolSlot): void {
    slot.w.terminate();
    slot.sets.clear();
    slot.task = 'starting';
    startModuleWorker<WorkerMessage>(WORKER_SOURCE).then((w) => {
      if (this.closed) { w.terminate(); return; }
      slot.w = w;
      slot.task = null;
      this.wire(slot);
      this.dispatch();
    }, (e: unknown) => this.fail(e));
  }

  /** A worker failed (or the pool closed): every run still open rejects, and so does every later one. */
  private fail(e: unknown): void {
    if (this.broken === null) this.broken = e;
    const open = new Set<PoolRun>([...this.queue.map((t) => t.run), ...this.slots.flatMap((s) => (s.task !== null && s.task !== 'starting' ? [s.task.run] : []))]);
    for (const run of open) this.finish(run, e);
  }
}

/**
 * Run the jobs and return the results in job order: on `pool` when given; else on `threads`
 * workers started for the call (each takes the next job when it finishes one), or on the calling
 * thread when threads = 1. `onSteps(done)` gets the total steps done so far.
 */
async function runJobs<R>(d: WorkerData, jobs: InferJob[], threads: number, what: string,
  signal: AbortLike | undefined, onSteps: ((done: number) => void) | undefined, pool?: InferPool): Promise<R[]> {
  throwIfAborted(signal, what);
  if (pool) return await pool.run<R>(d, jobs, what, signal, onSteps);
  const results = new Array<R>(jobs.length);
  if (threads <= 1 || jobs.length <= 1) {
    const stepsOf = new Array<number>(jobs.length).fill(0);
    const report = (): void => onSteps?.(stepsOf.reduce((a, v) => a + v, 0));
    const cache = new Map<string, unknown>();
    for (const [j, job] of jobs.entries()) {
      results[j] = runInferJob(d, job, cache, (s) => { stepsOf[j] = s; report(); }, signal) as R;
      await yieldToHost();
    }
    return results;
  }
  const own = await InferPool.start(Math.min(threads, jobs.length));
  try {
    return await own.run<R>(d, jobs, what, signal, onSteps);
  } finally {
    own.close();
  }
}

/** Split [0, n) into `parts` contiguous ranges of near-equal length (none empty). */
function ranges(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(n, parts));
  return Array.from({ length: k }, (_, j) => [Math.floor((j * n) / k), Math.floor(((j + 1) * n) / k)]);
}

/** Threads to split a call over: the pool's workers, else `threads` (default: the core count). */
async function threadsOf(o: ParallelOptions): Promise<number> {
  return o.pool ? o.pool.threads : Math.max(1, Math.floor(o.threads ?? (await defaultThreads())));
}

/**
 * The erasure machine (erasureMachine) with its ε grid split over worker threads; the same
 * result as erasureMachine with the same options.
 */
export async function erasureMachineParallel(data: SpinData, opts: ErasureMachineOptions & ParallelOptions = {}): Promise<InferResultOf<'em'>> {
  const { onProgress, signal, threads: _t, pool, ...rest } = opts;
  const threads = await threadsOf(opts);
  if (!pool) enableWasmLanes(); // for a run in this thread (threads = 1); the workers enable their own
  const grid = rest.epsGrid ?? defaultEpsGrid();
  if (grid.length === 0) throw new Error('erasureMachine: empty ε grid');
  const iterations = rest.iterations ?? EM_DEFAULTS.iterations;
  const jobs: InferJob[] = ranges(grid.length, threads).map(([a, b]) => ({ kind: 'em', opts: { ...rest, epsGrid: grid.slice(a, b) } }));
  const total = grid.length * iterations;
  const runs = await runJobs<InferResultOf<'em'>>({ data }, jobs, threads, 'erasureMachine', signal, onProgress && ((done) => onProgress(done, total)), pool);
  return runs.length === 1 ? at(runs, 0, 'runs') : combineEpsRuns(runs);
}

/**
 * Pseudo-likelihood (inferPLE) with the per-spin regressions split over worker threads (a few
 * ranges of spins per thread, for balance); the same result as inferPLE with the same options.
 */
export async function inferPLEParallel(data: SpinData, opts: PLEOptions & ParallelOptions = {}): Promise<InferResultOf<'ple'>> {
  const { onProgress, signal, threads: _t, pool, weights, ...rest } = opts;
  const threads = await threadsOf(opts);
  const parts = threads === 1 ? 1 : 4 * threads;
  const jobs: InferJob[] = ranges(data.n, parts).map(([i0, i1]) => ({ kind: 'ple', opts: rest, i0, i1 }));
  const fits = await runJobs<PLESpinFits>({ data, ...(weights ? { weights } : {}) }, jobs, threads, 'inferPLE', signal, onProgress && ((done) => onProgress(done, data.n)), pool);
  return combinePLE(data.n, fits, opts);
}

/**
 * Exact MLE (inferExactMLE) on one of the pool's workers: a fit is one job (splitting its
 * enumerations would change the order of their sums), so a pool runs several fits side by side.
 */
export async function inferExactMLEOnPool(data: SpinData, pool: InferPool, opts: ExactMLEOptions = {}): Promise<InferResultOf<'mle-exact'>> {
  const { onProgress, signal, moments, ...rest } = opts;
  if (moments) throw new Error('inferExactMLEOnPool: fits data (target moments are not sent to workers)');
  const maxIter = rest.maxIter ?? ((rest.optimizer ?? 'lbfgs') === 'lbfgs' ? EXACT_MLE_DEFAULTS.maxIterLbfgs : EXACT_MLE_DEFAULTS.maxIterGd);
  const [r] = await pool.run<InferResultOf<'mle-exact'>>({ data }, [{ kind: 'mle', opts: rest }], 'inferExactMLE', signal, onProgress && ((done) => onProgress(done, maxIter)));
  if (!r) throw new Error('inferExactMLEOnPool: no result');
  return r;
}

/** The fitting methods a pool runs (the demo's comparison methods). */
export type PoolFitMethod = 'em' | 'ple' | 'mle';

/**
 * Fits on a pool, each with its method's defaults (erasureMachine, inferPLE, inferExactMLE): the
 * same results as on the calling thread. Calls made together run side by side on the workers.
 */
export function poolFitRunner(pool: InferPool): { fit(method: PoolFitMethod, data: SpinData, signal?: AbortLike): Promise<InferResult>; sideBySide: true } {
  return {
    sideBySide: true,
    fit: (method, data, signal) => {
      const o = signal ? { signal } : {};
      if (method === 'em') return erasureMachineParallel(data, { ...o, pool });
      if (method === 'ple') return inferPLEParallel(data, { ...o, pool });
      return inferExactMLEOnPool(data, pool, o);
    },
  };
}
