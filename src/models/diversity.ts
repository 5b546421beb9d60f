/**
 * Diversity of generated spin configurations, to show (not assert) mode collapse:
 *  - distinctFraction: distinct patterns / samples;
 *  - meanHamming: mean pairwise Hamming distance / n over random pairs (independent ±1 spins give ½);
 *  - coverage: fraction of the reference's distinct patterns (e.g. held-out test data) that the
 *    generated set contains, and the reference mass they carry;
 *  - entropyBits: plug-in entropy of the generated pattern frequencies (a lower bound-ish estimate).
 * Compare every number with the same measure on real data of the same size.
 */
import type { Rng } from '../random/index.js';
import type { SpinData } from '../ising/types.js';

function rowKey(d: SpinData, r: number): string {
  let k = '';
  for (let i = 0; i < d.n; i++) k += d.s[r * d.n + i]! > 0 ? '1' : '0';
  return k;
}

function counts(d: SpinData): Map<string, number> {
  const c = new Map<string, number>();
  for (let r = 0; r < d.m; r++) {
    const k = rowKey(d, r);
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return c;
}

export interface Diversity {
  samples: number;
  distinct: number;
  distinctFraction: number;
  meanHamming: number;
  entropyBits: number;
  /** Fraction of the reference's distinct patterns present among the generated ones. */
  coverage: number;
  /** Reference probability mass (empirical) on patterns the generator produced. */
  coveredMass: number;
}

export function diversity(gen: SpinData, reference: SpinData, rng: Rng, pairs = 20000): Diversity {
  const c = counts(gen);
  let h = 0;
  for (const v of c.values()) {
    const p = v / gen.m;
    h -= p * Math.log2(p);
  }
  let ham = 0;
  const n = gen.n;
  for (let k = 0; k < pairs; k++) {
    const a = rng.int(gen.m);
    let b = rng.int(gen.m - 1);
    if (b >= a) b++;
    let d = 0;
    for (let i = 0; i < n; i++) if (gen.s[a * n + i] !== gen.s[b * n + i]) d++;
    ham += d / n;
  }
  const ref = counts(reference);
  let covered = 0;
  let mass = 0;
  for (const [k, v] of ref) if (c.has(k)) {
    covered++;
    mass += v / reference.m;
  }
  return {
    samples: gen.m,
    distinct: c.size,
    distinctFraction: c.size / gen.m,
    meanHamming: gen.m > 1 ? ham / pairs : 0,
    entropyBits: h,
    coverage: ref.size ? covered / ref.size : 0,
    coveredMass: mass,
  };
}
