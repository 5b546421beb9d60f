/**
 * Seeded pseudo-random generator with explicit state: xoshiro128** (Blackman & Vigna, 2018).
 * 32-bit arithmetic only, so it is exact and fast in JavaScript and identical on every platform.
 * Nothing in the library calls Math.random: every function that needs randomness takes an Rng.
 */

import { at } from '../util/checked.js';

/** splitmix32 step: used to expand a seed into a full, never-all-zero state. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_53 = 1 / 9007199254740992;

/** A generator's whole state: its four xoshiro words and its spare Box–Muller normal. */
export interface RngSnapshot {
  state: Uint32Array;
  spare: number | null;
}

export class Rng {
  /** The four 32-bit words of xoshiro128** state. Exposed for save/restore. */
  readonly state: Uint32Array;
  /** Second Box-Muller normal, kept so that normal() uses both values of a pair. */
  private spareNormal: number | null = null;

  constructor(seed: number | Uint32Array = 0) {
    this.state = new Uint32Array(4);
    if (typeof seed === 'number') {
      if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
      // Mix both 32-bit halves of an integer seed up to 2^53 so that large seeds differ.
      const lo = seed >>> 0;
      const hi = Math.floor(Math.abs(seed) / TWO_POW_32) >>> 0;
      let x = lo ^ Math.imul(hi, 0x27d4eb2d);
      for (let i = 0; i < 4; i++) {
        const [nx, z] = splitmix32(x);
        x = nx;
        this.state[i] = z;
      }
      if (hi !== 0) this.state[3]! ^= hi;
    } else {
      if (seed.length !== 4) throw new Error('Rng: state must have 4 words');
      this.state.set(seed);
    }
    if ((this.state[0]! | this.state[1]! | this.state[2]! | this.state[3]!) === 0) this.state[0] = 1;
  }

  /** A copy with the same state: it produces the same numbers from here on. */
  clone(): Rng {
    const r = new Rng(this.state);
    r.spareNormal = this.spareNormal;
    return r;
  }

  /** The state and the spare normal, as plain data (e.g. to send to a worker). */
  snapshot(): RngSnapshot {
    return { state: Uint32Array.from(this.state), spare: this.spareNormal };
  }

  /** Continue exactly where the generator that took `s` was. */
  restore(s: RngSnapshot): void {
    if (s.state.length !== 4) throw new Error('Rng.restore: state must have 4 words');
    if ((s.state[0]! | s.state[1]! | s.state[2]! | s.state[3]!) === 0) throw new Error('Rng.restore: an all-zero state is not a xoshiro state');
    if (!(s.spare === null || Number.isFinite(s.spare))) throw new Error(`Rng.restore: spare normal must be null or finite, got ${s.spare}`);
    this.state.set(s.state);
    this.spareNormal = s.spare;
  }

  /** A generator that continues exactly where the one that took `s` was. */
  static fromSnapshot(s: RngSnapshot): Rng {
    const r = new Rng(1);
    r.restore(s);
    return r;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * INV_TWO_POW_53;
  }

  /** Uniform double in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal by the Box-Muller transform (both values of each pair are used). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.spareNormal = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /** Uniform integer in [0, n), unbiased (Lemire's rejection on 32 bits; n ≤ 2^32). */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= TWO_POW_32)) {
      throw new Error(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    if (n === TWO_POW_32) return this.nextU32();
    // Reject the top partial block so that every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** ±1 with equal probability. */
  spin(): number {
    return this.nextU32() & 1 ? 1 : -1;
  }

  /** Index i chosen with probability weights[i] / Σ weights. Weights must be ≥ 0, not all 0. */
  choice(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (w === undefined || !(w >= 0) || !Number.isFinite(w)) throw new Error(`Rng.choice: weight ${i} is ${w}; weights must be finite and ≥ 0`);
      total += w;
    }
    if (total <= 0) throw new Error('Rng.choice: weights sum to 0');
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= at(weights, i, 'Rng.choice weights');
      if (u < 0) return i;
    }
    // Rounding left u ≥ 0 after the loop: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (at(weights, i, 'Rng.choice weights') > 0) return i;
    return weights.length - 1;
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Fill an array with uniform [0,1) values. */
  fillUniform<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }

  /**
   * Fill an array with normal(mean, std) values: the same numbers, in the same order, as
   * `out[i] = this.normal(mean, std)` for each i (spare normal included), with the state in
   * locals instead of the typed array (~1.4× faster; the sampler's noise is a tenth of sampling).
   */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    const len = out.length;
    let i = 0;
    if (len > 0 && this.spareNormal !== null) {
      out[i++] = mean + std * this.spareNormal;
      this.spareNormal = null;
    }
    const st = this.state;
    let s0 = st[0]!, s1 = st[1]!, s2 = st[2]!, s3 = st[3]!;
    // nextU32 and uniform inlined on the local state (xoshiro128**; see nextU32 and uniform).
    let u = 0, v = 0;
    while (i < len) {
      for (let k = 0; k < 2; k++) {
        let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        let t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        const hi = r >>> 5;
        r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        const x = (hi * 67108864 + (r >>> 6)) * INV_TWO_POW_53;
        if (k === 0) {
          u = x;
          if (u === 0) k--; // as normal(): draw u again
        } else v = x;
      }
      const r = Math.sqrt(-2 * Math.log(u));
      const theta = 2 * Math.PI * v;
      // As normal(): the first of the pair is mean + std·r·cos θ, the spare r·sin θ.
      out[i++] = mean + std * r * Math.cos(theta);
      if (i < len) out[i++] = mean + std * (r * Math.sin(theta));
      else this.spareNormal = r * Math.sin(theta);
    }
    st[0] = s0; st[1] = s1; st[2] = s2; st[3] = s3;
    return out;
  }

  /**
   * Advance the generator exactly as `fillNormal` of `count` values would (the same 32-bit draws,
   * u = 0 redraws and spare normal), without the Box–Muller transform of the skipped values: a
   * tenth of their cost. A row shard of a sampler skips the other shards' normals with it.
   */
  skipNormals(count: number): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`Rng.skipNormals: count must be an integer ≥ 0, got ${count}`);
    let left = count;
    if (left > 0 && this.spareNormal !== null) {
      this.spareNormal = null;
      left--;
    }
    // Whole pairs are skipped; an odd last value is drawn by fillNormal so that its pair's spare is set.
    const pairs = Math.floor(left / 2);
    const st = this.state;
    let s0 = st[0]!, s1 = st[1]!, s2 = st[2]!, s3 = st[3]!;
    for (let p = 0; p < pairs; p++) {
      for (let k = 0; k < 2; k++) {
        // As fillNormal: each uniform takes two draws; only u's value matters (a u of 0 is drawn again).
        let r2 = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        let t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        const hi = r2 >>> 5;
        r2 = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        if (k === 0 && hi === 0 && r2 >>> 6 === 0) k--;
      }
    }
    st[0] = s0; st[1] = s1; st[2] = s2; st[3] = s3;
    if (left % 2 === 1) this.fillNormal(new Float64Array(1));
  }

  /**
   * An independent stream: a new generator seeded from this one's output through splitmix32,
   * so parent and child sequences do not overlap in practice. Advances this generator.
   */
  split(): Rng {
    let x = this.nextU32() ^ Math.imul(this.nextU32(), 0x9e3779b9);
    const st = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const [nx, z] = splitmix32(x ^ this.nextU32());
      x = nx;
      st[i] = z;
    }
    return new Rng(st);
  }

  /**
   * A named, order-independent child stream, as jax's `fold_in`: the child is a hash of this
   * generator's current state and the labels, and this generator is NOT advanced, so
   * `key.fold('train', k)` and `key.fold('eval')` give the same streams whichever is made first
   * and however many others are made. Labels are strings or integers in [0, 2^53).
   */
  fold(...labels: (string | number)[]): Rng {
    const st = Uint32Array.from(this.state);
    for (const label of labels) {
      const words: number[] = [];
      if (typeof label === 'string') {
        words.push(0x53545247, label.length); // tag 'STRG' + length, so 'a','b' ≠ 'ab'
        for (let i = 0; i < label.length; i++) words.push(label.charCodeAt(i));
      } else {
        if (!(Number.isInteger(label) && label >= 0 && label <= Number.MAX_SAFE_INTEGER)) throw new Error(`Rng.fold: integer labels must be in [0, 2^53), got ${label}`);
        words.push(0x494e5447, label >>> 0, Math.floor(label / TWO_POW_32) >>> 0); // tag 'INTG'
      }
      // Absorb each word into all four state words through splitmix32 (a full-avalanche mix).
      for (const w of words) {
        let x = (st[0]! ^ Math.imul(w, 0x9e3779b1)) | 0;
        for (let i = 0; i < 4; i++) {
          const [nx, z] = splitmix32(x ^ st[i]!);
          x = nx;
          st[i] = z ^ Math.imul(w + i, 0x85ebca6b);
        }
      }
    }
    if (st.every((x) => x === 0)) st[0] = 1;
    return new Rng(st);
  }

  /** k independent streams (see split). */
  splitN(k: number): Rng[] {
    const out: Rng[] = [];
    for (let i = 0; i < k; i++) out.push(this.split());
    return out;
  }
}

/** Convenience: a generator from a seed. */
export function rng(seed = 0): Rng {
  return new Rng(seed);
}
