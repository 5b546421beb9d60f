/**
 * Poisoning attacks on inverse-Ising estimators (threat model: the attacker changes the observed
 * data D before inference, within a budget — see budget.ts; the estimator is then refitted on D′
 * in full). Every attack works from the data and the estimate θ̂(D) only; the truth enters only
 * through the explicitly labelled oracle loss.
 *  - random: random-k flips per row, or random contamination of ⌊ρM⌋ rows (the noise baseline);
 *  - fgsm: one gradient of a differentiable surrogate's attack loss at the random baseline's
 *    expectation (S ≡ k/n, or ρ/2), then per row the k flips with the largest positive gradient;
 *  - pgd: projected gradient ascent on the relaxed mask (normalised steps α₀/√(t+1), projection by
 *    bisection on the threshold), several restarts, then deterministic and randomised roundings,
 *    keeping the draw with the best loss under the TRUE refitted estimator;
 *  - greedy: coordinate ascent over single flips (add or undo), each candidate re-evaluated
 *    exactly with the refitted estimator; candidates ranked by the surrogate gradient when capped.
 * Never worse than clean: a result whose true loss is below the clean data's is replaced by D.
 */
import { Tensor, zeros, tensor } from '../tensor/index.js';
import { backward, noGrad, add, sub, mul, sum } from '../autograd/index.js';
import type { Rng } from '../random/index.js';
import { throwIfAborted } from '../util/abort.js';
import type { LoopHooks } from '../util/abort.js';
import { at } from '../util/checked.js';
import type { IsingParams, SpinData } from '../ising/types.js';
import {
  applyFlips, checkBudget, maskStats, projectMask, randomContaminationMask, randomPerRowMask,
  roundDeterministic, roundRandom, rowsAllowed, type Budget,
} from './budget.js';
import {
  attackLossValue, checkLoss, estimatorFor, targetSign, type AttackLoss, type Estimator, type EstimatorName,
} from './estimators.js';
import { dataTensor, runSurrogate, type SurrogateName, type SurrogateOut } from './surrogate.js';

export type AttackMethod = 'random' | 'fgsm' | 'pgd' | 'greedy';
export const ATTACK_METHODS: readonly AttackMethod[] = ['random', 'fgsm', 'pgd', 'greedy'];

export interface PgdOptions {
  /** Gradient steps per restart (default 100). */
  steps?: number;
  /** Restarts (default 3); restart r uses the step α₀·[1, 0.3, 3][r mod 3]. */
  restarts?: number;
  /** α₀: the largest entry of the first step moves by this much (default 0.5). */
  step0?: number;
  /** Randomised roundings per restart, each scored by a refit (default 8). */
  draws?: number;
  /** Step normalisation: per row (default) or by the largest entry overall. */
  normalise?: 'row' | 'global';
  /** Start the first restart from the FGSM mask (default true). */
  warmStart?: boolean;
}

export interface GreedyOptions {
  /** Candidates exactly re-evaluated per step (default: all feasible single flips). */
  candidates?: number;
  /** Most accepted flips (default: the whole budget). */
  maxFlips?: number;
}

export interface AttackOptions extends LoopHooks {
  method: AttackMethod;
  budget: Budget;
  /** The attacked estimator, refitted on D′ (a name or a function). */
  estimator: EstimatorName | Estimator;
  loss?: AttackLoss;
  /** Surrogate for the gradients (default: nmf for nmf, ple otherwise). */
  surrogate?: SurrogateName;
  /** Unrolled PLE surrogate steps and step size. */
  surrogateSteps?: number;
  surrogateStepSize?: number;
  rng: Rng;
  /** θ̂(D) if already fitted (saves a fit). */
  clean?: IsingParams;
  pgd?: PgdOptions;
  greedy?: GreedyOptions;
}

export interface AttackResult {
  method: AttackMethod;
  data: SpinData;
  flips: Uint8Array;
  flipCount: number;
  rowsChanged: number;
  /** The attack loss under the refitted estimator: on D′, and on the clean D. */
  loss: number;
  cleanLoss: number;
  params: IsingParams;
  cleanParams: IsingParams;
  /** Refits of the estimator the attack spent, and surrogate gradients. */
  evaluations: number;
  gradients: number;
  seconds: number;
  /** False when the attack found nothing better than the clean data (D′ = D). */
  improved: boolean;
}

const now = (): number => performance.now() / 1000;

/** Gradient of the surrogate attack loss with respect to the relaxed mask. */
export class SurrogateObjective {
  readonly x: Tensor;
  readonly ref: SurrogateOut;
  private readonly truthJ: Tensor | null;
  private readonly truthH: Tensor | null;
  private readonly targetMask: Tensor | null;
  constructor(
    readonly data: SpinData,
    readonly surrogate: SurrogateName,
    readonly loss: AttackLoss,
    readonly clean: IsingParams,
    readonly steps = 5,
    readonly stepSize = 0.5,
  ) {
    const { m, n } = data;
    this.x = dataTensor(data);
    this.ref = noGrad(() => this.run(zeros([m, n], 'float64')));
    const t = loss.kind === 'oracle' ? loss.truth : null;
    this.truthJ = t ? tensor(Array.from(t.w), { dtype: 'float64', shape: [n, n] }) : null;
    this.truthH = t ? tensor(Array.from(t.b), { dtype: 'float64', shape: [n] }) : null;
    if (loss.kind === 'target') {
      const tm = zeros([n, n], 'float64');
      tm.data[loss.i * n + loss.j] = -targetSign(clean, loss.i, loss.j);
      this.targetMask = tm;
    } else this.targetMask = null;
  }

  private run(S: Tensor): SurrogateOut {
    return runSurrogate(this.surrogate, this.x, S, { start: this.clean, steps: this.steps, stepSize: this.stepSize });
  }

  /** The surrogate loss (J over the upper triangle; h where the surrogate has fields). */
  lossOf(out: SurrogateOut): Tensor {
    const sq = (a: Tensor, b: Tensor): Tensor => { const d = sub(a, b); return sum(mul(d, d)); };
    switch (this.loss.kind) {
      case 'change': {
        let L = mul(sq(out.J, this.ref.J), 0.5);
        if (out.h && this.ref.h) L = add(L, sq(out.h, this.ref.h));
        return L;
      }
      case 'oracle': {
        let L = mul(sq(out.J, this.truthJ!), 0.5);
        if (out.h) L = add(L, sq(out.h, this.truthH!));
        return L;
      }
      case 'target':
        return sum(mul(out.J, this.targetMask!));
    }
  }

  /** Value and gradient ∂L/∂S at S (M×n values). */
  grad(Sv: Float64Array): { value: number; grad: Float64Array } {
    const { m, n } = this.data;
    const S = zeros([m, n], 'float64');
    S.data.set(Sv);
    S.requiresGrad = true;
    const L = this.lossOf(this.run(S));
    backward(L);
    const g = S.grad ? Float64Array.from(S.grad.data) : new Float64Array(m * n);
    return { value: L.data[0]!, grad: g };
  }
}

/** Where FGSM takes its gradient and PGD centres its starts: the random baseline's expected mask. */
function baselineLevel(b: Budget, n: number): number {
  return b.kind === 'perRow' ? b.k / n : b.rho / 2;
}

/** FGSM's one step: per row the k entries with the largest positive gradient (ρ: the ⌊ρM⌋ rows with the largest positive mass, all positive entries). */
export function fgsmMask(G: Float64Array, m: number, n: number, b: Budget): Uint8Array {
  const F = new Uint8Array(m * n);
  if (b.kind === 'perRow') {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let r = 0; r < m; r++) {
      const off = r * n;
      idx.sort((a, c) => G[off + c]! - G[off + a]! || a - c);
      for (const [q, i] of idx.entries()) {
        if (q >= b.k) break;
        if (G[off + i]! > 0) F[off + i] = 1;
      }
    }
    return F;
  }
  const gain = new Float64Array(m);
  for (let r = 0; r < m; r++) for (let i = 0; i < n; i++) gain[r]! += Math.max(0, G[r * n + i]!);
  const order = Array.from({ length: m }, (_, r) => r).sort((a, c) => gain[c]! - gain[a]! || a - c);
  const R = rowsAllowed(b.rho, m);
  for (const [q, r] of order.entries()) {
    if (q >= R) break;
    for (let i = 0; i < n; i++) if (G[r * n + i]! > 0) F[r * n + i] = 1;
  }
  return F;
}

/**
 * S += α·G / max|G|, the max taken per row ('row': every sample moves, however small its gradient)
 * or over all entries. False when the gradient is zero or not finite.
 */
function stepRows(S: Float64Array, G: Float64Array, m: number, n: number, alpha: number, perRow: boolean): boolean {
  let gall = 0;
  for (const g of G) gall = Math.max(gall, Math.abs(g));
  if (!(gall > 0) || !Number.isFinite(gall)) return false;
  for (let r = 0; r < m; r++) {
    let g = gall;
    if (perRow) {
      g = 0;
      for (let i = 0; i < n; i++) g = Math.max(g, Math.abs(G[r * n + i]!));
      if (!(g > 0)) continue;
    }
    const a = alpha / g;
    for (let i = 0; i < n; i++) S[r * n + i] = S[r * n + i]! + a * G[r * n + i]!;
  }
  return true;
}

/** Run one attack. */
export function attack(data: SpinData, o: AttackOptions): AttackResult {
  const t0 = now();
  const { m, n } = data;
  checkBudget(o.budget, n);
  const loss: AttackLoss = o.loss ?? { kind: 'change' };
  checkLoss(loss, n);
  const est: Estimator = typeof o.estimator === 'function' ? o.estimator : estimatorFor(o.estimator);
  const clean = o.clean ?? est(data);
  const cleanLoss = attackLossValue(loss, clean, clean);
  let evaluations = 0, gradients = 0;
  const abort = (): void => throwIfAborted(o.signal, 'attack');

  /** True loss of a mask (refit); −∞ when the estimator is undefined on D′. */
  const score = (F: Uint8Array): { loss: number; params: IsingParams | null } => {
    abort();
    evaluations++;
    try {
      const p = est(applyFlips(data, F));
      const v = attackLossValue(loss, p, clean);
      return Number.isFinite(v) ? { loss: v, params: p } : { loss: -Infinity, params: null };
    } catch (e) {
      if (o.signal?.aborted) throw e;
      return { loss: -Infinity, params: null };
    }
  };
  let best: { F: Uint8Array; loss: number; params: IsingParams | null } = { F: new Uint8Array(m * n), loss: cleanLoss, params: clean };
  const consider = (F: Uint8Array): void => {
    const s = score(F);
    if (s.loss > best.loss) best = { F, loss: s.loss, params: s.params };
  };
  const surrogateName: SurrogateName = o.surrogate ?? (typeof o.estimator === 'string' && o.estimator === 'nmf' ? 'nmf' : 'ple');
  const objective = (): SurrogateObjective =>
    new SurrogateObjective(data, surrogateName, loss, clean, o.surrogateSteps, o.surrogateStepSize);

  switch (o.method) {
    case 'random': {
      const F = o.budget.kind === 'perRow' ? randomPerRowMask(m, n, o.budget.k, o.rng) : randomContaminationMask(m, n, o.budget.rho, o.rng);
      // the noise baseline is reported as drawn (no never-worse check: it is not an optimiser)
      const s = score(F);
      best = { F, loss: s.loss, params: s.params };
      break;
    }
    case 'fgsm': {
      const obj = objective();
      const S = new Float64Array(m * n).fill(baselineLevel(o.budget, n));
      const { grad } = obj.grad(S);
      gradients++;
      consider(fgsmMask(grad, m, n, o.budget));
      break;
    }
    case 'pgd': {
      const obj = objective();
      const steps = o.pgd?.steps ?? 100, restarts = o.pgd?.restarts ?? 3, a0 = o.pgd?.step0 ?? 0.5, draws = o.pgd?.draws ?? 8;
      const level = baselineLevel(o.budget, n);
      const scales = [1, 0.3, 3];
      const rowNorm = (o.pgd?.normalise ?? 'row') === 'row';
      let warm: Uint8Array | null = null;
      if (o.pgd?.warmStart ?? true) {
        const S0 = new Float64Array(m * n).fill(level);
        warm = fgsmMask(obj.grad(S0).grad, m, n, o.budget);
        gradients++;
        consider(warm);
      }
      for (let r = 0; r < restarts; r++) {
        const rr = o.rng.fold('pgd-restart', r);
        const S = new Float64Array(m * n);
        if (r === 0 && warm) S.set(warm); // the FGSM solution: PGD then never ends below FGSM
        else for (let q = 0; q < S.length; q++) S[q] = 2 * level * rr.uniform();
        projectMask(S, m, n, o.budget);
        const alpha0 = a0 * at(scales, r % scales.length, 'step scales');
        let bestS = Float64Array.from(S), bestVal = -Infinity;
        for (let t = 0; t < steps; t++) {
          abort();
          const { value, grad } = obj.grad(S);
          gradients++;
          if (!Number.isFinite(value)) break; // the surrogate blew up (singular C): keep the best iterate so far
          if (value > bestVal) { bestVal = value; bestS = Float64Array.from(S); }
          if (!stepRows(S, grad, m, n, alpha0 / Math.sqrt(t + 1), rowNorm)) break;
          projectMask(S, m, n, o.budget);
          o.onProgress?.(r * steps + t + 1, restarts * steps, { surrogate: value });
        }
        const fin = obj.grad(S);
        gradients++;
        if (Number.isFinite(fin.value) && fin.value > bestVal) bestS = S;
        consider(roundDeterministic(bestS, m, n, o.budget));
        const dr = rr.fold('draws');
        for (let q = 0; q < draws; q++) consider(roundRandom(bestS, m, n, o.budget, dr));
      }
      break;
    }
    case 'greedy': {
      const cap = o.greedy?.candidates ?? Infinity;
      const obj = Number.isFinite(cap) ? objective() : null;
      const maxFlips = o.greedy?.maxFlips ?? (o.budget.kind === 'perRow' ? o.budget.k * m : rowsAllowed(o.budget.rho, m) * n);
      const F = new Uint8Array(m * n);
      const rowCount = new Int32Array(m);
      let rowsUsed = 0;
      let cur = cleanLoss, curParams: IsingParams | null = clean;
      const R = o.budget.kind === 'fraction' ? rowsAllowed(o.budget.rho, m) : m;
      const kRow = o.budget.kind === 'perRow' ? o.budget.k : n;
      let flips = 0;
      for (let step = 0; flips < maxFlips; step++) {
        abort();
        // feasible single toggles: undo a flip, or add one where the row's budget (and, for ρ, the row count) allows
        let cand: number[] = [];
        for (let q = 0; q < m * n; q++) {
          const r = Math.floor(q / n);
          if (F[q]) cand.push(q);
          else if (rowCount[r]! < kRow && (rowCount[r]! > 0 || rowsUsed < R)) cand.push(q);
        }
        if (obj && cand.length > cap) {
          const S = Float64Array.from(F);
          const { grad } = obj.grad(S);
          gradients++;
          const gain = (q: number): number => (F[q] ? -grad[q]! : grad[q]!);
          cand = cand.sort((a, c) => gain(c) - gain(a) || a - c).slice(0, cap);
        }
        let bq = -1, bl = cur, bp: IsingParams | null = null;
        for (const q of cand) {
          F[q]! ^= 1;
          const s = score(F);
          F[q]! ^= 1;
          if (s.loss > bl) { bl = s.loss; bq = q; bp = s.params; }
        }
        if (bq < 0) break;
        const r = Math.floor(bq / n);
        F[bq]! ^= 1;
        if (F[bq]) { if (rowCount[r]!++ === 0) rowsUsed++; flips++; }
        else { if (--rowCount[r]! === 0) rowsUsed--; flips--; }
        cur = bl; curParams = bp;
        o.onProgress?.(flips, maxFlips, { loss: cur });
      }
      best = { F, loss: cur, params: curParams };
      break;
    }
    default:
      throw new Error(`unknown attack method '${String(o.method)}' (random|fgsm|pgd|greedy)`);
  }
  if (best.params === null) {
    // the estimator failed on the chosen D′ (only possible for the random baseline): report it as such
    throw new Error(`attack: the estimator failed on the ${o.method} attack's data (e.g. a spin became constant)`);
  }
  const st = maskStats(best.F, m, n);
  return {
    method: o.method, data: applyFlips(data, best.F), flips: best.F, flipCount: st.flips, rowsChanged: st.rows,
    loss: best.loss, cleanLoss, params: best.params, cleanParams: clean,
    evaluations, gradients, seconds: now() - t0, improved: st.flips > 0,
  };
}
