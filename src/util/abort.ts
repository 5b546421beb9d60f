/**
 * Cooperative cancellation and yielding for long work. A standard `AbortSignal` satisfies
 * `AbortLike`, and so does the plain `{ aborted: boolean }` the command line sets on Ctrl-C.
 * Synchronous loops call `throwIfAborted` at each step; async loops `await yielder.tick()` so the
 * host (a page's event loop, Node's signal handlers) gets to run every `everyMs` milliseconds.
 */
import { AbortError } from './errors.js';

export interface AbortLike {
  readonly aborted: boolean;
}

/** A progress report: `done` of `total` units, with named numbers beside (loss, ε, acceptance). */
export type ProgressFn = (done: number, total: number, info?: Record<string, number>) => void;

/**
 * The hooks every long-running loop's options extend (library code never prints): the signal it
 * checks and the callback it reports progress to. `P` is the callback's type, for the loops that
 * report in stages (augment: train, evaluate, generate, infer).
 */
export interface LoopHooks<P = ProgressFn> {
  onProgress?: P;
  signal?: AbortLike;
}

/** Throw `AbortError('<what>: aborted')` if the signal is set. */
export function throwIfAborted(signal: AbortLike | undefined, what = 'work'): void {
  if (signal?.aborted) throw new AbortError(`${what}: aborted`);
}

const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/** Give the event loop one turn (a macrotask, so timers, input and signal handlers run). */
export function yieldToHost(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Yields to the host at most every `everyMs` of work and checks the signal at each tick. */
export class Yielder {
  private last = now();
  constructor(private readonly signal?: AbortLike, private readonly everyMs = 40, private readonly what = 'work') {}

  /** Check the signal; yield if `everyMs` passed since the last yield. */
  async tick(): Promise<void> {
    throwIfAborted(this.signal, this.what);
    if (now() - this.last >= this.everyMs) {
      await yieldToHost();
      this.last = now();
      throwIfAborted(this.signal, this.what);
    }
  }
}
