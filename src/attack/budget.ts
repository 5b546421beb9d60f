/**
 * Attack budgets and the projections / roundings onto them. A perturbation is a flip mask F ∈
 * {0,1}^{M×n}: D′ = D ⊙ (1 − 2F) (F_mi = 1 flips spin i of sample m). Two adversarial budgets:
 *  - perRow k: at most k flips in every sample (ℓ0 per row);
 *  - fraction ρ: at most ⌊ρM⌋ samples changed, each arbitrarily (Huber contamination).
 * The relaxed mask S ∈ [0,1]^{M×n} lives in the convex hull (per row) or, for ρ, in the union of
 * boxes over row subsets (its Euclidean projection keeps the rows that lose least by the rest).
 */
import type { Rng } from '../random/index.js';
import type { SpinData } from '../ising/types.js';

export type Budget = { kind: 'perRow'; k: number } | { kind: 'fraction'; rho: number };

export function checkBudget(b: Budget, n: number): void {
  if (b.kind === 'perRow') {
    if (!(Number.isInteger(b.k) && b.k >= 0 && b.k <= n)) throw new Error(`budget: k must be an integer in 0..${n}, got ${b.k}`);
  } else if (!(b.rho >= 0 && b.rho <= 1)) throw new Error(`budget: the fraction ρ must be in [0, 1], got ${b.rho}`);
}

/** Rows an ρ-budget may change. */
export function rowsAllowed(rho: number, m: number): number {
  return Math.floor(rho * m + 1e-9);
}

export function budgetLabel(b: Budget): string {
  return b.kind === 'perRow' ? `k=${b.k}` : `rho=${b.rho}`;
}

/** D ⊙ (1 − 2F). */
export function applyFlips(d: SpinData, F: Uint8Array): SpinData {
  const s = new Int8Array(d.s.length);
  for (let i = 0; i < s.length; i++) s[i] = F[i] ? -d.s[i]! : d.s[i]!;
  return { n: d.n, m: d.m, s };
}

/** The flip mask that turns a into b. */
export function flipMask(a: SpinData, b: SpinData): Uint8Array {
  const F = new Uint8Array(a.s.length);
  for (let i = 0; i < F.length; i++) F[i] = a.s[i] !== b.s[i] ? 1 : 0;
  return F;
}

/** Whether F respects the budget. */
export function feasible(F: Uint8Array, m: number, n: number, b: Budget): boolean {
  let rows = 0;
  for (let r = 0; r < m; r++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += F[r * n + i]!;
    if (b.kind === 'perRow' && c > b.k) return false;
    if (c > 0) rows++;
  }
  return b.kind === 'perRow' || rows <= rowsAllowed(b.rho, m);
}

/** Flips (total) and changed rows of a mask. */
export function maskStats(F: Uint8Array, m: number, n: number): { flips: number; rows: number } {
  let flips = 0, rows = 0;
  for (let r = 0; r < m; r++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += F[r * n + i]!;
    flips += c;
    if (c > 0) rows++;
  }
  return { flips, rows };
}

const clip01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Euclidean projection of one row onto {s ∈ [0,1]^n : Σ s ≤ k}: clip; if the sum still exceeds k,
 * s = clip(s − μ) with μ > 0 found by bisection so that Σ clip(s − μ, 0, 1) = k.
 */
export function projectRow(s: Float64Array, off: number, n: number, k: number): void {
  let sum = 0, hi = 0;
  for (let i = 0; i < n; i++) {
    const v = s[off + i]!;
    sum += clip01(v);
    if (v > hi) hi = v;
  }
  if (sum <= k) {
    for (let i = 0; i < n; i++) s[off + i] = clip01(s[off + i]!);
    return;
  }
  let lo = 0; // Σ clip(s − lo) > k ≥ Σ clip(s − hi) = 0
  for (let it = 0; it < 60; it++) {
    const mu = (lo + hi) / 2;
    let t = 0;
    for (let i = 0; i < n; i++) t += clip01(s[off + i]! - mu);
    if (t > k) lo = mu; else hi = mu;
  }
  for (let i = 0; i < n; i++) s[off + i] = clip01(s[off + i]! - hi);
}

/** Project S (M×n, in place) onto the relaxed budget. */
export function projectMask(S: Float64Array, m: number, n: number, b: Budget): void {
  if (b.kind === 'perRow') {
    for (let r = 0; r < m; r++) projectRow(S, r * n, n, b.k);
    return;
  }
  // keep (clipped) the R rows where zeroing costs most relative to clipping, i.e. with the largest
  // ‖S_m‖² − ‖S_m − clip(S_m)‖²; every other row becomes 0 (the exact Euclidean projection)
  const R = rowsAllowed(b.rho, m);
  const gain = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let g = 0;
    for (let i = 0; i < n; i++) {
      const v = S[r * n + i]!, c = clip01(v);
      g += v * v - (v - c) * (v - c);
      S[r * n + i] = c;
    }
    gain[r] = g;
  }
  if (R >= m) return;
  const order = Array.from({ length: m }, (_, r) => r).sort((a, c) => gain[c]! - gain[a]! || a - c);
  for (const [q, r] of order.entries()) if (q >= R) S.fill(0, r * n, r * n + n);
}

/** Indices of the (up to) `k` largest values of row r among those above `floor` (ties: lower index). */
function topInRow(v: Float64Array, off: number, n: number, k: number, floor: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (v[off + i]! > floor) idx.push(i);
  idx.sort((a, c) => v[off + c]! - v[off + a]! || a - c);
  return idx.slice(0, k);
}

/**
 * Deterministic rounding: per row the k largest entries of S that are ≥ 1/2 (perRow), or, for ρ,
 * the entries ≥ 1/2 of the rows kept by the projection.
 */
export function roundDeterministic(S: Float64Array, m: number, n: number, b: Budget): Uint8Array {
  const F = new Uint8Array(m * n);
  const k = b.kind === 'perRow' ? b.k : n;
  for (let r = 0; r < m; r++) for (const i of topInRow(S, r * n, n, k, 0.5 - 1e-12)) F[r * n + i] = 1;
  return F;
}

/**
 * Randomised rounding: F_mi ~ Bernoulli(S_mi) independently; a row over its k keeps its k drawn
 * entries with the largest S (so every draw is feasible; zero rows of a projected ρ-mask stay zero).
 */
export function roundRandom(S: Float64Array, m: number, n: number, b: Budget, rng: Rng): Uint8Array {
  const F = new Uint8Array(m * n);
  const u = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    const off = r * n;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const hit = rng.uniform() < S[off + i]!;
      u[i] = hit ? S[off + i]! : -1;
      if (hit) c++;
    }
    const k = b.kind === 'perRow' ? Math.min(b.k, c) : c;
    for (const i of topInRow(u, 0, n, k, -0.5)) F[off + i] = 1;
  }
  return F;
}

/** Random-k: exactly k distinct spins of every row, uniformly. */
export function randomPerRowMask(m: number, n: number, k: number, rng: Rng): Uint8Array {
  const F = new Uint8Array(m * n);
  for (let r = 0; r < m; r++) {
    const perm = rng.permutation(n);
    for (let q = 0; q < k; q++) F[r * n + perm[q]!] = 1;
  }
  return F;
}

/** Random contamination: ⌊ρM⌋ rows, chosen uniformly, replaced by uniform random spins. */
export function randomContaminationMask(m: number, n: number, rho: number, rng: Rng): Uint8Array {
  const F = new Uint8Array(m * n);
  const perm = rng.permutation(m);
  const R = rowsAllowed(rho, m);
  for (let q = 0; q < R; q++) for (let i = 0; i < n; i++) F[perm[q]! * n + i] = rng.uniform() < 0.5 ? 1 : 0;
  return F;
}

/**
 * The non-adversarial reference (c): every spin flipped independently with probability p. Then
 * E⟨s_i⟩′ = (1 − 2p)⟨s_i⟩ and E⟨s_i s_j⟩′ = (1 − 2p)²⟨s_i s_j⟩ for i ≠ j.
 */
export function randomFlips(d: SpinData, p: number, rng: Rng): SpinData {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomFlips: p must be in [0, 1], got ${p}`);
  const s = new Int8Array(d.s.length);
  for (let i = 0; i < s.length; i++) s[i] = rng.uniform() < p ? -d.s[i]! : d.s[i]!;
  return { n: d.n, m: d.m, s };
}
