/**
 * Test oracles for generative models on small n, computed here by brute force (independent of
 * src/ising): SK parameters, the exact Boltzmann distribution over all 2ⁿ patterns, exact
 * sampling, empirical pattern frequencies and the total-variation distance.
 * Pattern index x: bit i set ↔ spin i = +1.
 */
import { Rng } from '../../src/random/index.js';
import type { SpinData } from '../../src/ising/types.js';

export function skExact(n: number, g: number, seed: number): Float64Array {
  const r = new Rng(seed);
  const sd = g / Math.sqrt(n);
  const b = Array.from({ length: n }, () => r.normal(0, sd));
  const w: number[][] = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) w[i]![j] = w[j]![i] = r.normal(0, sd);
  const K = 1 << n;
  const p = new Float64Array(K);
  let z = 0;
  for (let x = 0; x < K; x++) {
    const s = Array.from({ length: n }, (_, i) => ((x >> i) & 1 ? 1 : -1));
    let e = 0;
    for (let i = 0; i < n; i++) {
      e -= b[i]! * s[i]!;
      for (let j = i + 1; j < n; j++) e -= w[i]![j]! * s[i]! * s[j]!;
    }
    z += p[x] = Math.exp(-e);
  }
  for (let x = 0; x < K; x++) p[x]! /= z;
  return p;
}

export function sampleFrom(p: Float64Array, n: number, m: number, r: Rng): SpinData {
  const s = new Int8Array(m * n);
  const cdf = new Float64Array(p.length);
  let acc = 0;
  for (let x = 0; x < p.length; x++) cdf[x] = acc += p[x]!;
  for (let mu = 0; mu < m; mu++) {
    const u = r.uniform() * acc;
    let lo = 0;
    let hi = p.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    for (let i = 0; i < n; i++) s[mu * n + i] = (lo >> i) & 1 ? 1 : -1;
  }
  return { n, m, s };
}

export function empirical(d: SpinData): Float64Array {
  const f = new Float64Array(1 << d.n);
  for (let mu = 0; mu < d.m; mu++) {
    let x = 0;
    for (let i = 0; i < d.n; i++) if (d.s[mu * d.n + i]! > 0) x |= 1 << i;
    f[x]! += 1 / d.m;
  }
  return f;
}

export function tv(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let t = 0;
  for (let x = 0; x < p.length; x++) t += Math.abs(p[x]! - q[x]!);
  return t / 2;
}

/** Expected TV between an empirical distribution of m draws and the truth, ≈ ½ Σ √(2p(1-p)/(πm)). */
export function expectedEmpiricalTV(p: Float64Array, m: number): number {
  let t = 0;
  for (const px of p) t += Math.sqrt((2 * px * (1 - px)) / (Math.PI * m));
  return t / 2;
}

/** The product of the single-spin marginals of p: the best independent-spin model. */
export function independentOf(p: Float64Array, n: number): Float64Array {
  const up = new Float64Array(n);
  for (let x = 0; x < p.length; x++) for (let i = 0; i < n; i++) if ((x >> i) & 1) up[i]! += p[x]!;
  const q = new Float64Array(p.length);
  for (let x = 0; x < p.length; x++) {
    let v = 1;
    for (let i = 0; i < n; i++) v *= (x >> i) & 1 ? up[i]! : 1 - up[i]!;
    q[x] = v;
  }
  return q;
}
