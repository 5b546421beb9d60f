/**
 * `infer --method auto`: pick an estimator from n, M and the data, by the rule measured in the
 * estimator table (`spindiff experiment estimators`, README "Which estimator"):
 *  - the candidates are the table's winners: exact MLE (best or tied on dense SK couplings, but it
 *    enumerates 2ⁿ states per step, so only for n ≤ AUTO_EXACT_N), PLE (within noise of exact MLE
 *    on dense couplings at M = 2000, 20× cheaper) and RPLE (best on sparse graphs — 2–4× lower
 *    MSE than PLE/MLE on the lattice and Erdős–Rényi truths — and on weak dense couplings at M = 500);
 *  - which of them the data favour is decided by held-out pseudo-log-likelihood: each candidate is
 *    fitted on 80% of the rows and scored on the other 20%; the winner is refitted on all rows;
 *  - PLE is dropped when it has no finite optimum (separable data: a conditional regression
 *    predicts its spin perfectly and a coupling runs off to infinity).
 */
import { Rng } from '../../random/index.js';
import { selectRows } from '../../io/data.js';
import { inferExactMLE } from './mle.js';
import { inferPLE } from './ple.js';
import { inferScreening } from './rise.js';
import type { InferResult, IsingParams, LoopHooks, SpinData } from '../types.js';

/** Exact MLE is a candidate up to this n: 2ⁿ states per L-BFGS step (n = 16: 65k states). */
export const AUTO_EXACT_N = 16;
/** A PLE parameter above this means a conditional regression is (nearly) separable: P(s_i | rest) ≥ 1 − 2·10⁻⁹. */
export const AUTO_MAX_PLE_PARAM = 10;
/** Below this many rows the held-out split is too small to compare; RPLE (finite, regularised) is used. */
export const AUTO_MIN_ROWS = 50;

export type AutoMethod = 'mle' | 'ple' | 'rple';

export interface AutoChoice {
  method: AutoMethod;
  reason: string;
  /** Held-out mean pseudo-log-likelihood per candidate (absent when not compared). */
  heldOut?: Partial<Record<AutoMethod, number>>;
}

/** Mean over rows of Σ_i log P(s_i | s_−i) under params: the pseudo-log-likelihood per sample. */
export function pseudoLogLikelihood(p: IsingParams, data: SpinData): number {
  const { n, b, w } = p;
  let total = 0;
  for (let k = 0; k < data.m; k++) {
    const off = k * n;
    for (let i = 0; i < n; i++) {
      let h = b[i]!;
      for (let j = 0; j < n; j++) if (j !== i) h += w[i * n + j]! * data.s[off + j]!;
      const a = 2 * data.s[off + i]! * h; // log σ(a) = −log(1 + e^{−a})
      total -= a > 0 ? Math.log1p(Math.exp(-a)) : -a + Math.log1p(Math.exp(a));
    }
  }
  return total / data.m;
}

function pleIsFinite(r: InferResult): boolean {
  if ('converged' in r.diagnostics && r.diagnostics.converged === false) return false;
  for (const v of r.params.w) if (!(Math.abs(v) <= AUTO_MAX_PLE_PARAM)) return false;
  for (const v of r.params.b) if (!(Math.abs(v) <= AUTO_MAX_PLE_PARAM)) return false;
  return true;
}

function fit(method: AutoMethod, data: SpinData, hooks: LoopHooks): InferResult {
  if (method === 'mle') return inferExactMLE(data, hooks);
  if (method === 'ple') return inferPLE(data, hooks);
  return inferScreening('rple', data, hooks);
}

export interface AutoOptions extends LoopHooks {
  /** Seed of the 80/20 split (default 1). */
  seed?: number;
}

/** Choose by held-out pseudo-likelihood among the candidates for this n, then refit on all rows. */
export function inferAuto(data: SpinData, opts: AutoOptions = {}): InferResult & { choice: AutoChoice } {
  const { n, m: M } = data;
  const hooks: LoopHooks = { signal: opts.signal };
  if (M < AUTO_MIN_ROWS) {
    const r = fit('rple', data, opts);
    return { ...r, choice: { method: 'rple', reason: `M = ${M} < ${AUTO_MIN_ROWS} rows, too few to compare candidates on held-out data: RPLE, whose ℓ1 penalty keeps the fit finite` } };
  }
  const candidates: AutoMethod[] = n <= AUTO_EXACT_N ? ['mle', 'ple', 'rple'] : ['ple', 'rple'];
  const perm = new Rng(opts.seed ?? 1).fold('auto-split').permutation(M);
  const cut = Math.round(0.8 * M);
  const train = selectRows(data, perm.subarray(0, cut));
  const held = selectRows(data, perm.subarray(cut));
  const heldOut: Partial<Record<AutoMethod, number>> = {};
  const dropped: string[] = [];
  for (const c of candidates) {
    const r = fit(c, train, hooks);
    if (c === 'ple' && !pleIsFinite(r)) {
      dropped.push('PLE (no finite optimum: separable data)');
      continue;
    }
    heldOut[c] = pseudoLogLikelihood(r.params, held);
  }
  let best: AutoMethod = 'rple';
  for (const c of candidates) {
    const v = heldOut[c];
    if (v !== undefined && v > (heldOut[best] ?? -Infinity)) best = c;
  }
  const r = fit(best, data, opts);
  // PLE can be finite on 80% of the rows and separable on all of them: fall back then.
  if (best === 'ple' && !pleIsFinite(r)) {
    const rr = fit('rple', data, opts);
    return { ...rr, choice: { method: 'rple', heldOut, reason: 'PLE won on held-out data but has no finite optimum on all rows (separable): RPLE' } };
  }
  const scores = candidates.flatMap((c) => { const v = heldOut[c]; return v === undefined ? [] : [`${c} ${v.toFixed(4)}`]; }).join(', ');
  const why = `n = ${n}${n <= AUTO_EXACT_N ? ` ≤ ${AUTO_EXACT_N} (exact MLE enumerable)` : ` > ${AUTO_EXACT_N} (exact MLE too costly)`}, M = ${M}; ` +
    `held-out pseudo-log-likelihood per sample (fit on 80%, scored on 20%): ${scores}${dropped.length ? `; dropped ${dropped.join(', ')}` : ''}`;
  return { ...r, choice: { method: best, heldOut, reason: why } };
}
