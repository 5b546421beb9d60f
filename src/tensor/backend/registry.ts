import type { Backend } from './types.js';
import { jsBackend } from './js.js';

/** The backend used by tensor ops. Chosen explicitly (setBackend), never silently switched. */
let current: Backend = jsBackend;

export function getBackend(): Backend {
  return current;
}

export function setBackend(b: Backend): void {
  current = b;
}

/** Run fn with backend b, restoring the previous one afterwards. */
export function withBackend<T>(b: Backend, fn: () => T): T {
  const prev = current;
  current = b;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
