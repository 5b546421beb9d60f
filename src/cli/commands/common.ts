/** Helpers shared by the commands: paths, file reading with notes, progress wiring. */
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { readParamsFile, readSpinFile } from '../../io/files.js';
import type { ParsedSpinData } from '../../io/data.js';
import type { ParsedParams } from '../../io/params.js';
import type { CliContext } from '../context.js';
import { Progress } from '../progress.js';
import { UsageError } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { getBackend, setBackend } from '../../tensor/index.js';
import type { Backend } from '../../tensor/index.js';

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

export function pathOf(ctx: CliContext, p: string): string {
  return resolve(ctx.cwd, p);
}

/** Read a data file; says on stderr when a 0/1 file was converted. */
export function loadData(ctx: CliContext, file: string): ParsedSpinData {
  const d = readSpinFile(pathOf(ctx, file), file);
  if (d.from01) ctx.stderr(`${file}: values are 0/1, read as 0 → -1, 1 → +1\n`);
  return d;
}

export function loadParams(ctx: CliContext, file: string): ParsedParams {
  return readParamsFile(pathOf(ctx, file), file);
}

/**
 * An onProgress callback drawing a bar on stderr, when `enabled` (default: stderr is a
 * terminal); end() finishes the bar, and the next onProgress starts a new one.
 */
export function progressFor(ctx: CliContext, label: string, enabled = ctx.isTTY): { onProgress: (done: number, total: number, info?: Record<string, number>) => void; end: () => void } {
  let bar: Progress | null = null;
  let last = 0;
  return {
    onProgress(done, total, info) {
      if (!enabled) return;
      bar ??= new Progress({ total, label, write: ctx.stderr, enabled: true });
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
