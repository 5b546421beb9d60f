// Surrogate gradients w.r.t. the relaxed flip mask: float64 central differences (gradcheck);
// the inverse op against its own identity; the relaxed moments at S ≡ p against (1 − 2p)².
import { expect, test } from 'vitest';
import { Rng, zeros } from '../../src/index.js';
import { gradcheck, inverse, matmul, sum, mul } from '../../src/autograd/index.js';
import { skParams, sampleExact, inferPLE } from '../../src/ising/index.js';
import {
  dataTensor, nmfSurrogate, tapSurrogate, pleSurrogate, relaxedData, relaxedMoments, SurrogateObjective,
} from '../../src/attack/index.js';

function tinyData(seed: number, n = 4, m = 24) {
  const rng = new Rng(seed);
  const p = skParams(n, 1, rng.fold('sk'));
  for (let i = 0; i < n; i++) p.b[i] = p.b[i]! + 0.3; // nonzero means, so TAP differs from nMF
  return sampleExact(p, m, rng.fold('data'));
}

function maskLike(m: number, n: number, seed: number, hi = 0.4) {
  const rng = new Rng(seed);
  const S = zeros([m, n], 'float64');
  for (let i = 0; i < S.size; i++) S.data[i] = hi * rng.uniform();
  return S;
}

test('inverse: A·A⁻¹ = I and its gradient passes gradcheck', () => {
  const rng = new Rng(3);
  const A = zeros([4, 4], 'float64');
  for (let i = 0; i < 16; i++) A.data[i] = rng.normal() + (i % 5 === 0 ? 3 : 0);
  const I = matmul(A, inverse(A));
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(I.data[i * 4 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  expect(gradcheck((a) => inverse(a), [A], { rtol: 1e-5, atol: 1e-7 }).ok).toBe(true);
});

test.each(['nmf', 'tap', 'ple'] as const)('%s surrogate: couplings (and fields) pass float64 gradcheck w.r.t. S', (name) => {
  const d = tinyData(7);
  const x = dataTensor(d);
  const S = maskLike(d.m, d.n, 11);
  const start = inferPLE(d, { lambda: 0.01 }).params;
  const fJ = (s: typeof S) => (name === 'nmf' ? nmfSurrogate(x, s) : name === 'tap' ? tapSurrogate(x, s) : pleSurrogate(x, s, start, 3, 0.5)).J;
  const r = gradcheck(fJ, [S], { rtol: 1e-5, atol: 1e-7 });
  expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  if (name === 'ple') {
    const rh = gradcheck((s) => pleSurrogate(x, s, start, 3, 0.5).h!, [S], { rtol: 1e-5, atol: 1e-7 });
    expect(rh.ok, JSON.stringify(rh.worst)).toBe(true);
  }
});

test('the attack losses (change, oracle, target) pass gradcheck through SurrogateObjective', () => {
  const d = tinyData(9);
  const clean = inferPLE(d, { lambda: 0.01 }).params;
  const truth = skParams(d.n, 1, new Rng(1));
  for (const loss of [{ kind: 'change' as const }, { kind: 'oracle' as const, truth }, { kind: 'target' as const, i: 0, j: 2 }]) {
    for (const sur of ['nmf', 'ple'] as const) {
      const obj = new SurrogateObjective(d, sur, loss, clean, 3, 0.5);
      const S = maskLike(d.m, d.n, 5);
      // SurrogateObjective.grad against central differences of its own value
      const { grad } = obj.grad(S.data as Float64Array);
      const eps = 1e-6;
      for (const q of [0, 7, 30, 61, 95]) {
        const Sp = Float64Array.from(S.data), Sm = Float64Array.from(S.data);
        Sp[q]! += eps; Sm[q]! -= eps;
        const num = (obj.grad(Sp).value - obj.grad(Sm).value) / (2 * eps);
        expect(Math.abs(num - grad[q]!)).toBeLessThan(1e-6 + 1e-5 * Math.abs(num));
      }
    }
  }
});

test('relaxed moments at S ≡ p: every connected-free correlation shrinks by exactly (1 − 2p)², means by (1 − 2p)', () => {
  const d = tinyData(2, 5, 40);
  const x = dataTensor(d);
  const p = 0.15;
  const S = zeros([d.m, d.n], 'float64');
  S.data.fill(p);
  const xr = relaxedData(x, S);
  const { m } = relaxedMoments(xr);
  const raw = mul(matmul(xr, xr, true, false), 1 / d.m);
  const clean = mul(matmul(x, x, true, false), 1 / d.m);
  const n = d.n;
  for (let i = 0; i < n; i++) {
    let mi = 0;
    for (let r = 0; r < d.m; r++) mi += d.s[r * n + i]!;
    expect(m.data[i]).toBeCloseTo((1 - 2 * p) * mi / d.m, 12);
    for (let j = 0; j < n; j++) if (i !== j) expect(raw.data[i * n + j]).toBeCloseTo((1 - 2 * p) ** 2 * clean.data[i * n + j]!, 12);
  }
  expect(sum(S).data[0]).toBeCloseTo(p * d.m * d.n, 9);
});
