/**
 * `infer --method auto`: pick an estimator from n, M and the data, by the rule measured in the
 * estimator table (`spindiff experiment estimators`, README "Which estimator"): exact maximum
 * likelihood while the 2ⁿ enumeration is cheap, pseudo-likelihood otherwise, and ℓ1-regularised
 * pseudo-likelihood (RPLE) when plain PLE has no finite optimum (separable data: some conditional
 * regression is perfectly predictable, so a coupling runs off to infinity).
 */
import { inferExactMLE } from './mle.js';
import { inferPLE } from './ple.js';
import { inferScreening } from './rise.js';
import type { InferResult, LoopHooks, SpinData } from '../types.js';

/** Exact MLE up to this n: 2ⁿ states per L-BFGS step (n = 16: 65k states, well under a second). */
export const AUTO_EXACT_N = 16;

/** A PLE parameter above this means a conditional regression is (nearly) separable: P(s_i | rest) ≥ 1 − 2·10⁻⁹. */
export const AUTO_MAX_PLE_PARAM = 10;

export interface AutoChoice {
  method: 'mle' | 'ple' | 'rple';
  reason: string;
}

/** The a-priori choice from the size of the problem (PLE may still fall back to RPLE, see inferAuto). */
export function chooseEstimator(n: number, M: number): AutoChoice {
  if (n <= AUTO_EXACT_N) {
    return { method: 'mle', reason: `n = ${n} ≤ ${AUTO_EXACT_N}: exact maximum likelihood is cheap (2^${n} states per step) and was the best or tied-best estimator in the table` };
  }
  return { method: 'ple', reason: `n = ${n} > ${AUTO_EXACT_N} (exact MLE would enumerate 2^${n} states per step), M = ${M}: pseudo-likelihood matched exact MLE within noise in the table at a fraction of the cost` };
}

/** Run the chosen estimator; a PLE that does not converge (separable data) is replaced by RPLE. */
export function inferAuto(data: SpinData, hooks: LoopHooks = {}): InferResult & { choice: AutoChoice } {
  const choice = chooseEstimator(data.n, data.m);
  if (choice.method === 'mle') {
    const r = inferExactMLE(data, hooks);
    return { ...r, choice };
  }
  const ple = inferPLE(data, hooks);
  // Separable data: Newton either stops unconverged or "converges" with the gradient vanishing
  // as e^{−2|h|} at huge parameters; both are caught.
  let big = 0;
  for (const v of ple.params.w) big = Math.max(big, Math.abs(v));
  for (const v of ple.params.b) big = Math.max(big, Math.abs(v));
  if (ple.diagnostics['converged'] !== false && big <= AUTO_MAX_PLE_PARAM) return { ...ple, choice };
  const rple = inferScreening('rple', data, hooks);
  const why = ple.diagnostics['converged'] === false
    ? `it did not converge for spins ${(ple.diagnostics['unconvergedSpins'] as number[]).join(',')}`
    : `its largest parameter is ${big.toPrecision(3)} > ${AUTO_MAX_PLE_PARAM}`;
  return {
    ...rple,
    choice: { method: 'rple', reason: `${choice.reason}; but pseudo-likelihood has no finite optimum on these data (separable: ${why}), so its ℓ1-regularised form RPLE was used` },
  };
}
