/**
 * The project's error classes. Library code throws these; the command line maps them to exit
 * codes (usage 2, data and other runtime errors 1, abort 130). Messages say where and what:
 * `data.txt line 17: expected 20 values, got 19`.
 */

/** A bad option, flag or argument combination: the caller asked for something invalid. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Malformed or out-of-range input data (a file, a checkpoint, params); the message names it. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Work stopped because its AbortSignal (or `{ aborted: true }`) was set. */
export class AbortError extends Error {
  constructor(message = 'aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

/** Exit code of the command line for an error (usage 2, abort 130, anything else 1). */
export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e instanceof AbortError) return 130;
  return 1;
}
