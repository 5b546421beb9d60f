/** Test oracles: brute-force sums over all states, written independently of src/ising. */
import type { IsingParams } from '../../src/ising/index.js';

export function bruteForce(p: IsingParams) {
  const { n, b, w } = p;
  const size = 1 << n;
  const logw = new Float64Array(size);
  const s = new Int8Array(n);
  for (let x = 0; x < size; x++) {
    for (let i = 0; i < n; i++) s[i] = (x >> i) & 1 ? 1 : -1;
    let e = 0;
    for (let i = 0; i < n; i++) {
      e -= b[i]! * s[i]!;
      for (let j = i + 1; j < n; j++) e -= w[i * n + j]! * s[i]! * s[j]!;
    }
    logw[x] = -e;
  }
  let mx = -Infinity;
  for (const v of logw) mx = Math.max(mx, v);
  let z = 0;
  for (const v of logw) z += Math.exp(v - mx);
  const logZ = mx + Math.log(z);
  const prob = new Float64Array(size);
  const mean = new Float64Array(n);
  const corr = new Float64Array(n * n);
  let em = 0;
  let e2 = 0;
  let ent = 0;
  for (let x = 0; x < size; x++) {
    const q = Math.exp(logw[x]! - logZ);
    prob[x] = q;
    for (let i = 0; i < n; i++) s[i] = (x >> i) & 1 ? 1 : -1;
    for (let i = 0; i < n; i++) {
      mean[i]! += q * s[i]!;
      for (let j = 0; j < n; j++) corr[i * n + j]! += q * s[i]! * s[j]!;
    }
    em += q * -logw[x]!;
    e2 += q * logw[x]! * logw[x]!;
    if (q > 0) ent -= q * Math.log(q);
  }
  return { logZ, prob, mean, corr, energyMean: em, energyVar: e2 - em * em, entropy: ent };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
