// Tape semantics: deep graphs, accumulation until zeroed, noGrad, errors that say what is wrong.
import { describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { Tensor, tensor, ones } from '../../src/internals.js';
import { rt } from './helpers.js';

describe('backward', () => {
  test('a chain of 20,000 sequential ops does not overflow the stack, and its gradient is exact', () => {
    const x = tensor([0.5, -1.5], { dtype: 'float64' }).requireGrad();
    let y = x;
    const steps = 10_000;
    for (let i = 0; i < steps; i++) y = ag.add(ag.mul(y, 0.9999), 0.001);
    ag.backward(ag.sum(y));
    // y = 0.9999^steps·x + const, so dy/dx = 0.9999^steps
    const want = Math.pow(0.9999, steps);
    for (const g of x.grad!.data) expect(Math.abs(g - want)).toBeLessThan(1e-12);
  });

  test('gradients accumulate across backward calls until zeroed', () => {
    const x = rt([3], 1).requireGrad();
    const f = (): Tensor => ag.sum(ag.mul(x, x)); // d/dx = 2x
    ag.backward(f());
    ag.backward(f());
    for (let i = 0; i < 3; i++) expect(x.grad!.data[i]).toBeCloseTo(4 * x.data[i]!, 14);
    const loss = f();
    ag.backward(loss);
    ag.backward(loss); // the graph is kept, so the same loss can be replayed
    for (let i = 0; i < 3; i++) expect(x.grad!.data[i]).toBeCloseTo(8 * x.data[i]!, 14);
    ag.zeroGrad([x]);
    expect(x.grad).toBeNull();
    ag.backward(f());
    for (let i = 0; i < 3; i++) expect(x.grad!.data[i]).toBeCloseTo(2 * x.data[i]!, 14);
  });

  test('diamond graphs sum both paths; intermediates get no .grad; constants are untouched', () => {
    const x = rt([2, 2], 2).requireGrad();
    const c = rt([2, 2], 3);
    const h = ag.tanh(x);
    const y = ag.sum(ag.add(ag.mul(h, c), ag.mul(h, h)));
    ag.backward(y);
    for (let i = 0; i < 4; i++) {
      const t = Math.tanh(x.data[i]!);
      expect(x.grad!.data[i]).toBeCloseTo((c.data[i]! + 2 * t) * (1 - t * t), 14);
    }
    expect(h.grad).toBeNull();
    expect(c.grad).toBeNull();
  });

  test('leaf gradients never share storage (adopted fresh gradients, copied aliases)', () => {
    const a = rt([2, 3], 7).requireGrad(), b = rt([2, 3], 8).requireGrad(), w = rt([3, 3], 9).requireGrad();
    const seed = rt([2, 3], 10);
    ag.backward(ag.add(ag.add(a, b), ag.matmul(a, w)), seed); // add passes g itself to a and b
    const stores = [a.grad!.data, b.grad!.data, w.grad!.data, seed.data];
    for (let i = 0; i < stores.length; i++) for (let j = i + 1; j < stores.length; j++) expect(stores[i]!.buffer === stores[j]!.buffer && stores[i]!.byteOffset === stores[j]!.byteOffset).toBe(false);
    const before = Array.from(b.grad!.data);
    a.grad!.data.fill(0);
    expect(Array.from(b.grad!.data)).toEqual(before);
    expect(Array.from(b.grad!.data)).toEqual(Array.from(seed.data));
  });

  test('a seed gradient for a non-scalar output', () => {
    const x = rt([3], 4).requireGrad();
    const y = ag.mul(x, 3);
    ag.backward(y, tensor([1, 2, 3], { dtype: 'float64' }));
    expect(Array.from(x.grad!.data)).toEqual([3, 6, 9]);
  });

  test('float32 parameters get float32 gradients', () => {
    const w = ones([2, 3]).requireGrad();
    const x = ones([4, 3]);
    ag.backward(ag.mean(ag.linear(x, w)));
    expect(w.grad!.dtype).toBe('float32');
    for (const g of w.grad!.data) expect(g).toBeCloseTo(4 / 8, 7);
  });
});

describe('noGrad', () => {
  test('records nothing inside, restores recording after (even on throw)', () => {
    const x = rt([3], 5).requireGrad();
    const y = ag.noGrad(() => {
      expect(ag.isGradEnabled()).toBe(false);
      return ag.exp(ag.mul(x, 2));
    });
    expect(y.node).toBeNull();
    expect(ag.needsGrad(y)).toBe(false);
    expect(() => ag.backward(ag.sum(y))).toThrow(/does not depend on any tensor with requiresGrad/);
    expect(() => ag.noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(ag.isGradEnabled()).toBe(true);
    expect(ag.exp(x).node).not.toBeNull();
  });
  test('ops on constants only record nothing', () => {
    expect(ag.add(rt([2], 1), rt([2], 2)).node).toBeNull();
  });
});

describe('clear errors', () => {
  const a = rt([2, 3], 1);
  test.each([
    ['broadcast', () => ag.add(a, rt([4], 2)), /cannot broadcast shapes \[2, 3\] and \[4\]/],
    ['matmul inner', () => ag.matmul(a, rt([2, 3], 2)), /inner dimensions differ: op\(a\) is 2×3.*op\(b\) is 2×3/],
    ['matmul rank', () => ag.matmul(rt([3], 1), a), /expects 2-D/],
    ['linear in_features', () => ag.linear(a, rt([4, 5], 2)), /does not end in in_features = 5/],
    ['linear bias', () => ag.linear(a, rt([4, 3], 2), rt([3], 3)), /bias must have shape \[4\]/],
    ['concat', () => ag.concat([a, rt([3, 3], 2)], 1), /tensor 1 has shape \[3, 3\], incompatible/],
    ['slice', () => ag.slice(a, 1, 2, 5), /range \[2, 5\) invalid for axis 1 of length 3/],
    ['reshape', () => ag.reshape(a, [4, -1]), /cannot reshape \[2, 3\] \(6 elements\) to \[4, -1\]/],
    ['axis', () => ag.sum(a, 2), /axis 2 out of range for a 2-D tensor/],
    ['repeated axis', () => ag.sum(a, [1, -1]), /axis 1 repeated/],
    ['gatherRows', () => ag.gatherRows(a, [0, 2]), /index 2 at position 1 out of range \[0, 2\)/],
    ['mse shapes', () => ag.mseLoss(a, rt([3, 2], 2)), /differ in shape/],
    ['dtype', () => ag.mul(a, ones([2, 3])), /dtype mismatch \(float64 vs float32\)/],
    ['non-scalar backward', () => ag.backward(ag.exp(a.requireGrad())), /loss has shape \[2, 3\]; pass a gradient/],
    ['pow exponent', () => ag.pow(a, NaN), /exponent must be a finite number/],
    ['gradcheck float32', () => ag.gradcheck(ag.exp, [ones([2])]), /input 0 is float32; use float64/],
  ] as const)('%s', (_name, fn, re) => {
    expect(fn).toThrow(re);
  });
});
