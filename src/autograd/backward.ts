import { Tensor, ones, sameShape, clone, axpyInPlace, elementwise } from '../tensor/index.js';
import { needsGrad, noGrad, nodeOf } from './graph.js';
import { at, last } from '../util/checked.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Tensors reachable from `root` through the tape, inputs before outputs (reverse post-order of an
 * iterative depth-first search, so graphs 10⁵ ops deep do not overflow the call stack).
 */
export function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: Tensor[] = [root];
  const next: number[] = [0];
  while (stack.length > 0) {
    const t = last(stack, 'topoOrder stack');
    const node = nodeOf(t);
    const i = last(next, 'topoOrder input cursor');
    if (node !== null && i < node.inputs.length) {
      next[next.length - 1] = i + 1;
      const inp = at(node.inputs, i, 'tape node inputs');
      if (!seen.has(inp) && needsGrad(inp)) {
        seen.add(inp);
        stack.push(inp);
        next.push(0);
      }
    } else {
      stack.pop();
      next.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Reverse-mode sweep from `loss`: accumulates d(loss)/dt into `t.grad` for every tensor t with
 * requiresGrad (adding to an existing grad, until the caller zeroes it). `grad` is the seed
 * d(out)/d(loss); omitted, loss must have one element and the seed is 1. The graph is kept, so
 * backward may be called again on it. Backward computations are not themselves recorded.
 */
export function backward(loss: Tensor, grad?: Tensor): void {
  if (!needsGrad(loss)) {
    throw new Error('backward(): the loss does not depend on any tensor with requiresGrad (was it computed inside noGrad, or are parameters not marked with requireGrad()?)');
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (loss.size !== 1) throw new Error(`backward(): loss has shape ${fmt(loss.shape)}; pass a gradient or reduce it to one element (e.g. with sum or mean)`);
    seed = ones(loss.shape, loss.dtype);
  } else {
    if (!sameShape(grad.shape, loss.shape)) throw new Error(`backward(): gradient shape ${fmt(grad.shape)} differs from output shape ${fmt(loss.shape)}`);
    if (grad.dtype !== loss.dtype) throw new Error(`backward(): gradient dtype ${grad.dtype} differs from output dtype ${loss.dtype}`);
    seed = grad;
  }
  noGrad(() => {
    const order = topoOrder(loss);
    const grads = new Map<Tensor, Tensor>([[loss, seed]]);
    // Tensors whose pending gradient is storage of its own (a fresh result of a backward function,
    // or a sum made here), so it may be updated in place or adopted as a leaf's .grad without a
    // copy. A backward function returns either new storage or g itself / a view of g (add, reshape),
    // so "storage differs from g's" identifies the fresh ones.
    const owned = new Set<Tensor>();
    const accumulate = (t: Tensor, g: Tensor, fresh: boolean): void => {
      const prev = grads.get(t);
      if (prev === undefined) {
        grads.set(t, g);
        if (fresh) owned.add(t);
      } else if (owned.has(t)) axpyInPlace(1, g, prev);
      else {
        grads.set(t, elementwise('add', prev, g));
        owned.add(t);
      }
    };
    for (let k = order.length - 1; k >= 0; k--) {
      const t = at(order, k, 'topological order');
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t);
      if (t.requiresGrad) {
        if (t.grad === null) t.grad = owned.has(t) && nodeOf(t) === null ? g : clone(g);
        else axpyInPlace(1, g, t.grad);
      }
      owned.delete(t);
      const node = nodeOf(t);
      if (node === null) continue;
      const needs = node.inputs.map(needsGrad);
      const gin = node.backward(g, needs);
      for (let i = 0; i < node.inputs.length; i++) {
        const gi = gin[i];
        if (!needs[i] || gi === null || gi === undefined) continue;
        const inp = at(node.inputs, i, 'tape node inputs');
        if (!sameShape(gi.shape, inp.shape)) {
          throw new Error(`backward(): op '${node.op}' returned a gradient of shape ${fmt(gi.shape)} for input ${i} of shape ${fmt(inp.shape)} (autograd bug)`);
        }
        accumulate(inp, gi, gi.data !== g.data);
      }
    }
  });
}

/** Set .grad to null on each tensor (what optimizers' zeroGrad does). */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) p.grad = null;
}
