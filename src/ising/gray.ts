/**
 * The Gray-code energy walk shared by exact enumeration, exact probabilities and exact
 * reconstruction: all 2^k states of a dense k-spin system, one spin flip per step.
 */
import { at } from '../util/checked.js';

/** Index of the lowest set bit of t > 0: the spin that flips at Gray-code step t. */
export function ctz(t: number): number {
  return 31 - Math.clz32(t & -t);
}

/**
 * Energies E(x) = -Σ_i f_i s_i - Σ_{i<j} W_ij s_i s_j of all 2^k states, where bit i of x set ↔
 * s_i = +1, written to out[x]. W is k×k, row-major, symmetric with zero diagonal; k ≤ 30.
 * Starts at all −1 (E = Σ f - Σ_{i<j} W, local fields h_i = f_i - Σ_j W_ij) and flips one spin per
 * step: ΔE = 2 s_i h_i (old s_i), then h_j += -2 s_i W_ji — O(2^k · k) in all, not O(2^k · k²).
 */
export function grayEnergies(k: number, f: ArrayLike<number>, W: ArrayLike<number>, out: Float64Array = new Float64Array(2 ** k)): Float64Array {
  if (k > 30) throw new Error(`grayEnergies: k=${k} > 30`);
  const size = 2 ** k;
  if (out.length < size) throw new Error(`grayEnergies: out has ${out.length} entries, needs ${size}`);
  if (f.length !== k || W.length !== k * k) throw new Error(`grayEnergies: f has ${f.length} entries and W ${W.length}, need ${k} and ${k * k}`);
  // The walk reads W 2^k·k times: index a Float64Array (a copy only if W is not one).
  const Wf = W instanceof Float64Array ? W : Float64Array.from(W);
  const s = new Int8Array(k).fill(-1);
  const h = new Float64Array(k);
  let e = 0;
  for (let i = 0; i < k; i++) {
    const fi = at(f, i, 'fields f');
    let v = fi;
    for (let j = 0; j < k; j++) v -= Wf[i * k + j]!;
    h[i] = v;
    e += fi;
    for (let j = i + 1; j < k; j++) e -= Wf[i * k + j]!;
  }
  let x = 0;
  out[0] = e;
  for (let t = 1; t < size; t++) {
    const i = ctz(t);
    const old = s[i]!;
    e += 2 * old * h[i]!;
    s[i] = -old;
    const d = -2 * old;
    const row = i * k;
    for (let j = 0; j < k; j++) h[j]! += d * Wf[row + j]!;
    x ^= 1 << i;
    out[x] = e;
  }
  return out;
}
