/**
 * Process entry: wires main() to the real process. The only place that calls process.exit.
 *
 * The command runs in a worker thread and this (main) thread owns the process: signals, stdout,
 * stderr and the exit code. A synchronous loop in the command cannot block a signal handler here,
 * so Ctrl-C always works: the first sets a flag in shared memory that the worker's
 * `ctx.signal.aborted` reads (long loops stop at their next step and the command exits 130, no
 * partial output), the second ends the process at once by SIGINT (status 130 in the shell),
 * removing the temporary files the worker has open.
 * The same file is the worker's entry (isMainThread tells the two apart), so the bundle needs no
 * second file.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';
import { setTempFileHooks } from '../io/atomic.js';

/** Messages from the worker to the main thread. */
type FromWorker =
  | { kind: 'out'; text: string }
  | { kind: 'err'; text: string }
  | { kind: 'tmp'; path: string; open: boolean }
  | { kind: 'done'; code: number };

interface WorkerInput {
  argv: string[];
  isTTY: boolean;
  cwd: string;
  flag: SharedArrayBuffer;
}

function runMainThread(): void {
  const flag = new SharedArrayBuffer(4);
  const aborted = new Int32Array(flag);
  const temps = new Set<string>();
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    process.exit(code);
  };
  // A closed pipe (`spindiff sk --n 400 | head`) is not an error: stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        Atomics.store(aborted, 0, 1);
        exit(0);
      }
      exit(1);
    });
  }
  const input: WorkerInput = { argv: process.argv.slice(2), isTTY: Boolean(process.stderr.isTTY), cwd: process.cwd(), flag };
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: input, stdout: false, stderr: false });
  // Die by the signal itself (the shell sees 128 + its number: 130 for SIGINT). process.exit
  // would wait for the worker, which may be stuck in a system call (a read of a silent stdin).
  const dieBy = (sig: NodeJS.Signals): void => {
    for (const t of temps) rmSync(t, { force: true });
    process.removeAllListeners(sig);
    process.kill(process.pid, sig);
  };
  process.on('SIGINT', () => {
    if (Atomics.load(aborted, 0) === 1) {
      process.stderr.write('spindiff: aborted\n');
      dieBy('SIGINT');
      return;
    }
    Atomics.store(aborted, 0, 1);
    process.stderr.write('\nspindiff: interrupted; stopping at the next step (Ctrl-C again to abort now)\n');
  });
  process.on('SIGTERM', () => dieBy('SIGTERM'));
  let done = false;
  worker.on('message', (m: FromWorker) => {
    switch (m.kind) {
      case 'out':
        process.stdout.write(m.text);
        break;
      case 'err':
        process.stderr.write(m.text);
        break;
      case 'tmp':
        if (m.open) temps.add(m.path);
        else temps.delete(m.path);
        break;
      case 'done':
        done = true;
        // Pipes and files are written synchronously on POSIX: nothing is lost by exiting now.
        exit(m.code);
    }
  });
  worker.on('error', (e) => {
    process.stderr.write(`spindiff: ${e?.message ?? String(e)}\n`);
    if (process.env['SPINDIFF_DEBUG']) process.stderr.write(`${e?.stack}\n`);
    exit(1);
  });
  worker.on('exit', (code) => {
    if (!done) exit(code === 0 ? 1 : code);
  });
}

function runWorker(): void {
  const input = workerData as WorkerInput;
  const aborted = new Int32Array(input.flag);
  const post = (m: FromWorker): void => parentPort!.postMessage(m);
  setTempFileHooks({ open: (path) => post({ kind: 'tmp', path, open: true }), close: (path) => post({ kind: 'tmp', path, open: false }) });
  const signal = {
    get aborted(): boolean {
      return Atomics.load(aborted, 0) === 1;
    },
  };
  main(input.argv, {
    stdout: (text) => post({ kind: 'out', text }),
    stderr: (text) => post({ kind: 'err', text }),
    isTTY: input.isTTY,
    progressLines: true,
    cwd: input.cwd,
    signal,
  }).then(
    (code) => post({ kind: 'done', code }),
    (e) => {
      post({ kind: 'err', text: `spindiff: ${(e as Error)?.message ?? String(e)}\n` });
      post({ kind: 'done', code: 1 });
    },
  );
}

if (isMainThread) runMainThread();
else runWorker();
