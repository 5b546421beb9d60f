/** Unique ±1 patterns with their counts: repeated samples cost once in every inference loop. */
import { at } from '../util/checked.js';
import type { SpinData } from './types.js';

export interface Patterns {
  n: number;
  /** Number of unique patterns. */
  k: number;
  /** k × n, ±1. */
  s: Int8Array;
  /** Multiplicity of each pattern (sums to the number of samples). */
  counts: Float64Array;
  /** Total count (m of the data). */
  total: number;
}

/** Hash the rows of data into unique patterns (first-seen order) with counts. */
export function uniquePatterns(data: SpinData): Patterns {
  const { n, m, s } = data;
  const index = new Map<string, number>();
  const rows: number[] = [];
  const counts: number[] = [];
  const codes = new Array<number>(Math.ceil(n / 15));
  for (let k = 0; k < m; k++) {
    // 15 spins per UTF-16 code unit; the key is a short string.
    const off = k * n;
    for (let c = 0; c < codes.length; c++) {
      let v = 0;
      const end = Math.min(n, (c + 1) * 15);
      for (let i = c * 15; i < end; i++) v = (v << 1) | (s[off + i]! > 0 ? 1 : 0);
      codes[c] = v;
    }
    const key = String.fromCharCode(...codes);
    const seen = index.get(key);
    if (seen === undefined) {
      index.set(key, rows.length);
      rows.push(k);
      counts.push(1);
    } else counts[seen] = at(counts, seen, 'pattern counts') + 1;
  }
  const u = new Int8Array(rows.length * n);
  for (const [r, row] of rows.entries()) u.set(s.subarray(row * n, row * n + n), r * n);
  return { n, k: rows.length, s: u, counts: Float64Array.from(counts), total: m };
}

/** Data moments ⟨s_i⟩ and ⟨s_i s_j⟩ (n×n, diagonal 1) of a data set. */
export function dataMoments(data: SpinData): { mean: Float64Array; corr: Float64Array } {
  const pt = uniquePatterns(data);
  const wts = new Float64Array(pt.k);
  for (let r = 0; r < pt.k; r++) wts[r] = pt.counts[r]! / pt.total;
  return weightedMoments(pt.s, pt.n, wts);
}

/** Σ_r q_r s_r and Σ_r q_r s_r s_rᵀ over rows of s (k×n) with weights q. */
export function weightedMoments(s: Int8Array, n: number, q: ArrayLike<number>): { mean: Float64Array; corr: Float64Array } {
  const mean = new Float64Array(n);
  const corr = new Float64Array(n * n);
  weightedMomentsInto(s, n, q, mean, corr);
  return { mean, corr };
}

/** weightedMoments written into `mean` (n) and `corr` (n×n, diagonal Σ q), which it overwrites. */
export function weightedMomentsInto(s: Int8Array, n: number, q: ArrayLike<number>, mean: Float64Array, corr: Float64Array): void {
  const k = q.length;
  if (s.length < k * n || mean.length !== n || corr.length !== n * n) throw new Error(`weightedMoments: sizes do not match (${k} weights, n=${n})`);
  mean.fill(0);
  corr.fill(0);
  const row = new Float64Array(n);
  for (let r = 0; r < k; r++) {
    const qr = at(q, r, 'weights q');
    if (qr === 0) continue;
    const off = r * n;
    row.set(s.subarray(off, off + n));
    for (let i = 0; i < n; i++) {
      const a = qr * row[i]!;
      mean[i]! += a;
      const ci = i * n;
      for (let j = i + 1; j < n; j++) corr[ci + j]! += a * row[j]!;
    }
  }
  let tot = 0;
  for (let r = 0; r < k; r++) tot += at(q, r, 'weights q');
  for (let i = 0; i < n; i++) {
    corr[i * n + i] = tot;
    for (let j = i + 1; j < n; j++) corr[j * n + i] = corr[i * n + j]!;
  }
}
