// The README's tensors-and-autograd example runs as written; detach blocks gradients.
import { expect, test } from 'vitest';
import { randn, linear, gelu, mseLoss, backward, gradcheck, Rng, mul, detach, sum, tensor } from '../../src/internals.js';

test('README example', () => {
  const rng = new Rng(1);
  const w = randn([3, 4], rng).requireGrad(), b = randn([3], rng).requireGrad();
  const loss = mseLoss(gelu(linear(randn([8, 4], rng), w, b)), randn([8, 3], rng));
  backward(loss);
  expect(w.grad!.shape).toEqual([3, 4]);
  expect(b.grad!.shape).toEqual([3]);
  expect(gradcheck((x) => gelu(x), [randn([5], rng, 'float64')]).ok).toBe(true);
});

test('detach: d/dx [detach(x)·x] = x', () => {
  const x = tensor([1.5, -2], { dtype: 'float64' }).requireGrad();
  backward(sum(mul(detach(x), x)));
  expect(Array.from(x.grad!.data)).toEqual([1.5, -2]);
});
