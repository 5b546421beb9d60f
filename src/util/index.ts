export { UsageError, DataError, AbortError, exitCodeFor } from './errors.js';
export { throwIfAborted, yieldToHost, Yielder } from './abort.js';
export type { AbortLike, LoopHooks, ProgressFn } from './abort.js';
