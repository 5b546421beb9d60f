/** Matrix products: matmul with transpose flags and the fused linear layer. */
import { Tensor, getBackend, sumTo } from '../../tensor/index.js';
import { record } from '../graph.js';
import { dims } from '../../util/checked.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function alloc2(like: Tensor, r: number, c: number): Tensor {
  return new Tensor(getBackend().alloc(like.dtype, r * c), [r, c]);
}

/**
 * op(a)·op(b) for 2-D a, b (op = transpose when the flag is set).
 * C = A·B:  dA = G·Bᵀ, dB = Aᵀ·G; the flags only change which GEMM computes them.
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new Error(`matmul(): expects 2-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (a.dtype !== b.dtype) throw new Error(`matmul(): dtype mismatch (${a.dtype} vs ${b.dtype})`);
  const [a0, a1] = dims(a.shape, 2, 'matmul() a'), [b0, b1] = dims(b.shape, 2, 'matmul() b');
  const m = transA ? a1 : a0, k = transA ? a0 : a1;
  const kb = transB ? b1 : b0, n = transB ? b0 : b1;
  if (k !== kb) {
    throw new Error(`matmul(): inner dimensions differ: op(a) is ${m}×${k} (a ${fmt(a.shape)}${transA ? ', transposed' : ''}) but op(b) is ${kb}×${n} (b ${fmt(b.shape)}${transB ? ', transposed' : ''})`);
  }
  const out = alloc2(a, m, n);
  getBackend().gemm(transA, transB, m, n, k, a.data, b.data, out.data, 1, 0);
  return record(out, 'matmul', [a, b], (g, needs) => {
    const be = getBackend();
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (needs[0]) {
      ga = alloc2(a, a0, a1);
      // d op(A) = G·op(B)ᵀ (m×k); A itself is op(A) or its transpose
      if (!transA) be.gemm(false, !transB, m, k, n, g.data, b.data, ga.data, 1, 0);
      else be.gemm(transB, true, k, m, n, b.data, g.data, ga.data, 1, 0);
    }
    if (needs[1]) {
      gb = alloc2(b, b0, b1);
      // d op(B) = op(A)ᵀ·G (k×n)
      if (!transB) be.gemm(!transA, false, k, n, m, a.data, g.data, gb.data, 1, 0);
      else be.gemm(true, transA, n, k, m, g.data, a.data, gb.data, 1, 0);
    }
    return [ga, gb];
  });
}

/**
 * x·Wᵀ + b with W [out, in] (PyTorch layout); x is [..., in], the result [..., out].
 * One GEMM with transB and one bias-row add forward; backward:
 * dx = G·W, dW = Gᵀ·x, db = column sums of G.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linear(): weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  const [nOut, nIn] = dims(weight.shape, 2, 'linear() weight');
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== nIn) {
    throw new Error(`linear(): input ${fmt(x.shape)} does not end in in_features = ${nIn} (weight ${fmt(weight.shape)})`);
  }
  if (x.dtype !== weight.dtype) throw new Error(`linear(): dtype mismatch (input ${x.dtype}, weight ${weight.dtype})`);
  if (bias) {
    if (bias.ndim !== 1 || bias.shape[0] !== nOut) throw new Error(`linear(): bias must have shape [${nOut}], got ${fmt(bias.shape)}`);
    if (bias.dtype !== weight.dtype) throw new Error(`linear(): dtype mismatch (bias ${bias.dtype}, weight ${weight.dtype})`);
  }
  const rows = x.size / nIn;
  const outShape = [...x.shape.slice(0, -1), nOut];
  const be = getBackend();
  const out = new Tensor(be.alloc(x.dtype, rows * nOut), outShape);
  be.gemm(false, true, rows, nOut, nIn, x.data, weight.data, out.data, 1, 0);
  if (bias) be.binary('add', [rows, nOut], out.data, [nOut, 1], bias.data, [0, 1], out.data);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, 'linear', inputs, (g, needs) => {
    const b2 = getBackend();
    let gx: Tensor | null = null, gw: Tensor | null = null, gbias: Tensor | null = null;
    if (needs[0]) {
      gx = new Tensor(b2.alloc(x.dtype, x.size), x.shape);
      b2.gemm(false, false, rows, nIn, nOut, g.data, weight.data, gx.data, 1, 0);
    }
    if (needs[1]) {
      gw = new Tensor(b2.alloc(x.dtype, nOut * nIn), weight.shape);
      b2.gemm(true, false, nOut, nIn, rows, g.data, x.data, gw.data, 1, 0);
    }
    if (bias && needs[2]) gbias = sumTo(g.ndim === 2 ? g : new Tensor(g.data, [rows, nOut]), [nOut]);
    return [gx, gw, gbias];
  });
}
