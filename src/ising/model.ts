/** The Ising model: SK parameters, energies, and conversions between ±1 and 0/1 conventions. */
import type { Rng } from '../random/index.js';
import { at } from '../util/checked.js';
import type { IsingParams, SpinData } from './types.js';
export { checkParams } from '../types/index.js';

/** Sherrington-Kirkpatrick parameters: b_i, w_ij ~ N(0, g²/n) i.i.d., w symmetric, zero diagonal. */
export function skParams(n: number, g: number, rng: Rng): IsingParams {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`skParams: n must be a positive integer, got ${n}`);
  if (!(Number.isFinite(g) && g >= 0)) throw new Error(`skParams: g must be finite and ≥ 0, got ${g}`);
  const sd = g / Math.sqrt(n);
  const b = new Float64Array(n);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) b[i] = rng.normal(0, sd);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = rng.normal(0, sd);
      w[i * n + j] = v;
      w[j * n + i] = v;
    }
  }
  return { n, b, w };
}

/**
 * s as a typed array to index entries offset..offset+n−1 of in a loop, after a length check:
 * spins (Int8Array) and values (Float32/64Array) as they are, anything else copied.
 */
function typedRow(s: ArrayLike<number>, offset: number, n: number, what: string): Int8Array | Float32Array | Float64Array {
  if (!(offset >= 0 && offset + n <= s.length)) throw new RangeError(`${what}: entries ${offset}..${offset + n - 1} outside a configuration of length ${s.length}`);
  return s instanceof Int8Array || s instanceof Float32Array || s instanceof Float64Array ? s : Float64Array.from(s);
}

/** Energy of one configuration s (length n, ±1): E = -b·s - Σ_{i<j} w_ij s_i s_j. */
export function energy(p: IsingParams, s: ArrayLike<number>, offset = 0): number {
  const { n, b, w } = p;
  const x = typedRow(s, offset, n, 'energy');
  let e = 0;
  for (let i = 0; i < n; i++) {
    const si = x[offset + i]!;
    let h = b[i]!;
    const row = i * n;
    for (let j = i + 1; j < n; j++) h += w[row + j]! * x[offset + j]!;
    e -= si * h;
  }
  return e;
}

/** Energies of every sample of a data set under params. */
export function energies(p: IsingParams, data: SpinData): Float64Array {
  if (data.n !== p.n) throw new Error(`energies: data has n=${data.n} spins but params have n=${p.n}`);
  const out = new Float64Array(data.m);
  for (let k = 0; k < data.m; k++) out[k] = energy(p, data.s, k * data.n);
  return out;
}

/** Local field h_i = b_i + Σ_j w_ij s_j of spin i in configuration s. */
export function localField(p: IsingParams, s: ArrayLike<number>, i: number, offset = 0): number {
  const { n, b, w } = p;
  const x = typedRow(s, offset, n, 'localField');
  let h = b[i]!;
  const row = i * n;
  for (let j = 0; j < n; j++) h += w[row + j]! * x[offset + j]!;
  return h;
}

/**
 * Parameters written for 0/1 variables x (E = -Σ h_i x_i - Σ_{i<j} J_ij x_i x_j) converted to
 * the ±1 convention (x = (s+1)/2): b_i = h_i/2 + Σ_{j≠i} J_ij/4, w_ij = J_ij/4. Energies agree up
 * to a constant, so the distributions are identical.
 */
export function paramsFrom01(h: ArrayLike<number>, J: ArrayLike<number>, n: number): IsingParams {
  const b = new Float64Array(n);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) if (j !== i) sum += at(J, i * n + j, 'J');
    b[i] = at(h, i, 'h') / 2 + sum / 4;
    for (let j = 0; j < n; j++) if (j !== i) w[i * n + j] = at(J, i * n + j, 'J') / 4;
  }
  return { n, b, w };
}

/** The inverse of paramsFrom01: h_i = 2 b_i - 2 Σ_{j≠i} w_ij, J_ij = 4 w_ij. */
export function paramsTo01(p: IsingParams): { h: Float64Array; J: Float64Array } {
  const { n, b, w } = p;
  const h = new Float64Array(n);
  const J = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) if (j !== i) sum += w[i * n + j]!;
    h[i] = 2 * b[i]! - 2 * sum;
    for (let j = 0; j < n; j++) if (j !== i) J[i * n + j] = 4 * w[i * n + j]!;
  }
  return { h, J };
}

/** ±1 spins to 0/1 (−1 → 0, +1 → 1). */
export function spinsTo01(s: Int8Array): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s[i]! > 0 ? 1 : 0;
  return out;
}

/** 0/1 to ±1 spins (0 → −1, 1 → +1). */
export function spinsFrom01(x: ArrayLike<number>): Int8Array {
  return Int8Array.from(x, (v) => (v ? 1 : -1));
}

