/**
 * The kinetic Ising model: spins driven by asymmetric couplings W (W_ij ≠ W_ji, diagonal allowed)
 * and fields h through the local fields H_i(t) = h_i + Σ_j W_ij σ_j(t), with Glauber rates:
 * P(σ_i(t+1) = s | σ(t)) = e^{s H_i(t)} / (2 cosh H_i(t)).
 *  - parallel (synchronous) dynamics: all spins are redrawn at once every step — the model that the
 *    inverse methods of ./infer.ts assume;
 *  - sequential (asynchronous) dynamics: one uniformly chosen spin is redrawn per micro-step, and a
 *    recorded step is n micro-steps (one sweep).
 */
import type { Rng } from '../../random/index.js';
import { throwIfAborted } from '../../util/abort.js';
import type { LoopHooks, SpinData } from '../types.js';

/** Couplings W (n×n row-major, row i = inputs of spin i) and fields h. */
export interface KineticParams {
  n: number;
  W: Float64Array;
  h: Float64Array;
}

export type KineticDynamics = 'parallel' | 'sequential';

/** Asymmetric SK couplings W_ij ~ N(0, g²/n) i.i.d. for all i, j (the benchmark of Roudi & Hertz 2011 and Hoang et al. 2019); fields N(0, fieldSd²). */
export function asymmetricSK(n: number, g: number, rng: Rng, fieldSd = 0): KineticParams {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`asymmetricSK: n must be a positive integer, got ${n}`);
  if (!(Number.isFinite(g) && g >= 0)) throw new Error(`asymmetricSK: g must be finite and ≥ 0, got ${g}`);
  const rw = rng.fold('couplings');
  const rh = rng.fold('fields');
  const W = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) W[k] = rw.normal(0, g / Math.sqrt(n));
  const h = new Float64Array(n);
  if (fieldSd > 0) for (let i = 0; i < n; i++) h[i] = rh.normal(0, fieldSd);
  return { n, W, h };
}

export interface KineticSimOptions extends LoopHooks {
  dynamics?: KineticDynamics;
  /** Steps discarded before recording (default 100). */
  burnIn?: number;
}

/** A time series of T recorded states (T × n, ±1) from a random start. */
export function simulateKinetic(p: KineticParams, T: number, rng: Rng, opts: KineticSimOptions = {}): SpinData {
  const { n, W, h } = p;
  const dynamics = opts.dynamics ?? 'parallel';
  const burnIn = opts.burnIn ?? 100;
  if (!(Number.isInteger(T) && T >= 1)) throw new Error(`simulateKinetic: T must be a positive integer, got ${T}`);
  if (!(Number.isInteger(burnIn) && burnIn >= 0)) throw new Error(`simulateKinetic: burnIn must be a non-negative integer, got ${burnIn}`);
  const r0 = rng.fold('start');
  const rs = rng.fold('dynamics');
  let cur = new Int8Array(n);
  let nxt = new Int8Array(n);
  for (let i = 0; i < n; i++) cur[i] = r0.uniform() < 0.5 ? -1 : 1;
  const out = new Int8Array(T * n);
  const field = (i: number) => {
    let H = h[i]!;
    const row = i * n;
    for (let j = 0; j < n; j++) H += W[row + j]! * cur[j]!;
    return H;
  };
  // P(+1) = e^{H}/(2 cosh H) = (1 + tanh H)/2
  const draw = (H: number): number => (rs.uniform() < 0.5 * (1 + Math.tanh(H)) ? 1 : -1);
  for (let t = -burnIn; t < T; t++) {
    if (((t + burnIn) & 1023) === 0) throwIfAborted(opts.signal, 'kinetic simulation');
    if (dynamics === 'parallel') {
      for (let i = 0; i < n; i++) nxt[i] = draw(field(i));
      const tmp = cur;
      cur = nxt;
      nxt = tmp;
    } else {
      for (let k = 0; k < n; k++) {
        const i = rs.int(n);
        cur[i] = draw(field(i));
      }
    }
    if (t >= 0) out.set(cur, t * n);
    if (t >= 0 && ((t + 1) % 1000 === 0 || t === T - 1)) opts.onProgress?.(t + 1, T);
  }
  return { n, m: T, s: out };
}
