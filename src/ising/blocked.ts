/**
 * Fast energies and weighted moments over a fixed set of patterns, for loops that revisit the
 * same patterns hundreds of times with changing parameters (the erasure machine).
 *
 * The n spins are cut into blocks of B bits. For every pair of blocks (A, C) a table indexed by
 * the two block codes holds Σ_{i∈A, j∈C} w_ij s_i s_j (plus, for one designated pair per block,
 * that block's fields and inner couplings). A pattern's b·s + Σ_{i<j} w_ij s_i s_j is then a sum
 * of P = nb(nb-1)/2 table lookups instead of n²/2 multiply-adds, and its weighted moments are P
 * scatter-adds into histograms of the same shape, expanded to ⟨s_i⟩, ⟨s_i s_j⟩ once per pass.
 * At n = 40, B = 4 that is 45 lookups instead of 820 products per pattern.
 *
 * Several parameter sets (the erasure machine's ε grid) go through one pass together, up to LANES
 * at a time, with their tables interleaved entry by entry: one pattern index then reaches all of
 * them in one cache line (~2× less CPU per set at n = 60 with 3·10⁵ patterns). Where
 * WebAssembly SIMD kernels have been installed (enableWasmLanes in blocked-wasm.ts: the CLI, the
 * parallel inference's workers (`spindiff/parallel`) and `spindiff/backends` do it; the core never compiles
 * WebAssembly itself) the passes run 4 sets at a time as f64x2 adds (~5× less CPU per set than
 * before), else in the JavaScript loops below. Each set's sums are formed in the same order as
 * alone and in either kernel, so no result depends on the grouping or on the kernel.
 */
import type { IsingParams } from './types.js';
import { at } from '../util/checked.js';
import { weightedMomentsInto } from './patterns.js';

export interface BlockedPatterns {
  n: number;
  k: number;
  /** Bits per block. */
  B: number;
  /** Where the passes run: WebAssembly SIMD, or JavaScript (the same results bit for bit). */
  kernel: 'wasm' | 'js';
  /** Fills u[r] = b·s_r + Σ_{i<j} w_ij s_ri s_rj (= −E) for every pattern r. */
  minusEnergies(p: IsingParams, u: Float64Array): void;
  /** Σ_r q_r s_r and Σ_r q_r s_r s_rᵀ (diagonal Σ q). Writes into mean (n) and corr (n×n). */
  moments(q: Float64Array, mean: Float64Array, corr: Float64Array): void;
  /** minusEnergies for several parameter sets in one pass: us[e] gets the energies of ps[e]. */
  minusEnergiesMany(ps: readonly IsingParams[], us: readonly Float64Array[]): void;
  /** moments for several weight vectors in one pass: means[e], corrs[e] get those of qs[e]. */
  momentsMany(qs: readonly Float64Array[], means: readonly Float64Array[], corrs: readonly Float64Array[]): void;
}

/**
 * The 4-lane passes in another form (WebAssembly): memory views the engine fills, and the two
 * passes over them. Entry j of lane e at 4j + e in TL, HL; pattern r of lane e at 4r + e in U, Q.
 */
export interface LaneKernels {
  /** The pattern index (entry of pattern r, pair q at r·np + q), filled by the engine. */
  idx: Uint16Array | Uint32Array;
  TL: Float64Array;
  HL: Float64Array;
  U: Float64Array;
  Q: Float64Array;
  /** U[4r + e] = Σ_q TL[4·idx[r·np + q] + e], summed over q in order. */
  energies4(): void;
  /** HL[4·idx[r·np + q] + e] += Q[4r + e], over r in order (HL is not cleared). */
  moments4(): void;
}

/** Makes LaneKernels for k patterns, np pairs and tables of `entries` entries per lane, or null. */
export type LaneKernelFactory = (k: number, np: number, entries: number) => LaneKernels | null;

let laneKernels: LaneKernelFactory | null = null;

/** Install (null: remove) the 4-lane kernels that blockPatterns uses by default. */
export function setLaneKernels(f: LaneKernelFactory | null): void {
  laneKernels = f;
}

/** Most parameter sets per pass: 4 interleaved tables of 105·256 entries (n = 60) fit in L2. */
export const LANES = 4;

/**
 * Cut `count` lanes into passes of 4, 2 or 1 (the widths the JavaScript loops are written for),
 * or, with `only4` (the WebAssembly kernels), passes of 4 whose last may leave lanes unused.
 */
function laneChunks(count: number, only4: boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let e = 0; e < count; ) {
    const w = count - e >= 4 || only4 ? Math.min(4, count - e) : count - e >= 2 ? 2 : 1;
    out.push([e, w]);
    e += w;
  }
  return out;
}

function checkLanes(what: string, k: number, a: readonly ArrayLike<number>[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} outputs for ${b.length} inputs`);
  for (const x of a) if (x.length < k) throw new Error(`${what}: array of ${x.length} for ${k} patterns`);
}

const sig = (c: number, i: number): number => (((c >> i) & 1) << 1) - 1;

/**
 * Block size: 4 bits measured fastest for n = 20–40 with 10²–10⁵ patterns (tables of 256
 * entries stay in cache and cost little to rebuild each pass); tiny n uses two blocks.
 */
export function defaultBlockBits(n: number, _k = Infinity): number {
  if (n <= 8) return Math.max(1, Math.ceil(n / 2));
  return 4;
}

export interface BlockOptions {
  /** 'js' keeps the passes in JavaScript; default 'auto': the installed lane kernels if any (setLaneKernels). */
  kernel?: 'auto' | 'js';
}

export function blockPatterns(s: Int8Array, n: number, k: number, B = defaultBlockBits(n, k), opts: BlockOptions = {}): BlockedPatterns {
  if (!(B >= 1 && B <= 8)) throw new Error(`blockPatterns: block size ${B} out of range 1..8`);
  const nbk = Math.ceil(n / B);
  if (nbk < 2) return naivePatterns(s, n, k);
  const size = 1 << B;
  const tsz = size * size;
  const start = (a: number) => a * B;
  const len = (a: number) => Math.min(B, n - a * B);
  const pairs: [number, number][] = [];
  for (let a = 0; a < nbk; a++) for (let c = a + 1; c < nbk; c++) pairs.push([a, c]);
  const np = pairs.length;
  // Designated pair of each block: (a, a+1) as first member; the last block as second of (nbk-2, nbk-1).
  const desigFirst = new Int8Array(np);
  const desigSecond = new Int8Array(np);
  pairs.forEach(([a, c], p) => {
    if (c === a + 1) desigFirst[p] = 1;
    if (a === nbk - 2 && c === nbk - 1) desigSecond[p] = 1;
  });
  // idx[r·np + q]: the entry of pattern r in the whole table (pair q's offset included).
  const wasm = opts.kernel === 'js' || !laneKernels ? null : laneKernels(k, np, np * tsz);
  const idx = wasm ? wasm.idx : np * tsz <= 1 << 16 ? new Uint16Array(k * np) : new Uint32Array(k * np);
  const code = new Int32Array(nbk);
  // The pairs' two blocks as typed columns: read once per pattern and pair, below.
  const pairA = Int32Array.from(pairs, ([a]) => a), pairC = Int32Array.from(pairs, ([, c]) => c);
  for (let r = 0; r < k; r++) {
    const off = r * n;
    for (let a = 0; a < nbk; a++) {
      let c = 0;
      const s0 = start(a);
      for (let i = len(a) - 1; i >= 0; i--) c = (c << 1) | (s[off + s0 + i]! > 0 ? 1 : 0);
      code[a] = c;
    }
    for (let p = 0; p < np; p++) idx[r * np + p] = p * tsz + ((code[pairA[p]!]! << B) | code[pairC[p]!]!);
  }
  // SG[c·B + i] = σ_i(c) = ±1: bit i of block code c.
  const SG = new Float64Array(size * B);
  for (let c = 0; c < size; c++) for (let i = 0; i < B; i++) SG[c * B + i] = sig(c, i);
  const T = new Float64Array(np * tsz);
  const H = new Float64Array(np * tsz);
  // Interleaved tables of a pass: entry j of lane e at j·width + e.
  const TL = wasm ? wasm.TL : new Float64Array(np * tsz * LANES);
  const HL = wasm ? wasm.HL : new Float64Array(np * tsz * LANES);
  const U = new Float64Array(size * B);
  const diag = new Float64Array(size);

  // Fields and inner couplings of block a, as a function of its code.
  const blockDiag = (p: IsingParams, a: number, out: Float64Array) => {
    const s0 = start(a);
    const l = len(a);
    for (let c = 0; c < 1 << l; c++) {
      let v = 0;
      for (let i = 0; i < l; i++) {
        const si = sig(c, i);
        v += p.b[s0 + i]! * si;
        for (let j = i + 1; j < l; j++) v += p.w[(s0 + i) * n + s0 + j]! * si * sig(c, j);
      }
      out[c] = v;
    }
  };

  const build = (p: IsingParams) => {
    for (let q = 0; q < np; q++) {
      const [a, c] = at(pairs, q, 'block pairs');
      const sa = start(a), la = len(a), sc = start(c), lc = len(c);
      // U[ca, j] = Σ_i w_{a_i, c_j} σ_i(ca)
      for (let ca = 0; ca < 1 << la; ca++) {
        for (let j = 0; j < lc; j++) {
          let v = 0;
          for (let i = 0; i < la; i++) v += p.w[(sa + i) * n + sc + j]! * SG[ca * B + i]!;
          U[ca * B + j] = v;
        }
      }
      const base = q * tsz;
      for (let ca = 0; ca < 1 << la; ca++) {
        for (let cc = 0; cc < 1 << lc; cc++) {
          let v = 0;
          for (let j = 0; j < lc; j++) v += U[ca * B + j]! * SG[cc * B + j]!;
          T[base + ((ca << B) | cc)] = v;
        }
      }
      if (desigFirst[q]) {
        blockDiag(p, a, diag);
        for (let ca = 0; ca < 1 << la; ca++) for (let cc = 0; cc < 1 << lc; cc++) T[base + ((ca << B) | cc)]! += diag[ca]!;
      }
      if (desigSecond[q]) {
        blockDiag(p, c, diag);
        for (let ca = 0; ca < 1 << la; ca++) for (let cc = 0; cc < 1 << lc; cc++) T[base + ((ca << B) | cc)]! += diag[cc]!;
      }
    }
  };

  const marginalMoments = (P: Float64Array, a: number, mean: Float64Array, corr: Float64Array) => {
    const s0 = start(a), l = len(a);
    for (let c = 0; c < 1 << l; c++) {
      const q = P[c]!;
      if (q === 0) continue;
      for (let i = 0; i < l; i++) {
        const qi = q * sig(c, i);
        mean[s0 + i]! += qi;
        for (let j = i + 1; j < l; j++) corr[(s0 + i) * n + s0 + j]! += qi * sig(c, j);
      }
    }
  };

  /**
   * diag[x] = Σ_y H[base + ((x << xs) | (y << ys))]: the histogram of a pair marginalised onto one
   * of its blocks (x over lx bits, y over ly; the shifts say which block holds the high bits).
   */
  const marginal = (base: number, lx: number, ly: number, xs: number, ys: number) => {
    diag.fill(0);
    for (let x = 0; x < 1 << lx; x++) {
      let v = 0;
      for (let y = 0; y < 1 << ly; y++) v += H[base + ((x << xs) | (y << ys))]!;
      diag[x] = v;
    }
  };

  return {
    n,
    k,
    B,
    kernel: wasm ? 'wasm' : 'js',
    minusEnergies(p, u) {
      minusEnergiesMany([p], [u]);
    },
    moments(qw, mean, corr) {
      momentsMany([qw], [mean], [corr]);
    },
    minusEnergiesMany,
    momentsMany,
  };

  function minusEnergiesMany(ps: readonly IsingParams[], us: readonly Float64Array[]): void {
    checkLanes('minusEnergies', k, us, ps);
    for (const [e0, w] of laneChunks(ps.length, wasm !== null)) {
      const sw = wasm ? 4 : w; // lanes in the interleaved table (unused ones are ignored)
      for (let e = 0; e < w; e++) {
        build(at(ps, e0 + e, 'parameter sets'));
        for (let j = 0; j < np * tsz; j++) TL[j * sw + e] = T[j]!;
      }
      // Per pattern, each lane's sum runs over the pairs in order, as for one set alone.
      if (wasm) {
        wasm.energies4();
        const U = wasm.U;
        for (let e = 0; e < w; e++) {
          const u = at(us, e0 + e, 'energy outputs');
          for (let r = 0; r < k; r++) u[r] = U[4 * r + e]!;
        }
      } else if (w === 4) {
        const out = (e: number): Float64Array => at(us, e0 + e, 'energy outputs');
        const u0 = out(0), u1 = out(1), u2 = out(2), u3 = out(3);
        for (let r = 0; r < k; r++) {
          let v0 = 0, v1 = 0, v2 = 0, v3 = 0;
          for (let o = r * np, end = o + np; o < end; o++) {
            const j = idx[o]! << 2;
            v0 += TL[j]!;
            v1 += TL[j + 1]!;
            v2 += TL[j + 2]!;
            v3 += TL[j + 3]!;
          }
          u0[r] = v0;
          u1[r] = v1;
          u2[r] = v2;
          u3[r] = v3;
        }
      } else if (w === 2) {
        const u0 = at(us, e0, 'energy outputs'), u1 = at(us, e0 + 1, 'energy outputs');
        for (let r = 0; r < k; r++) {
          let v0 = 0, v1 = 0;
          for (let o = r * np, end = o + np; o < end; o++) {
            const j = idx[o]! << 1;
            v0 += TL[j]!;
            v1 += TL[j + 1]!;
          }
          u0[r] = v0;
          u1[r] = v1;
        }
      } else {
        const u0 = at(us, e0, 'energy outputs');
        for (let r = 0; r < k; r++) {
          let v0 = 0;
          for (let o = r * np, end = o + np; o < end; o++) v0 += TL[idx[o]!]!;
          u0[r] = v0;
        }
      }
    }
  }

  function momentsMany(qs: readonly Float64Array[], means: readonly Float64Array[], corrs: readonly Float64Array[]): void {
    checkLanes('moments', k, qs, means);
    checkLanes('moments', 0, qs, corrs);
    for (const [e0, w] of laneChunks(qs.length, wasm !== null)) {
      const sw = wasm ? 4 : w;
      HL.fill(0, 0, np * tsz * sw);
      // Every histogram cell of a lane receives its weights in pattern order, as for one set alone.
      if (wasm) {
        const Q = wasm.Q;
        for (let e = 0; e < w; e++) {
          const q = at(qs, e0 + e, 'weights');
          for (let r = 0; r < k; r++) Q[4 * r + e] = q[r]!;
        }
        wasm.moments4();
      } else if (w === 4) {
        const wt = (e: number): Float64Array => at(qs, e0 + e, 'weights');
        const q0 = wt(0), q1 = wt(1), q2 = wt(2), q3 = wt(3);
        for (let r = 0; r < k; r++) {
          const x0 = q0[r]!, x1 = q1[r]!, x2 = q2[r]!, x3 = q3[r]!;
          for (let o = r * np, end = o + np; o < end; o++) {
            const j = idx[o]! << 2;
            HL[j]! += x0;
            HL[j + 1]! += x1;
            HL[j + 2]! += x2;
            HL[j + 3]! += x3;
          }
        }
      } else if (w === 2) {
        const q0 = at(qs, e0, 'weights'), q1 = at(qs, e0 + 1, 'weights');
        for (let r = 0; r < k; r++) {
          const x0 = q0[r]!, x1 = q1[r]!;
          for (let o = r * np, end = o + np; o < end; o++) {
            const j = idx[o]! << 1;
            HL[j]! += x0;
            HL[j + 1]! += x1;
          }
        }
      } else {
        const q0 = at(qs, e0, 'weights');
        for (let r = 0; r < k; r++) {
          const x0 = q0[r]!;
          for (let o = r * np, end = o + np; o < end; o++) HL[idx[o]!]! += x0;
        }
      }
      for (let e = 0; e < w; e++) {
        for (let j = 0; j < np * tsz; j++) H[j] = HL[j * sw + e]!;
        const qw = at(qs, e0 + e, 'weights');
        let tot = 0;
        for (let r = 0; r < k; r++) tot += qw[r]!;
        expandMoments(tot, at(means, e0 + e, 'mean outputs'), at(corrs, e0 + e, 'correlation outputs'));
      }
    }
  }

  /** ⟨s_i⟩, ⟨s_i s_j⟩ from the pair histograms in H; tot = Σ q (the diagonal). */
  function expandMoments(tot: number, mean: Float64Array, corr: Float64Array): void {
    mean.fill(0);
    corr.fill(0);
    const R = U;
    for (let q = 0; q < np; q++) {
      const [a, c] = at(pairs, q, 'block pairs');
      const sa = start(a), la = len(a), sc = start(c), lc = len(c);
      const base = q * tsz;
      // R[ca, j] = Σ_cc H[ca, cc] σ_j(cc); corr[a_i, c_j] = Σ_ca σ_i(ca) R[ca, j]
      for (let ca = 0; ca < 1 << la; ca++) {
        for (let j = 0; j < lc; j++) {
          let v = 0;
          for (let cc = 0; cc < 1 << lc; cc++) v += H[base + ((ca << B) | cc)]! * SG[cc * B + j]!;
          R[ca * B + j] = v;
        }
      }
      for (let i = 0; i < la; i++) {
        for (let j = 0; j < lc; j++) {
          let v = 0;
          for (let ca = 0; ca < 1 << la; ca++) v += SG[ca * B + i]! * R[ca * B + j]!;
          corr[(sa + i) * n + sc + j] = v;
        }
      }
      if (desigFirst[q]) {
        marginal(base, la, lc, B, 0);
        marginalMoments(diag, a, mean, corr);
      }
      if (desigSecond[q]) {
        marginal(base, lc, la, 0, B);
        marginalMoments(diag, c, mean, corr);
      }
    }
    for (let i = 0; i < n; i++) {
      corr[i * n + i] = tot;
      for (let j = i + 1; j < n; j++) corr[j * n + i] = corr[i * n + j]!;
    }
  }
}

/** The plain O(n²) version, for tiny n and as the reference in tests. */
export function naivePatterns(s: Int8Array, n: number, k: number): BlockedPatterns {
  const eng: BlockedPatterns = {
    n,
    k,
    B: 0,
    kernel: 'js',
    minusEnergiesMany(ps, us) {
      checkLanes('minusEnergies', k, us, ps);
      ps.forEach((p, e) => eng.minusEnergies(p, at(us, e, 'energy outputs')));
    },
    momentsMany(qs, means, corrs) {
      checkLanes('moments', k, qs, means);
      checkLanes('moments', 0, qs, corrs);
      qs.forEach((q, e) => eng.moments(q, at(means, e, 'mean outputs'), at(corrs, e, 'correlation outputs')));
    },
    minusEnergies(p, u) {
      for (let r = 0; r < k; r++) {
        const off = r * n;
        let v = 0;
        for (let i = 0; i < n; i++) {
          let h = p.b[i]!;
          for (let j = i + 1; j < n; j++) h += p.w[i * n + j]! * s[off + j]!;
          v += h * s[off + i]!;
        }
        u[r] = v;
      }
    },
    moments(q, mean, corr) {
      if (q.length !== k) throw new Error(`naivePatterns.moments: ${q.length} weights for ${k} patterns`);
      weightedMomentsInto(s, n, q, mean, corr);
    },
  };
  return eng;
}
