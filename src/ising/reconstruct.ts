/**
 * Reconstruction of missing spins: for each sample, the hidden values that maximize
 * p(hidden | observed) = the completion of lowest energy. Exact over all 2^h completions by a
 * Gray-code walk (h ≤ maxExact, default 20); beyond that, iterated conditional modes from the
 * mean-field guess plus random restarts (approximate; reported as such).
 */
import { throwIfAborted } from '../util/abort.js';
import type { Rng } from '../random/index.js';
import { at } from '../util/checked.js';
import type { IsingParams, LoopHooks, SpinData } from './types.js';
import { grayEnergies } from './gray.js';

export interface ReconstructOptions extends LoopHooks {
  /** Largest hidden count solved exactly (default 20). */
  maxExact?: number;
  /** Needed only when some sample has more than maxExact hidden spins. */
  rng?: Rng;
  /** Random restarts of the approximate search (default 8). */
  restarts?: number;
}

export interface ReconstructResult {
  /** The data with hidden spins replaced by their reconstruction. */
  filled: SpinData;
  /** Hidden entries whose reconstruction equals the original value. */
  correct: number;
  total: number;
  accuracy: number;
  /** Samples solved approximately (hidden count above maxExact). */
  approximate: number;
}

/**
 * Lowest-energy completion of the spins at `hidden` in row `s` (length n), written into `out`.
 * Other entries of `s` are the observed values (hidden entries of `s` are ignored).
 */
export function completeExact(p: IsingParams, s: ArrayLike<number>, hidden: ArrayLike<number>, out: Int8Array): void {
  const { n, b, w } = p;
  const h = hidden.length;
  const isHidden = new Uint8Array(n);
  for (let k = 0; k < h; k++) isHidden[at(hidden, k, 'hidden')] = 1;
  // Field on hidden spin k from fields and observed spins.
  const f = new Float64Array(h);
  for (let k = 0; k < h; k++) {
    const i = at(hidden, k, 'hidden');
    let v = b[i]!;
    for (let j = 0; j < n; j++) if (!isHidden[j]) v += w[i * n + j]! * at(s, j, 'row s');
    f[k] = v;
  }
  // Couplings among hidden spins, contiguous (diagonal 0, so a flip may update its own field too).
  const wH = new Float64Array(h * h);
  for (let k = 0; k < h; k++) for (let l = 0; l < h; l++) wH[k * h + l] = k === l ? 0 : w[at(hidden, k, 'hidden') * n + at(hidden, l, 'hidden')]!;
  // Energy of every completion (bit k set ↔ hidden k = +1). Ties go to the completion met first
  // in the walk's order, the Gray code t ^ (t >> 1).
  const e = grayEnergies(h, f, wH);
  let bestCode = 0;
  for (let t = 1; t < e.length; t++) {
    const code = t ^ (t >>> 1);
    if (e[code]! < e[bestCode]!) bestCode = code;
  }
  for (let j = 0; j < n; j++) out[j] = at(s, j, 'row s') > 0 ? 1 : -1;
  for (let k = 0; k < h; k++) out[at(hidden, k, 'hidden')] = (bestCode >> k) & 1 ? 1 : -1;
}

/** Approximate completion: iterated conditional modes from the sign of the fields, plus restarts. */
export function completeApprox(p: IsingParams, s: ArrayLike<number>, hidden: ArrayLike<number>, out: Int8Array, rng: Rng, restarts = 8): void {
  const { n, b, w } = p;
  const h = hidden.length;
  const cur = new Int8Array(n);
  let bestE = Infinity;
  const energyOf = (x: Int8Array) => {
    let e = 0;
    for (let i = 0; i < n; i++) {
      let v = b[i]!;
      for (let j = i + 1; j < n; j++) v += w[i * n + j]! * x[j]!;
      e -= v * x[i]!;
    }
    return e;
  };
  for (let r = 0; r <= restarts; r++) {
    for (let j = 0; j < n; j++) cur[j] = at(s, j, 'row s') > 0 ? 1 : -1;
    for (let k = 0; k < h; k++) cur[at(hidden, k, 'hidden')] = r === 0 ? 1 : rng.spin();
    let changed = true;
    for (let sweep = 0; changed && sweep < 1000; sweep++) {
      changed = false;
      for (let k = 0; k < h; k++) {
        const i = at(hidden, k, 'hidden');
        let v = b[i]!;
        for (let j = 0; j < n; j++) v += w[i * n + j]! * cur[j]!;
        const want = v >= 0 ? 1 : -1;
        if (want !== cur[i]) {
          cur[i] = want;
          changed = true;
        }
      }
    }
    const e = energyOf(cur);
    if (e < bestE) {
      bestE = e;
      out.set(cur);
    }
  }
}

/**
 * Hide and reconstruct: `hidden` is one index list for every sample, or one list per sample.
 * `data` holds the true values, used only to score.
 */
export function reconstruct(p: IsingParams, data: SpinData, hidden: ArrayLike<number> | ArrayLike<number>[], opts: ReconstructOptions = {}): ReconstructResult {
  const { n, m } = data;
  if (p.n !== n) throw new Error(`reconstruct: params have n=${p.n} but data has n=${n}`);
  const perSample = Array.isArray(hidden) && hidden.length > 0 && typeof hidden[0] !== 'number';
  if (perSample && (hidden as ArrayLike<number>[]).length !== m) throw new Error(`reconstruct: ${(hidden as unknown[]).length} hidden lists for ${m} samples`);
  const maxExact = opts.maxExact ?? 20;
  const filled = new Int8Array(data.s);
  const row = new Int8Array(n);
  let correct = 0;
  let total = 0;
  let approximate = 0;
  for (let r = 0; r < m; r++) {
    const hid = perSample ? at(hidden as ArrayLike<number>[], r, 'hidden lists') : (hidden as ArrayLike<number>);
    for (let k = 0; k < hid.length; k++) {
      const i = at(hid, k, 'hidden');
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`reconstruct: hidden index ${i} out of range 0..${n - 1}`);
    }
    const s = data.s.subarray(r * n, r * n + n);
    if (hid.length <= maxExact) completeExact(p, s, hid, row);
    else {
      if (!opts.rng) throw new Error(`reconstruct: ${hid.length} hidden spins exceed maxExact=${maxExact}; pass an rng for the approximate search`);
      completeApprox(p, s, hid, row, opts.rng, opts.restarts);
      approximate++;
    }
    for (let k = 0; k < hid.length; k++) {
      const i = at(hid, k, 'hidden');
      if (row[i] === s[i]) correct++;
      total++;
      filled[r * n + i] = row[i]!;
    }
    if ((r & 63) === 0) {
      throwIfAborted(opts.signal, 'reconstruct');
      opts.onProgress?.(r + 1, m);
    }
  }
  return { filled: { n, m, s: filled }, correct, total, accuracy: total ? correct / total : NaN, approximate };
}

export interface HiddenCountResult {
  hidden: number;
  accuracy: number;
  correct: number;
  total: number;
  approximate: number;
}

/**
 * Accuracy per hidden count: for each count h, hide h spins per sample chosen at random among
 * `candidates` (default all spins; e.g. the non-conserved ones), and reconstruct.
 */
export function accuracyByHiddenCount(
  p: IsingParams,
  data: SpinData,
  counts: number[],
  rng: Rng,
  opts: ReconstructOptions & { candidates?: number[] } = {},
): HiddenCountResult[] {
  const cand = opts.candidates ?? Array.from({ length: data.n }, (_, i) => i);
  return counts.map((h) => {
    if (!(Number.isInteger(h) && h >= 1 && h <= cand.length)) throw new Error(`accuracyByHiddenCount: hidden count ${h} must be in 1..${cand.length}`);
    const lists: number[][] = [];
    for (let r = 0; r < data.m; r++) lists.push(Array.from(rng.permutation(cand.length).subarray(0, h), (k) => at(cand, k, 'candidates')));
    const res = reconstruct(p, data, lists, { ...opts, rng: opts.rng ?? rng });
    return { hidden: h, accuracy: res.accuracy, correct: res.correct, total: res.total, approximate: res.approximate };
  });
}

