/**
 * Generator settings recorded in TrainConfig (and so in checkpoints), and the trainer objectives
 * of the discrete generators. The analog-bits ε-MSE lives in train.ts (epsObjective).
 */
import type { Rng } from '../../random/index.js';
import type { NoiseMLP } from '../network.js';
import type { ScheduleKind } from '../schedule.js';
import { makeSchedule } from '../schedule.js';
import type { GeneratorKind, TrainObjective } from '../train.js';
import { maskedLoss } from './masked.js';
import { d3pmLoss } from './d3pm.js';

export type GeneratorConfig =
  | { kind: 'ddpm' }
  /** Masked diffusion, linear α_t = 1 − t, continuous-time NELBO. */
  | { kind: 'masked' }
  /** Binary uniform D3PM on the DDPM schedule's β_t; hybrid loss L_vb + λ·CE. */
  | { kind: 'd3pm'; lambda: number; schedule: ScheduleKind };

export const GENERATOR_KINDS: readonly GeneratorKind[] = ['ddpm', 'masked', 'd3pm'];

/** λ of the hybrid loss: Austin et al. use 0.001 (the LANL scripts weight CE + 0.1·VB instead). */
export const D3PM_LAMBDA = 0.001;

/** The settings of a generator kind with its defaults. */
export function generatorConfig(kind: GeneratorKind, o: { lambda?: number; schedule?: ScheduleKind } = {}): GeneratorConfig {
  switch (kind) {
    case 'ddpm':
      return { kind };
    case 'masked':
      return { kind };
    case 'd3pm':
      return { kind, lambda: o.lambda ?? D3PM_LAMBDA, schedule: o.schedule ?? 'linear' };
    default:
      throw new Error(`unknown generator '${String(kind)}' (ddpm|masked|d3pm)`);
  }
}

export function validateGeneratorConfig(g: GeneratorConfig): void {
  if (!g || !GENERATOR_KINDS.includes(g.kind)) throw new Error(`generator must be one of ${GENERATOR_KINDS.join('|')}, got ${JSON.stringify(g?.kind ?? g)}`);
  if (g.kind === 'd3pm' && !(Number.isFinite(g.lambda) && g.lambda >= 0)) throw new Error(`generator d3pm: lambda must be ≥ 0, got ${g.lambda}`);
  if (g.kind === 'd3pm' && g.schedule !== 'linear' && g.schedule !== 'cosine') throw new Error(`generator d3pm: schedule must be linear|cosine, got ${String(g.schedule)}`);
}

/** Network head of each kind: masked reads (value, mask) per spin; both discrete kinds output 2 logits. */
export function generatorHead(kind: GeneratorKind): { inputChannels?: number; outputChannels?: number } {
  return kind === 'masked' ? { inputChannels: 2, outputChannels: 2 } : kind === 'd3pm' ? { inputChannels: 1, outputChannels: 2 } : {};
}

/** The D3PM β_t: those of the DDPM schedule of the same kind and T. */
export function d3pmSchedule(g: GeneratorConfig & { kind: 'd3pm' }, T: number) {
  return makeSchedule({ kind: g.schedule, T });
}

/** The trainer objective of a discrete generator over T steps (D3PM; masked is continuous-time). */
export function makeDiscreteObjective(g: GeneratorConfig, T: number): TrainObjective {
  validateGeneratorConfig(g);
  const head = generatorHead(g.kind);
  switch (g.kind) {
    case 'masked':
      return { kind: 'masked', head, loss: (net: NoiseMLP, x0: Float32Array, B: number, rng: Rng) => maskedLoss(net, x0, B, rng) };
    case 'd3pm': {
      const sched = d3pmSchedule(g, T);
      return { kind: 'd3pm', head, loss: (net: NoiseMLP, x0: Float32Array, B: number, rng: Rng) => d3pmLoss(net, sched, g.lambda, x0, B, rng) };
    }
    default:
      throw new Error(`makeDiscreteObjective: '${g.kind}' is not a discrete generator`);
  }
}
