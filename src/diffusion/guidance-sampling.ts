/**
 * Tail samplers of a trained diffusion model behind one call (library and `spindiff sample
 * --guidance`): the baseline, the guided samplers of guidance.ts (score scaling = tempering /
 * entropy-max, reverse-score Langevin, Tweedie-energy and classifier guidance), and the two
 * exact-by-construction resamplers of baseline output (rejection, importance resampling).
 * θ̂ (for energies, thresholds and labels) must come from the training data, never the truth.
 */
import type { Rng } from '../random/index.js';
import type { IsingParams, SpinData } from '../ising/index.js';
import { importanceResample, rejectTail } from '../ising/index.js';
import type { NoiseMLP } from './network.js';
import { makePredictor } from './train.js';
import { makeSchedule } from './schedule.js';
import { newSampleStats, sampleLoop, thresholdSpins } from './samplers.js';
import type { CorrectorOptions, Guidance } from './samplers.js';
import { classifierGuidance, scoreScale, tweedieEnergyGuidance } from './guidance.js';
import type { GuidanceStats, TailClassifier } from './guidance.js';
import type { SamplerOptions } from './augment.js';
import type { LoopHooks } from '../util/abort.js';

export const TAIL_SAMPLERS = ['baseline', 'score-scale', 'reverse-score', 'tweedie', 'classifier', 'rejection', 'importance'] as const;
export type TailSamplerKind = (typeof TAIL_SAMPLERS)[number];

export interface TailSampleOptions extends LoopHooks {
  kind: TailSamplerKind;
  sampler: SamplerOptions;
  /**
   * score-scale: γ = 1 − λ (score ×γ); reverse-score: the corrector's γ (< 1; < 0 against the
   * score); tweedie / classifier: guidance weight w; importance: λ (weights ∝ p_θ̂^{−λ}).
   */
  scale?: number;
  /** Langevin corrector (score-scale, tweedie, classifier: optional; reverse-score: required, γ = scale). */
  corrector?: CorrectorOptions;
  /** θ̂ fitted on training data (tweedie, rejection, importance). */
  thetaHat?: IsingParams;
  /** Rejection: keep E_θ̂ ≥ threshold. */
  threshold?: number;
  classifier?: TailClassifier;
  /** Guide only at steps t ≤ tMax (classifier default: the classifier's training range). */
  tMax?: number;
  /** Rejection / importance: baseline draws to resample from (default 10·m). */
  pool?: number;
}

export interface TailSampleResult {
  data: SpinData;
  /** Rows through the noise network: forward (fused plan) and VJP (autograd) rows; classifier VJP rows. */
  cost: { forwardRows: number; gradRows: number; classifierRows: number };
  /** Rejection: acceptance rate of the pool; importance: ESS of its weights. */
  acceptance?: number;
  ess?: number;
  /** Corrector: fraction of corrected coordinates clipped at the bound. */
  clipped?: number;
}

function need<T>(v: T | undefined, what: string, kind: string): T {
  if (v === undefined) throw new Error(`sampleTails: '${kind}' needs ${what}`);
  return v;
}

/** Draw m configurations with one of the tail samplers (rejection may return fewer: see acceptance). */
export async function sampleTails(net: NoiseMLP, m: number, rng: Rng, o: TailSampleOptions): Promise<TailSampleResult> {
  const sched = makeSchedule({ T: net.config.T });
  const predict = makePredictor(net);
  const n = net.config.n;
  const st = newSampleStats();
  const gs: GuidanceStats = { gradCalls: 0, gradRows: 0 };
  const cs: GuidanceStats = { gradCalls: 0, gradRows: 0 };
  const base = { n, rng, sampler: o.sampler.sampler, steps: o.sampler.steps, eta: o.sampler.eta, batch: o.sampler.batch, signal: o.signal, stats: st, onProgress: o.onProgress };
  let guidance: Guidance | undefined;
  let corrector = o.corrector;
  switch (o.kind) {
    case 'baseline':
    case 'rejection':
    case 'importance':
      corrector = undefined;
      break;
    case 'score-scale':
      guidance = scoreScale(need(o.scale, '--scale γ = 1 − λ', o.kind));
      break;
    case 'reverse-score': {
      const c = need(o.corrector, 'corrector steps', o.kind);
      corrector = { ...c, gamma: need(o.scale, '--scale γ', o.kind) };
      break;
    }
    case 'tweedie':
      guidance = tweedieEnergyGuidance(net, sched, need(o.thetaHat, 'θ̂ (--params)', o.kind), need(o.scale, '--scale w', o.kind), { tMax: o.tMax, stats: gs });
      break;
    case 'classifier': {
      const c = need(o.classifier, 'a trained tail classifier', o.kind);
      guidance = classifierGuidance(c, sched, need(o.scale, '--scale w', o.kind), { tMax: o.tMax, stats: cs });
      break;
    }
    default:
      throw new Error(`sampleTails: unknown sampler '${String(o.kind)}' (${TAIL_SAMPLERS.join('|')})`);
  }
  const cost = (): TailSampleResult['cost'] => ({ forwardRows: st.rows, gradRows: gs.gradRows, classifierRows: cs.gradRows });
  if (o.kind === 'rejection' || o.kind === 'importance') {
    const theta = need(o.thetaHat, 'θ̂ (--params)', o.kind);
    const pool = o.pool ?? 10 * m;
    const x = await sampleLoop(predict, sched, { ...base, m: pool });
    const drawn: SpinData = { n, m: pool, s: thresholdSpins(x) };
    if (o.kind === 'rejection') {
      const { accepted, rate } = rejectTail(drawn, theta, need(o.threshold, 'an energy threshold', o.kind));
      const keep = Math.min(m, accepted.m);
      return { data: { n, m: keep, s: accepted.s.slice(0, keep * n) }, cost: cost(), acceptance: rate };
    }
    const { resampled, ess } = importanceResample(drawn, theta, need(o.scale, '--scale λ', o.kind), m, rng);
    return { data: resampled, cost: cost(), ess };
  }
  const x = await sampleLoop(predict, sched, { ...base, m, guidance, corrector });
  return { data: { n, m, s: thresholdSpins(x) }, cost: cost(), ...(corrector ? { clipped: st.corrected > 0 ? st.clipped / st.corrected : 0 } : {}) };
}
