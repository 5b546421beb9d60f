/**
 * Exact enumeration over all 2^n states, streamed: the spins are split into a low block A
 * (inner loop) and a high block B (outer loop), both walked in Gray-code order so each step
 * updates the energy in O(1) (inner) or O(n) (outer). Nothing of size 2^n × n is stored.
 * Float64 throughout; probabilities are exp(-(E - E_min)) so nothing overflows (log-sum-exp).
 * Where enableWasmLanes installed it, the inner walk runs in WebAssembly (enumerate-wasm.ts: the
 * same operations and Math.exp's bits, so the same numbers, 2–3× less CPU); else the loops here.
 */
import { throwIfAborted } from '../util/abort.js';
import { AbortError } from '../util/errors.js';
import type { Rng } from '../random/index.js';
import type { IsingParams, LoopHooks, SpinData } from './types.js';
import { ctz, grayEnergies } from './gray.js';

export interface Enumeration {
  n: number;
  logZ: number;
  /** ⟨s_i⟩. */
  mean: Float64Array;
  /** ⟨s_i s_j⟩, n×n, diagonal 1. */
  corr: Float64Array;
  /** Gibbs entropy −Σ p log p (nats). */
  entropy: number;
  energyMean: number;
  energyVar: number;
  /** Lowest energy over all states. */
  energyMin: number;
}

/** Largest n enumerate() accepts (2^30 states take minutes). */
export const MAX_ENUM_N = 30;

/**
 * The inner walk over block A in another form (WebAssembly: enumerate-wasm.ts), for one outer
 * state at a time: views of its memory that enumerate fills (gx, flip, E0G once; hs per outer
 * state) and reads (pG, hist), and the two passes' inner loops with the JavaScript loops'
 * operations in their order and Math.exp's bits (so the same numbers).
 */
export interface EnumerateWalk {
  /** 2^na entries each. */
  gx: Uint32Array;
  flip: Uint8Array;
  E0G: Float64Array;
  /** 2·na entries. */
  hs: Float64Array;
  /** 2^na entries. */
  pG: Float64Array;
  /** 64 entries. */
  hist: Float64Array;
  /** sE, sE2 after sums(). */
  out: Float64Array;
  /** Pass 0: the least of emin and E0G[t] + eB − F over the walk (F updated through hs, flip). */
  min(F: number, eB: number, emin: number): number;
  /** Pass 1: adds every step's q = exp(−de) to pG, hist and sE, sE2 (left in out); returns zB. */
  sums(F: number, eB: number, shift: number, sE: number, sE2: number): number;
  /** Done with it (its memory may serve the next enumeration). */
  release(): void;
}

/** An EnumerateWalk for a block A of na spins, or null (then the JavaScript loops run). */
export type EnumerateWalkFactory = (na: number) => EnumerateWalk | null;

let enumerateWalk: EnumerateWalkFactory | null = null;

/** Install (null: remove) the inner walk enumerate uses (enableWasmLanes does it). */
export function setEnumerateWalk(f: EnumerateWalkFactory | null): void {
  enumerateWalk = f;
}

/**
 * Exact log Z, moments, entropy and energy statistics by enumeration.
 * Cost ~ 2^n × (n/2) simple operations; n = 20 takes well under a second, n = 24 seconds.
 */
export function enumerate(p: IsingParams, hooks: LoopHooks = {}): Enumeration {
  if (p.n > MAX_ENUM_N) throw new Error(`enumerate: n=${p.n} is too large for exact enumeration (max ${MAX_ENUM_N})`);
  const walk = enumerateWalk?.(p.n - Math.floor(p.n / 2)) ?? null;
  try {
    return walkStates(p, hooks, walk);
  } finally {
    walk?.release();
  }
}

/** enumerate's two passes, their inner walks in `walk` where given, else in the loops below. */
function walkStates(p: IsingParams, hooks: LoopHooks, walk: EnumerateWalk | null): Enumeration {
  const { n, b, w } = p;
  const nb = Math.floor(n / 2);
  const na = n - nb;
  const sizeA = 1 << na;
  const sizeB = 2 ** nb;
  // E0A[xA]: energy of block A alone (its fields and couplings), spins i = 0..na-1 as bits of xA.
  const WA = new Float64Array(na * na);
  for (let i = 0; i < na; i++) WA.set(w.subarray(i * n, i * n + na), i * na);
  const E0A = grayEnergies(na, b.subarray(0, na), WA);
  // The inner walk is the same for every outer state: tabulate it once. Step t visits state
  // gx[t] (Gray code) after flipping spin i to s (flip[t] = 2i + (s > 0)); E0G[t] = E0A[gx[t]].
  // Each sum below takes the same terms in the same order as the plain walk (the same numbers).
  const nNib = Math.ceil(na / 4);
  if (walk && !(walk.gx.length === sizeA && walk.flip.length === sizeA && walk.E0G.length === sizeA && walk.pG.length === sizeA
    && walk.hs.length === 2 * na && walk.hist.length === 64 && walk.out.length >= 2)) throw new Error(`enumerate: an inner walk not made for ${na} spins`);
  const gx = walk ? walk.gx : new Uint32Array(sizeA);
  const flip = walk ? walk.flip : new Uint8Array(sizeA);
  const E0G = walk ? walk.E0G : new Float64Array(sizeA);
  const L = Math.min(16, sizeA);
  for (let t = 0, x = 0; t < sizeA; t++) {
    if (t > 0) {
      const i = ctz(t);
      x ^= 1 << i;
      flip[t] = (i << 1) | ((x >> i) & 1);
    }
    gx[t] = x;
    E0G[t] = E0A[x]!;
  }
  const run = (pass: 0 | 1, shift: number) => {
    // Outer state over B.
    const sB = new Int8Array(nb).fill(-1);
    const hA = new Float64Array(na); // fields on A from B: Σ_{j∈B} w_ij s_j
    const hB = new Float64Array(nb); // fields inside B: b_j + Σ_{k∈B} w_jk s_k
    for (let i = 0; i < na; i++) {
      let v = 0; // only the coupling to B: b_A is already in E0A
      for (let j = 0; j < nb; j++) v -= w[i * n + na + j]!;
      hA[i] = v;
    }
    let eB = 0;
    for (let j = 0; j < nb; j++) {
      let v = b[na + j]!;
      for (let k = 0; k < nb; k++) v += w[(na + j) * n + na + k]! * sB[k]!;
      hB[j] = v;
      eB -= b[na + j]! * sB[j]!;
      for (let k = j + 1; k < nb; k++) eB -= w[(na + j) * n + na + k]! * sB[j]! * sB[k]!;
    }
    let emin = Infinity;
    const pG = walk ? walk.pG.fill(0) : new Float64Array(sizeA); // Σ over outer states of q, by inner step t
    const vA = new Float64Array(na);
    const meanB = new Float64Array(nb);
    const corrBB = new Float64Array(nb * nb);
    const corrAB = new Float64Array(na * nb);
    let Zs = 0;
    let sE = 0;
    let sE2 = 0;
    const hist = walk ? walk.hist.fill(0) : new Float64Array(64); // 16 bins per nibble of x (na ≤ 15: four nibbles; those past nNib unused)
    const hs = walk ? walk.hs : new Float64Array(2 * na); // F's change when spin i flips to s: 2·s·hA_i
    for (let tb = 0; tb < sizeB; tb++) {
      if (tb > 0) {
        const j = ctz(tb);
        const old = sB[j]!;
        eB += 2 * old * hB[j]!;
        sB[j] = -old;
        for (let k = 0; k < nb; k++) hB[k]! += -2 * old * w[(na + k) * n + na + j]!;
        for (let i = 0; i < na; i++) hA[i]! += -2 * old * w[i * n + na + j]!;
        if ((tb & 1023) === 0) {
          throwIfAborted(hooks.signal, 'enumerate');
          hooks.onProgress?.(pass * sizeB + tb, 2 * sizeB);
        }
      }
      // Inner Gray walk over A: F = Σ_i hA_i s_i; E = E0A[x] + eB - F.
      let F = 0;
      for (let i = 0; i < na; i++) {
        F -= hA[i]!;
        hs[2 * i] = -2 * hA[i]!;
        hs[2 * i + 1] = 2 * hA[i]!;
      }
      if (pass === 0 && walk) {
        emin = walk.min(F, eB, emin);
      } else if (pass === 0) {
        let e = E0G[0]! + eB - F;
        if (e < emin) emin = e;
        for (let t = 1; t < sizeA; t++) {
          F += hs[flip[t]!]!;
          e = E0G[t]! + eB - F;
          if (e < emin) emin = e;
        }
      } else {
        vA.fill(0);
        let zB = 0;
        if (walk) {
          zB = walk.sums(F, eB, shift, sE, sE2);
          sE = walk.out[0]!;
          sE2 = walk.out[1]!;
        } else {
          // Steps t in aligned blocks of L = min(16, 2^na): within one, the nibbles above the
          // lowest do not change (bits ≥ 4 of the Gray code of t depend on t >> 4 only), so their
          // bins accumulate in registers: the same additions in the same order as through memory.
          for (let t0 = 0; t0 < sizeA; t0 += L) {
            const x0 = gx[t0]!;
            const b1 = 16 | ((x0 >> 4) & 15), b2 = 32 | ((x0 >> 8) & 15), b3 = 48 | ((x0 >> 12) & 15);
            let a1 = hist[b1]!, a2 = hist[b2]!, a3 = hist[b3]!;
            for (let t = t0; t < t0 + L; t++) {
              if (t > 0) F += hs[flip[t]!]!;
              const de = E0G[t]! + eB - F - shift;
              const q = Math.exp(-de);
              zB += q;
              sE += q * de;
              sE2 += q * de * de;
              pG[t]! += q;
              // Σ_x q s_i(x) for the spins of A, via 16-bin histograms of each 4-bit nibble of x.
              hist[gx[t]! & 15]! += q;
              a1 += q;
              a2 += q;
              a3 += q;
            }
            hist[b1] = a1;
            hist[b2] = a2;
            hist[b3] = a3;
          }
        }
        for (let nb4 = 0; nb4 < nNib; nb4++) {
          for (let c = 0; c < 16; c++) {
            const hq = hist[(nb4 << 4) | c]!;
            if (hq === 0) continue;
            hist[(nb4 << 4) | c] = 0;
            const top = Math.min(4, na - 4 * nb4);
            for (let bit = 0; bit < top; bit++) vA[4 * nb4 + bit]! += (c >> bit) & 1 ? hq : -hq;
          }
        }
        Zs += zB;
        for (let j = 0; j < nb; j++) {
          const sj = sB[j]!;
          meanB[j]! += zB * sj;
          for (let k = j + 1; k < nb; k++) corrBB[j * nb + k]! += zB * sj * sB[k]!;
          for (let i = 0; i < na; i++) corrAB[i * nb + j]! += vA[i]! * sj;
        }
      }
    }
    const pA = new Float64Array(sizeA);
    for (let t = 0; t < sizeA; t++) pA[gx[t]!] = pG[t]!;
    return { emin, pA, meanB, corrBB, corrAB, Zs, sE, sE2 };
  };
  const emin = run(0, 0).emin;
  return enumerationFromSums(n, na, emin, run(1, emin));
}

/** Largest n for which probabilities() / sampleExact() build the full 2^n table (128 MiB at 24). */
export const MAX_TABLE_N = 24;

/**
 * Normalized probabilities of all 2^n states; index x has s_i = +1 where bit i of x is set.
 */
export function probabilities(p: IsingParams): Float64Array {
  const { n, b, w } = p;
  if (n > MAX_TABLE_N) throw new Error(`probabilities: n=${n} exceeds ${MAX_TABLE_N} (the 2^n table would not fit in memory)`);
  const out = grayEnergies(n, b, w);
  let emin = Infinity;
  for (const e of out) if (e < emin) emin = e;
  let z = 0;
  for (let k = 0; k < out.length; k++) {
    const q = Math.exp(emin - out[k]!);
    out[k] = q;
    z += q;
  }
  for (let k = 0; k < out.length; k++) out[k]! /= z;
  return out;
}

/** Exact i.i.d. samples by inverse CDF over the enumerated probabilities (n ≤ MAX_TABLE_N). */
export function sampleExact(p: IsingParams, m: number, rng: Rng, hooks: LoopHooks = {}): SpinData {
  return sampleTable(probabilities(p), p.n, m, rng, hooks);
}

/**
 * Exact i.i.d. draws from a table of weights over the 2^n states (index x has s_i = +1 where bit
 * i of x is set; the weights need not be normalized), by inverse CDF: the oracle sampler of any
 * enumerable target (p_θ, a tempered or a tail-conditional law).
 */
export function sampleTable(q: Float64Array, n: number, m: number, rng: Rng, hooks: LoopHooks = {}): SpinData {
  const cdf = new Float64Array(q.length);
  let total = 0;
  for (let x = 0; x < q.length; x++) cdf[x] = total += q[x]!;
  const s = new Int8Array(m * n);
  for (let r = 0; r < m; r++) {
    if ((r & 65535) === 0 && r > 0) {
      if (hooks.signal?.aborted) throw new AbortError('sampleExact: aborted');
      hooks.onProgress?.(r, m);
    }
    const u = rng.uniform() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    for (let i = 0; i < n; i++) s[r * n + i] = (lo >> i) & 1 ? 1 : -1;
  }
  hooks.onProgress?.(m, m);
  return { n, m, s };
}

/** The configuration of state index x (bit i set ↔ s_i = +1). */
export function stateSpins(x: number, n: number): Int8Array {
  const s = new Int8Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.floor(x / 2 ** i) & 1 ? 1 : -1;
  return s;
}

/**
 * What the walk's second pass summed (weights q = exp(−(E − emin)) of every state), as an
 * Enumeration: Z, the moments (block A's from its marginal pA over the na low spins, block B's and
 * the A–B correlations from their sums), the energy's mean and variance. Shared with the walk's
 * oracle (test/ising/enumerate-reference.ts), which differs only in how it visits the states.
 */
export function enumerationFromSums(n: number, na: number, emin: number,
  r: { pA: Float64Array; meanB: Float64Array; corrBB: Float64Array; corrAB: Float64Array; Zs: number; sE: number; sE2: number }): Enumeration {
  const nb = n - na;
  const sizeA = 1 << na;
  const Z = r.Zs;
  const mean = new Float64Array(n);
  const corr = new Float64Array(n * n);
  // Block A moments from the marginal pA.
  for (let x = 0; x < sizeA; x++) {
    const q = r.pA[x]! / Z;
    if (q === 0) continue;
    for (let i = 0; i < na; i++) {
      const si = (x >> i) & 1 ? q : -q;
      mean[i]! += si;
      for (let k = i + 1; k < na; k++) corr[i * n + k]! += (x >> k) & 1 ? si : -si;
    }
  }
  for (let j = 0; j < nb; j++) {
    mean[na + j] = r.meanB[j]! / Z;
    for (let k = j + 1; k < nb; k++) corr[(na + j) * n + na + k] = r.corrBB[j * nb + k]! / Z;
    for (let i = 0; i < na; i++) corr[i * n + na + j] = r.corrAB[i * nb + j]! / Z;
  }
  for (let i = 0; i < n; i++) {
    corr[i * n + i] = 1;
    for (let k = i + 1; k < n; k++) corr[k * n + i] = corr[i * n + k]!;
  }
  const eMeanShifted = r.sE / Z;
  const energyVar = Math.max(0, r.sE2 / Z - eMeanShifted * eMeanShifted);
  const logZ = -emin + Math.log(Z);
  const energyMean = emin + eMeanShifted;
  return { n, logZ, mean, corr, entropy: logZ + energyMean, energyMean, energyVar, energyMin: emin };
}
