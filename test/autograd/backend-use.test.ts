// Autograd reaches memory and arithmetic only through the current Backend: a recording backend
// (the JS spec plus counters) sees every allocation, and the fused linear is one GEMM forward and
// two GEMMs (plus one column sum) backward.
import { expect, test } from 'vitest';
import { jsBackend, withBackend, randn, Rng, Tensor } from '../../src/internals.js';
import type { Backend, Storage } from '../../src/internals.js';
import * as ag from '../../src/autograd/index.js';

function recordingBackend() {
  const allocated = new WeakSet<Storage>();
  const gemms: string[] = [];
  const sums: string[] = [];
  const be: Backend = {
    ...jsBackend,
    name: 'recording',
    alloc(dtype, size) { const s = jsBackend.alloc(dtype, size); allocated.add(s); return s; },
    gemm(ta, tb, m, n, k, a, b, c, alpha, beta) { gemms.push(`${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k}`); jsBackend.gemm(ta, tb, m, n, k, a, b, c, alpha, beta); },
    sumTo(shape, x, outStrides, out) { sums.push(`[${shape}]->[${outStrides}]`); jsBackend.sumTo(shape, x, outStrides, out); },
  };
  return { be, allocated, gemms, sums };
}

test('linear: one GEMM (transB) forward; dx, dW by two GEMMs and db by one column sum backward', () => {
  const rng = new Rng(1);
  const { be, gemms, sums } = recordingBackend();
  withBackend(be, () => {
    const x = randn([128, 20], rng).requireGrad(), w = randn([64, 20], rng).requireGrad(), b = randn([64], rng).requireGrad();
    const y = ag.linear(x, w, b);
    expect(gemms).toEqual(['NT 128x64x20']);
    ag.backward(y, randn([128, 64], rng));
    expect(gemms).toEqual(['NT 128x64x20', 'NN 128x20x64', 'TN 64x20x128']);
    expect(sums).toEqual(['[128,64]->[0,1]']);
  });
});

test('every tensor an MLP step creates (activations, gradients) is backend storage', () => {
  const rng = new Rng(2);
  const { be, allocated } = recordingBackend();
  withBackend(be, () => {
    const params = [randn([16, 8], rng), randn([16], rng), randn([4, 16], rng), randn([4], rng)].map((p) => p.requireGrad());
    const x = randn([10, 8], rng), target = randn([10, 4], rng);
    const h = ag.gelu(ag.linear(x, params[0]!, params[1]!));
    const y = ag.linear(ag.concat([ag.slice(h, 1, 0, 8), ag.slice(h, 1, 8, 16)], 1), params[2]!, params[3]!);
    const loss = ag.mseLoss(ag.add(y, ag.mean(y, 0, true)), target);
    ag.backward(loss);
    const made: Tensor[] = [h, y, loss, ...params.map((p) => p.grad!)];
    for (const t of made) expect(allocated.has(t.data)).toBe(true);
  });
});
