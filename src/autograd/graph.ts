/**
 * The tape: each op output that depends on a tensor needing gradients gets a `Node` (in
 * Tensor.node) listing its inputs and a backward function. backward() walks these nodes.
 */
import type { Tensor } from '../tensor/index.js';

/**
 * Input gradients from the output gradient g; `needs[i]` says whether input i wants one (return
 * null otherwise). Each returned tensor must be either new storage used for that input only, or g
 * itself / a view of g's storage: backward() adopts new storage without copying and never
 * mutates g. Backward functions must not mutate g.
 */
export type BackwardFn = (g: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: BackwardFn;
}

let gradEnabled = true;

/** Whether ops currently record (false inside noGrad). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn without recording: ops inside are plain kernels and their outputs have no node. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether gradients flow through t (a leaf with requiresGrad, or an op output on the tape). */
export function needsGrad(t: Tensor): boolean {
  return t.requiresGrad || t.node !== null;
}

/** Attach a node to `out` when recording and some input needs gradients; returns out. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!gradEnabled) return out;
  for (const t of inputs) {
    if (t.requiresGrad || t.node !== null) {
      out.node = { op, inputs, backward } satisfies Node;
      return out;
    }
  }
  return out;
}

/** The node of t, typed (null for leaves and constants). */
export function nodeOf(t: Tensor): Node | null {
  return t.node as Node | null;
}
