// The threaded wasm-simd backend: workers (Node worker_threads, or browser Web Workers) share one
// WebAssembly.Memory (a SharedArrayBuffer with a fixed maximum, so growing it never detaches
// anything) and split jobs (op records over rows, wasm/plan.ts) into chunks. Synchronous for the
// caller: it takes chunks too (all of them if the workers are slow to wake), then waits until
// every chunk is done — in Atomics.wait where the thread may block (Node, a browser worker), by
// spinning on a page's main thread (where Atomics.wait is not allowed). Browsers need
// cross-origin isolation (COOP/COEP headers) for shared memory. Optional and lazily loaded; no
// static Node imports, so it bundles for browsers.
import { allocPlain } from '../dtype.js';
import type { Storage } from '../dtype.js';
import type { Backend } from './types.js';
import { jsBackend } from './js.js';
import { compileGemmModule, layout, moduleExports, wasmSimdSupported } from './wasm/module.js';
import type { Layout } from './wasm/module.js';
import { gemmViaArena, OperandArena } from './wasm/arena.js';
import type { GemmCall } from './wasm/arena.js';
import { CONTROL_BYTES, CTL, GEMM_RECORD_AT, MAX_PAGES, PAGE } from './wasm/memory.js';
import { RECORD_BYTES, VEC, writeRecord } from './wasm/records.js';
import type { RecordOf } from './wasm/records.js';
import { defaultGeometry } from './wasm/gemm.js';
import { WORKER_SOURCE } from './threads-worker-source.js';
import { Spinner } from './threads-worker.js';
import type { WorkerInit } from './threads-worker.js';
import { PlanResidence, planChunks, wasmPlanRunner } from './wasm/plan.js';
import { residentAdam } from './wasm/adam.js';
import { colSumChunk, gemmPieces, residentKernels, rowChunk } from './wasm/resident.js';
import type { PairRunner, RecordRunner } from './wasm/resident.js';
import { wasmElementwise } from './wasm/index.js';
import { enableRelaxedSimd } from './wasm/node-flags.js';
import { isNode, startModuleWorker } from '../../util/module-worker.js';
import { at } from '../../util/checked.js';
import { UsageError } from '../../util/errors.js';

/**
 * Work (floats for add and the unary kernels, elements summed for colSum) a thread must get before
 * a resident elementwise kernel is split (waking a worker costs ~0.1 ms). On the paper network
 * (128-256-512) at batch 128 the GELUs of 256 and 512 columns and the 512-wide column sums split,
 * the adds only from batch 256; splitting everything (4096) measured the same there.
 */
const VEC_MIN_WORK = { add: 65536, unary: 16384, colSum: 32768 } as const;

/** Element pairs a chunk of an update kernel (Adam, the gradient scaling, the EMA) gets at least. */
const UPDATE_MIN_PAIRS = 16384;

/** Chunks one job may have: the chunk word counts them in its low 16 bits (0xffff: none left). */
const MAX_JOB_CHUNKS = 0xffff;

/** GEMM records fit in the control block after GEMM_RECORD_AT. */
const MAX_GEMM_CHUNKS = Math.floor((CONTROL_BYTES - GEMM_RECORD_AT) / RECORD_BYTES);

/** What the backend needs from its platform. */
export interface ThreadHost {
  /** Hardware threads (the default thread count). */
  cores: number;
  /** May the calling thread block in Atomics.wait? (Not a browser page's main thread.) */
  canBlock: boolean;
  /** Start a module worker from `source`, post it `init`, resolve once it answers; later errors go to onError. */
  spawn(source: string, init: unknown, onError: (e: unknown) => void): Promise<{ terminate(): unknown }>;
}

/** Start a worker from `source`, post it `init`, resolve once it answers (later messages are its own protocol's). */
function spawnReady(source: string, init: unknown, onError: (e: unknown) => void, unref: boolean): Promise<{ terminate(): unknown }> {
  return startModuleWorker(source).then((w) => new Promise((resolve, reject) => {
    let ready = false;
    w.onMessage(() => {
      if (ready) return;
      ready = true;
      if (unref) w.unref();
      resolve(w);
    });
    w.onError((e) => (ready ? onError(e) : reject(e)));
    w.post(init);
  }));
}

/** Node: worker_threads; unref'd once ready, so they never keep a process alive. */
export async function nodeThreadHost(): Promise<ThreadHost> {
  const { availableParallelism } = await import('node:os');
  return { cores: availableParallelism(), canBlock: true, spawn: (source, init, onError) => spawnReady(source, init, onError, true) };
}

/** Browsers: module Web Workers (shared memory needs a cross-origin isolated page). */
function webHost(): ThreadHost {
  const g = globalThis as unknown as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number }; WorkerGlobalScope?: unknown };
  if (g.crossOriginIsolated === false) throw new Error('threads backend: shared memory needs a cross-origin isolated page (COOP/COEP headers); use the wasm backend');
  return {
    cores: g.navigator?.hardwareConcurrency ?? 1,
    canBlock: typeof g.WorkerGlobalScope !== 'undefined',
    spawn: (source, init, onError) => spawnReady(source, init, onError, false),
  };
}

export interface ThreadsOptions {
  /** Threads including the caller's (default: the number of cores). 1 means no workers. */
  threads?: number;
  /** The platform (default: Node's worker_threads in Node, Web Workers elsewhere). */
  host?: ThreadHost;
  /** Below this many flops (2mnk) a GEMM runs on the calling thread alone (waking workers costs ~0.1 ms). */
  minFlopsPerThread?: number;
  /** Overrides VEC_MIN_WORK: the work a thread must get before a resident elementwise kernel is split (1: always). */
  minVecWorkPerThread?: number;
  /** Overrides UPDATE_MIN_PAIRS: the element pairs a chunk of an update kernel gets at least (1: always split). */
  minUpdatePairsPerChunk?: number;
  /**
   * Milliseconds a thread spins on a control word before sleeping in Atomics.wait: a worker after
   * each job (waiting for the next), the caller on the job's last chunks (default SPIN_MS; 0: sleep
   * at once, as before). Longer catches more wake-ups on a busy training loop; an idle backend
   * costs at most this much CPU per worker after its last job.
   */
  spinMs?: number;
}

/**
 * The default ThreadsOptions.spinMs. Measured gaps between one split job and the next in the
 * `small` training step (threads-2, batch 128: four jobs a step — forward, backward, the
 * parameters' gradients, Adam): median 0.11 ms, 28% over 0.2 ms (the minibatch, the loss and the
 * norm run on the caller between Adam and the next forward), q99 0.65 ms; sampling's are ~2 ms
 * (drawing the noise, the update). Spinning 1 ms, which covers the step's, was no faster: the
 * step's speed-up of 1 ms over 0.2 ms, interleaved in one process, was 1.07, 1.11 and 1.03 in
 * three runs of 14–20 rounds, then 0.99 and 0.97 in two of 30 (and 0.95 in
 * scripts/thread-scaling.mjs); sampling's 0.96–1.04. A loop of 512³ GEMMs leaves ~0.15 ms of
 * operand copies between jobs.
 */
export const SPIN_MS = 0.2;

export interface ThreadsBackend extends Backend {
  readonly threads: number;
  /** Stop the workers (the backend then runs single-threaded). */
  terminate(): Promise<void>;
}

export async function loadThreadsBackend(opts: ThreadsOptions = {}): Promise<ThreadsBackend> {
  if (!wasmSimdSupported()) throw new Error('threads backend: this JavaScript engine cannot compile WebAssembly SIMD (128-bit)');
  if (isNode()) await enableRelaxedSimd();
  const host = opts.host ?? (isNode() ? await nodeThreadHost() : webHost());
  const threads = Math.max(1, Math.floor(opts.threads ?? host.cores));
  const minFlops = opts.minFlopsPerThread ?? 2e6;
  const spinMs = opts.spinMs ?? SPIN_MS;
  if (!(spinMs >= 0 && Number.isFinite(spinMs))) throw new UsageError(`threads backend: spinMs must be a finite number ≥ 0, got ${spinMs}`);
  const spinner = new Spinner(spinMs);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const lay: Layout = layout(threads);
  memory.grow(lay.operandBase / PAGE);
  const module = await compileGemmModule(true);
  const instance = await WebAssembly.instantiate(module, { env: { mem: memory } });
  const ex = moduleExports(instance);
  const arena = new OperandArena(memory, lay.operandBase);
  const ctl = new Int32Array(memory.buffer, 0, CTL.size);
  // A worker that dies (a trap, an exception) fails the job in flight; later jobs run on the
  // caller alone.
  let failed: Error | null = null;
  const onWorkerError = (e: unknown): void => {
    failed ??= new Error(`threads backend: a worker failed (${e instanceof Error ? e.message : String(e)}); continuing on one thread`);
  };
  const workers = await Promise.all(Array.from({ length: threads - 1 }, (_, w) =>
    host.spawn(WORKER_SOURCE, { module, memory, bufs: at(lay.threads, w + 1, 'thread buffers'), spinMs } satisfies WorkerInit, onWorkerError)));
  let active = workers.length > 0, terminated = false;

  let seq = Atomics.load(ctl, CTL.seq);
  const i32 = new Int32Array(memory.buffer), f32 = new Float32Array(memory.buffer);
  const home = new PlanResidence(arena, lay.operandBase);

  /**
   * Run the records at `plan` on rows [0, rows) in `nChunks` chunks of `chunk` rows: publish the
   * job, then take chunks like any worker (the chunk word is tagged with the job, so a worker
   * waking late for an earlier job cannot take one). When the workers are slow to wake (a loaded
   * machine), the caller simply computes every chunk itself.
   */
  const runJob = (plan: number, nOps: number, rows: number, chunk: number, nChunks: number, perRecord = false): void => {
    const mine = at(lay.threads, 0, 'thread buffers');
    const runChunk = (c: number): void => {
      if (perRecord) ex.runPlan(plan + c * RECORD_BYTES, 1, 0, rows, mine.bufA, mine.bufB, mine.scratch);
      else ex.runPlan(plan, nOps, c * chunk, Math.min(rows, (c + 1) * chunk), mine.bufA, mine.bufB, mine.scratch);
    };
    if (!(nChunks <= MAX_JOB_CHUNKS)) throw new Error(`threads backend: a job of ${nChunks} chunks (at most ${MAX_JOB_CHUNKS})`);
    if (failed) active = false; // a worker died between jobs: carry on with the caller alone
    if (nChunks <= 1 || !active) {
      for (let c = 0; c < nChunks; c++) runChunk(c);
      return;
    }
    seq = (seq + 1) | 0;
    const tag = seq & 0xffff;
    // Close the chunk word first (new tag, no chunk left): a worker still holding the previous
    // job's sequence number then cannot take a chunk while the new arguments are being written.
    Atomics.store(ctl, CTL.word, (tag << 16) | 0xffff);
    const args = [plan, nOps, rows, chunk, nChunks, perRecord ? 1 : 0];
    args.forEach((v, i) => Atomics.store(ctl, CTL.plan + i, v));
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.word, tag << 16);
    Atomics.store(ctl, CTL.seq, seq);
    Atomics.notify(ctl, CTL.seq);
    let error: unknown = null;
    try {
      for (;;) {
        const v = Atomics.load(ctl, CTL.word);
        const c = v & 0xffff;
        if (c >= nChunks) break;
        if (Atomics.compareExchange(ctl, CTL.word, v, v + 1) !== v) continue;
        runChunk(c);
        Atomics.add(ctl, CTL.done, 1);
      }
    } catch (e) {
      error = e;
    }
    // Wait for the chunks taken (all of them; after an error on the caller, the ones handed out
    // before it — the failed chunk itself is never counted done).
    const taken = error === null ? nChunks : Math.min(Atomics.exchange(ctl, CTL.word, (tag << 16) | 0xffff) & 0xffff, nChunks) - 1;
    // Spin first (a worker's last chunk usually ends within µs of the caller's), then sleep.
    spinner.until(() => Atomics.load(ctl, CTL.done) >= taken || failed !== null);
    for (;;) {
      const d = Atomics.load(ctl, CTL.done);
      if (d >= taken) break;
      if (failed) { active = false; throw failed; } // this job's output is incomplete
      if (host.canBlock) Atomics.wait(ctl, CTL.done, d, 100);
    }
    if (error !== null) throw error;
  };

  /** Chunks (at most one per thread) of a resident elementwise kernel of this much work: none under its VEC_MIN_WORK. */
  const vecWant = (kind: keyof typeof VEC_MIN_WORK, work: number): number =>
    Math.max(1, Math.min(threads, Math.floor(work / (opts.minVecWorkPerThread ?? VEC_MIN_WORK[kind]))));

  /** Pieces (at most one per thread) of a GEMM of this many flops: none under minFlops each. */
  const gemmWant = (flops: number): number => Math.min(threads, MAX_GEMM_CHUNKS, Math.max(1, Math.floor(flops / minFlops)));

  /** A plain GEMM, one piece per thread (gemmPieces: by rows or by columns of C). */
  const run = (g: GemmCall, alpha: number, beta: number, bias = 0): void => {
    const pieces = gemmPieces(g, alpha, beta, bias, gemmWant(2 * g.m * g.n * g.k));
    pieces.forEach((p, c) => writeRecord(i32, f32, GEMM_RECORD_AT + c * RECORD_BYTES, 'linear', p.rec, p.range));
    runJob(GEMM_RECORD_AT, 1, 1, 0, pieces.length, true);
  };

  /**
   * How a resident program runs (ResidentKernels.program): a row program in one chunk of rows per
   * thread (multiples of the micro-tile height, so no tile is split, and of 4, so every add and
   * unary record's rows start on a 4-float vector whatever their width: two chunks never share
   * one), none under minFlops of its GEMMs; independent calls as pieces taken by whichever thread
   * is free (in jobs of at most MAX_JOB_CHUNKS pieces).
   */
  const records: RecordRunner = {
    rows(ptr, nOps, rows, flops) {
      const { MR } = defaultGeometry, unit = MR % 4 === 0 ? MR : 4 * MR;
      const want = Math.max(1, Math.min(threads, Math.ceil(rows / unit), Math.floor(flops / minFlops)));
      const chunk = rowChunk(rows, want, unit);
      runJob(ptr, nOps, rows, chunk, Math.ceil(rows / chunk));
    },
    pieces(ptr, n) {
      for (let i = 0; i < n; i += MAX_JOB_CHUNKS) runJob(ptr + i * RECORD_BYTES, 1, 1, 0, Math.min(MAX_JOB_CHUNKS, n - i), true);
    },
    split: (kind, work) => kind === 'gemm' ? gemmWant(work) : vecWant('colSum', work),
  };

  /**
   * An update kernel over element pairs (Adam, the gradient scaling, the EMA), one record, about
   * two chunks per thread; each element's result is the same whatever the split.
   */
  const runPairs: PairRunner = (kind, r, pairs) => {
    writeRecord(i32, f32, GEMM_RECORD_AT, kind, r);
    const nChunks = Math.max(1, Math.min(2 * threads, Math.floor(pairs / (opts.minUpdatePairsPerChunk ?? UPDATE_MIN_PAIRS))));
    runJob(GEMM_RECORD_AT, 1, pairs, Math.ceil(pairs / nChunks), nChunks);
  };
  const runAdam = (p: number, g: number, m: number, v: number, pairs: number, h: number): void => runPairs('adam', { p, g, m, v, h }, pairs);

  /**
   * A resident elementwise kernel (a vec record) on `units` units, one chunk per thread where each
   * chunk gets at least VEC_MIN_WORK of its kind's work (else on the caller alone). Units are
   * 4-float vectors, or columns for colSum (chunks of an even number of columns: the kernel takes
   * them in pairs; each column's float64 sum keeps its order).
   */
  const runVec = (r: RecordOf<'vec'>, units: number): void => {
    if (units <= 0) return;
    const colSum = r.fn === VEC.colSum;
    const want = vecWant(r.fn === VEC.add ? 'add' : colSum ? 'colSum' : 'unary', colSum ? units * r.rows : 4 * units);
    const chunk = colSum ? colSumChunk(units, want) : Math.ceil(units / want);
    writeRecord(i32, f32, GEMM_RECORD_AT, 'vec', r);
    runJob(GEMM_RECORD_AT, 1, units, chunk, Math.ceil(units / chunk));
  };

  /** A plan over all rows, in chunks (see planChunks). */
  const runPlanRows = (plan: number, nOps: number, rows: number): void => {
    const { chunk, nChunks } = planChunks(rows, threads);
    runJob(plan, nOps, rows, chunk, nChunks);
  };

  return {
    ...jsBackend,
    ...wasmElementwise(arena, ex),
    name: `threads-${threads}`,
    threads,
    alloc: allocPlain,
    compilePlan: (plan) => wasmPlanRunner(plan, home, runPlanRows),
    adamKernel: (sizes) => residentAdam(home, arena, sizes, runAdam),
    resident: () => residentKernels(home, ex, run, records, runVec, runPairs),
    gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Storage, b: Storage, c: Storage, alpha: number, beta: number): void {
      if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
        jsBackend.gemm(transA, transB, m, n, k, a, b, c, alpha, beta);
        return;
      }
      gemmViaArena(arena, transA, transB, m, n, k, a, b, c, alpha, beta, (g) => run(g, alpha, beta));
    },
    async terminate(): Promise<void> {
      if (terminated) return;
      terminated = true;
      active = false;
      Atomics.store(ctl, CTL.nChunks, -1); // exit
      seq = (seq + 1) | 0;
      Atomics.store(ctl, CTL.seq, seq);
      Atomics.notify(ctl, CTL.seq);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
