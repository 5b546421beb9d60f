import { Tensor, tensor } from '../tensor/index.js';
import { Rng } from '../random/index.js';
import { backward } from './backward.js';
import { needsGrad, noGrad } from './graph.js';
import { at } from '../util/checked.js';

export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  /** Relative tolerance per element. */
  rtol?: number;
  /** Absolute tolerance per element (for gradients near 0). */
  atol?: number;
}

export interface GradcheckResult {
  /** Every element satisfied |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|). */
  ok: boolean;
  maxAbsError: number;
  /**
   * max |analytic − numeric| / max(|analytic|, |numeric|) over elements with a gradient of at least
   * 1e-4 (below that, finite-difference round-off dominates the ratio; atol governs those).
   */
  maxRelError: number;
  /** The element with the largest error relative to its tolerance. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/**
 * Compare backward() with float64 central differences. The output is reduced to the scalar
 * L = Σ wᵢ·outᵢ with fixed pseudo-random weights w (so every output element is tested). Inputs
 * must be float64; their data is perturbed and restored, their requiresGrad/grad are restored too.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6, rtol = opts.rtol ?? 1e-6, atol = opts.atol ?? 1e-8;
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float64') throw new Error(`gradcheck(): input ${i} is ${x.dtype}; use float64 inputs`);
  });
  const saved = inputs.map((x) => ({ requiresGrad: x.requiresGrad, grad: x.grad }));
  try {
    inputs.forEach((x) => { x.requiresGrad = true; x.grad = null; });
    const out = fn(...inputs);
    if (out.dtype !== 'float64') throw new Error(`gradcheck(): output is ${out.dtype}; the function must compute in float64`);
    const rng = new Rng(0x9e37);
    const w = tensor(Array.from({ length: out.size }, () => rng.normal()), { dtype: 'float64', shape: out.shape });
    if (needsGrad(out)) backward(out, w);
    const weighted = (): number => {
      const o = noGrad(() => fn(...inputs));
      let s = 0;
      for (let i = 0; i < o.size; i++) s += w.data[i]! * o.data[i]!;
      return s;
    };
    let maxAbs = 0, maxRel = 0, worstRatio = -1;
    let worst: GradcheckResult['worst'] = null;
    let ok = true;
    inputs.forEach((x, q) => {
      const d = x.data;
      for (let j = 0; j < x.size; j++) {
        const orig = d[j]!;
        d[j] = orig + eps;
        const lp = weighted();
        d[j] = orig - eps;
        const lm = weighted();
        d[j] = orig;
        const numeric = (lp - lm) / (2 * eps);
        const analytic = x.grad ? x.grad.data[j]! : 0;
        const err = Math.abs(analytic - numeric);
        const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
        const tol = atol + rtol * scale;
        if (!(err <= tol)) ok = false;
        maxAbs = Math.max(maxAbs, err);
        if (scale >= 1e-4) maxRel = Math.max(maxRel, err / scale);
        const ratio = Number.isNaN(err) ? Infinity : err / tol;
        if (ratio > worstRatio) { worstRatio = ratio; worst = { input: q, index: j, analytic, numeric }; }
      }
    });
    return { ok, maxAbsError: maxAbs, maxRelError: maxRel, worst };
  } finally {
    inputs.forEach((x, i) => { const s = at(saved, i, 'saved input state'); x.requiresGrad = s.requiresGrad; x.grad = s.grad; });
  }
}
