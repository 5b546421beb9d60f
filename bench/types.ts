/**
 * One benchmark case. Each area's `bench/<area>.bench.ts` default-exports
 * `(o: BenchOptions) => BenchCase[] | Promise<BenchCase[]>`; the runner (bench/run.ts) times
 * `fn` several times, interleaved with the cases of the same group and shape, and reports the
 * minimum and the median.
 */
export interface BenchCase {
  /** matmul | train | sample | em | enum | … (what `--only` selects). */
  group: string;
  /** Implementation: spindiff-js, spindiff-wasm, tfjs-wasm, tfjs-cpu, torch, … */
  impl: string;
  /** Human name of the case (shown in the table). */
  name: string;
  threads?: number;
  /** e.g. "512x512x512" (m×n×k for matmul) or "batch=128". */
  shape?: string;
  /** Floating-point operations of one call of fn (gives GFLOP/s). */
  flops?: number;
  /** Timed repeats (default 7, 3 with --quick). */
  repeats?: number;
  /** Called once before timing (may be async); not timed. */
  setup?: () => unknown;
  /**
   * Called (untimed) before each sample: samples of the cases of one group and shape interleave,
   * so a case that needs global state (a global backend) sets it here, not only in setup.
   */
  before?: () => unknown;
  /** The timed call; a returned promise is awaited (and timed). */
  fn: () => unknown;
  /** Called once after timing. */
  teardown?: () => unknown;
  /**
   * Times measured elsewhere (e.g. by a python subprocess), in ms, one per repeat. When given,
   * fn is not timed (it may be a no-op). The runner asks for one repeat per round (interleaving).
   */
  measure?: (repeats: number) => Promise<number[]>;
  /** If set, the case is reported as skipped with this reason. */
  skip?: string;
}

export interface BenchOptions {
  quick: boolean;
}

export type BenchModule = (o: BenchOptions) => BenchCase[] | Promise<BenchCase[]>;

/** One result, as printed by `npm run bench -- --json` (one JSON object per line). */
export interface BenchResult {
  bench: string;
  impl: string;
  name: string;
  threads: number;
  shape: string;
  repeats: number;
  ms_min: number;
  ms_median: number;
  gflops_median?: number;
  gflops_max?: number;
  /** Median 1-minute load average over the samples (the machine is shared: say how busy it was). */
  load?: number;
  skipped?: string;
}
