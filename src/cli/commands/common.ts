/** Helpers shared by the commands: paths, file reading with notes, progress wiring. */
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { STDIN, readParamsFile, readSpinFile, writeSpinFile } from '../../io/files.js';
import { checkOutputsAgainstInputs, outputTarget, writeFileAtomic } from '../../io/atomic.js';
import { formatSpinText } from '../../io/data.js';
import { firstNonFinite, paramsToJSON } from '../../io/params.js';
import type { IsingParams, SpinData } from '../../ising/types.js';
import type { ParsedSpinData } from '../../io/data.js';
import type { ParsedParams } from '../../io/params.js';
import type { CliContext } from '../context.js';
import { Progress } from '../progress.js';
import type { ProgressOptions } from '../progress.js';
import { UsageError } from '../args.js';
import type { OptionSpec, ParsedArgs } from '../args.js';
import { getBackend, setBackend } from '../../tensor/index.js';
import type { Backend } from '../../tensor/index.js';
import type { ThreadsBackend } from '../../tensor/backend/threads.js';
import type { SamplePool } from '../../diffusion/shards.js';

/**
 * --backend: auto = threads on a machine with several cores, else wasm, where the engine has
 * WebAssembly SIMD (else js); threads = the wasm kernels with GEMMs and sampler batches split
 * over worker threads (one per core); js = the plain-JS specification. The kernels are the same,
 * so results do not depend on the choice (the demo gives bit-identical numbers with wasm and
 * threads; threads took 171 s against 217 s, 151 s with the Adam kernel).
 */
export const BACKEND_OPTION = {
  type: 'string', default: 'auto', choices: ['auto', 'wasm', 'threads', 'js'],
  help: 'tensor backend: auto (threads on several cores, else wasm; js without WebAssembly SIMD), wasm, threads (one worker per core), js',
} as const;

/** --threads: workers of the threads backend, the caller included (default: the core count). */
export const THREADS_OPTION = { type: 'int', help: 'threads for --backend threads/auto, the caller included (default: the number of cores)', min: 1, max: 64 } as const;

/** The backend asked for by --backend (an explicit wasm/threads without SIMD is a usage error). */
export async function chooseBackend(a: ParsedArgs, ctx: CliContext): Promise<Backend> {
  const want = (a['backend'] as string | undefined) ?? 'auto';
  if (want === 'js') return getBackend();
  const { wasmSimdSupported } = await import('../../tensor/backend/wasm/module.js');
  if (!wasmSimdSupported()) {
    if (want !== 'auto') throw new UsageError(`--backend ${want}: this JavaScript engine has no WebAssembly SIMD; use --backend js`);
    ctx.stderr('WebAssembly SIMD is not available here; using the JS backend\n');
    return getBackend();
  }
  const { loadBackend } = await import('../../tensor/backend/wasm/select.js');
  const count = (a['threads'] as number | undefined) ?? availableParallelism();
  const threads = want === 'threads' || (want === 'auto' && count > 1);
  return loadBackend(threads ? 'threads' : 'wasm', { threads: count });
}

/**
 * Workers for row-sharded sampling (SamplePool), one per thread of a threads backend of two or
 * more threads; null on other backends (their sampling stays on the calling thread).
 */
export async function samplePoolFor(be: Backend): Promise<SamplePool | null> {
  const threads = (be as Partial<ThreadsBackend>).threads;
  if (!(be.name.startsWith('threads-') && threads !== undefined && threads >= 2)) return null;
  const { SamplePool } = await import('../../diffusion/shards.js');
  return SamplePool.start(threads);
}

/** Run fn on the backend chosen by --backend, restoring the previous one afterwards. */
export async function onBackend<T>(a: ParsedArgs, ctx: CliContext, fn: () => Promise<T>): Promise<T> {
  const prev = getBackend();
  const be = await chooseBackend(a, ctx);
  setBackend(be);
  try {
    return await fn();
  } finally {
    setBackend(prev);
  }
}

/** A path given on the command line, resolved against the working directory; `-` stays `-` (stdin/stdout). */
export function pathOf(ctx: CliContext, p: string): string {
  return p === STDIN ? STDIN : resolve(ctx.cwd, p);
}

/** How messages name a file given on the command line. */
export function shownName(file: string): string {
  return file === STDIN ? 'standard input' : file;
}

/** Read a data file (`-`: standard input); says on stderr when a 0/1 file was converted. */
export function loadData(ctx: CliContext, file: string): ParsedSpinData {
  const d = readSpinFile(pathOf(ctx, file), shownName(file));
  if (d.from01) ctx.stderr(`${shownName(file)}: values are 0/1, read as 0 → -1, 1 → +1\n`);
  return d;
}

export function loadParams(ctx: CliContext, file: string): ParsedParams {
  return readParamsFile(pathOf(ctx, file), shownName(file));
}

/** A file option of a command: its flag (e.g. '--data') and the value given, if any. */
export type FileArg = [flag: string, file: string | undefined];

/**
 * Checks on a command's files before any work: standard input used at most once, every output
 * writable as a regular file (or `-`), and no output resolving to an input file or to another
 * output (symlinks and hard links included) — `--out data.txt --data data.txt` would otherwise
 * replace the data. Usage errors.
 */
export function checkFiles(ctx: CliContext, inputs: FileArg[], outputs: FileArg[]): void {
  const given = (l: FileArg[]) => l.filter((f): f is [string, string] => f[1] !== undefined);
  const ins = given(inputs);
  const outs = given(outputs);
  const stdinUsers = ins.filter(([, f]) => f === STDIN).map(([flag]) => flag);
  if (stdinUsers.length > 1) throw new UsageError(`${stdinUsers.join(' and ')}: standard input ('-') can be read only once`);
  const stdoutUsers = outs.filter(([, f]) => f === STDIN).map(([flag]) => flag);
  if (stdoutUsers.length > 1) throw new UsageError(`${stdoutUsers.join(' and ')}: only one output can go to standard output ('-')`);
  for (const [flag, f] of outs) {
    if (f === STDIN) continue;
    try {
      outputTarget(pathOf(ctx, f), f);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  }
  const entry = ([flag, f]: [string, string]) => ({ flag, path: pathOf(ctx, f), shown: f });
  checkOutputsAgainstInputs(ins.map(entry), outs.map(entry));
}

/** Write text to a file given on the command line atomically, or to stdout for `-`. */
export function writeText(ctx: CliContext, file: string, text: string): void {
  if (file === STDIN) ctx.stdout(text);
  else writeFileAtomic(pathOf(ctx, file), text, file);
}

/** Write spin data (text, or .npy by extension; text on stdout for `-`). */
export function writeSpins(ctx: CliContext, file: string, data: SpinData, opts: { zeroOne?: boolean; header?: string } = {}): void {
  if (file === STDIN) ctx.stdout(formatSpinText(data, opts));
  else writeSpinFile(pathOf(ctx, file), data, { ...opts, name: file });
}

/** Params JSON takes ~22 bytes a coupling: n = 2048 is a 90 MB file, about the most that is useful (and fits in a string). */
export const MAX_PARAMS_N = 2048;

/** Write params JSON (stdout for `-`). Non-finite params are refused with the entry and a hint. */
export function writeParams(ctx: CliContext, file: string, p: IsingParams, extra: Record<string, unknown> = {}, hint = ''): void {
  const bad = firstNonFinite(p);
  if (bad !== null) throw new Error(`the fitted parameters are not finite (${bad}); nothing written${hint ? ` — ${hint}` : ''}`);
  writeText(ctx, file, paramsToJSON(p, extra));
}

/** The options of the commands that draw a true model (sk, model): SK's strength, the seed, the output. */
export const DRAW_OPTIONS = {
  g: { type: 'number', help: 'coupling strength g (b_i, w_ij ~ N(0, g²/n))', default: 1, min: 0 },
  seed: { type: 'int', help: 'random seed', default: 1, min: 0 },
  out: { type: 'string', help: "output params JSON (omit, or '-', to print it)", meta: 'FILE' },
  json: { type: 'boolean', help: 'print a JSON summary instead of a sentence' },
} as const satisfies Record<string, OptionSpec>;

/** --out of a drawing command: '-' (standard output) when omitted; checked before any work. */
export function drawTarget(ctx: CliContext, a: ParsedArgs): string {
  const out = (a['out'] as string | undefined) ?? '-';
  checkFiles(ctx, [], [['--out', out]]);
  return out;
}

/** Write drawn parameters, then (unless they went to standard output) say so: `sentence`, or with --json `summary`. */
export function writeDrawn(ctx: CliContext, a: ParsedArgs, out: string, p: IsingParams, extra: Record<string, unknown>, summary: Record<string, unknown>, sentence: string): number {
  writeParams(ctx, out, p, extra);
  if (out === '-') return 0;
  ctx.stdout(a['json'] ? JSON.stringify(summary) + '\n' : sentence + '\n');
  return 0;
}

/**
 * Data sizes from flags are checked before allocating: m samples of n spins are held as bytes
 * (and as float32 while a diffusion model samples them), and a text file needs 2–3 characters a
 * value in one string (JavaScript strings stop near 2^29 characters).
 */
export const MAX_VALUES = 2 ** 28;
export const MAX_TEXT_VALUES = Math.floor((2 ** 29 - 2 ** 20) / 3);

export function checkSampleCount(flag: string, m: number, n: number, out: string | undefined): void {
  const values = m * n;
  if (values > MAX_VALUES) throw new UsageError(`${flag}: ${m} samples × ${n} spins = ${values.toExponential(2)} values is more than this tool holds in memory (${MAX_VALUES.toExponential(2)}); use fewer samples, e.g. in several runs`);
  const text = out !== undefined && (out === STDIN || extname(out).toLowerCase() !== '.npy');
  if (text && values > MAX_TEXT_VALUES) throw new UsageError(`${flag}: ${m} samples × ${n} spins is too large for a text file (at most ${MAX_TEXT_VALUES.toExponential(2)} values); write .npy (e.g. --out samples.npy) or use fewer samples`);
}

/** Largest n for exact maximum likelihood (2^n states enumerated at every step), in every command. */
export const EXACT_MLE_MAX_N = 24;

/** Refuse exact MLE beyond EXACT_MLE_MAX_N before any work. */
export function checkExactMle(flag: string, n: number): void {
  if (n > EXACT_MLE_MAX_N) throw new UsageError(`${flag}: exact MLE enumerates 2^n states at every step; n=${n} is above its limit of ${EXACT_MLE_MAX_N} (use ple or em, or mle --mle mcmc in infer)`);
}

/** How progress is shown for this context: a bar on a terminal, plain lines elsewhere, nothing with --quiet. */
export function progressMode(ctx: CliContext, force = false): Pick<ProgressOptions, 'enabled' | 'mode' | 'everyMs'> {
  if (ctx.quiet) return { enabled: false };
  if (ctx.isTTY) return { enabled: true, mode: 'bar' };
  return { enabled: force || Boolean(ctx.progressLines), mode: 'lines', everyMs: force ? 1000 : 5000 };
}

/**
 * An onProgress callback reporting on stderr (progressMode: a bar on a terminal, a line every
 * few seconds elsewhere; `force` (--progress) makes those lines come every second); end()
 * finishes it, and the next onProgress starts a new one.
 */
export function progressFor(ctx: CliContext, label: string, force = false): { onProgress: (done: number, total: number, info?: Record<string, number>) => void; end: () => void } {
  let bar: Progress | null = null;
  let last = 0;
  const mode = progressMode(ctx, force);
  return {
    onProgress(done, total, info) {
      if (!mode.enabled) return;
      bar ??= new Progress({ total, label, write: ctx.stderr, ...mode });
      const extra = info ? Object.entries(info).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(' ') : undefined;
      bar.tick(done - last, extra);
      last = done;
    },
    end() {
      bar?.end();
      bar = null;
      last = 0;
    },
  };
}

/** Format a number for one-line summaries. */
export function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toPrecision(4) : v.toExponential(3);
}
