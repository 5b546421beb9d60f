import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiments/harness.js';
import { tails } from '../../src/experiments/tails.js';
import { sampleTails } from '../../src/diffusion/guidance-sampling.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { Rng } from '../../src/random/index.js';
import { energies, skParams } from '../../src/ising/index.js';

describe('tails experiment (oracle rows only, n = 8)', () => {
  it('weighting exact tempered draws by p/q_mix beats using them unweighted; report and figures are written', async () => {
    const r = await runExperiment(tails, { preset: 'quick', seeds: [1, 2], overrides: { n: 8, M: 800, extra: 2000, oracleOnly: true, estimators: ['ple'], reconConfigs: 50, hidden: 3 } });
    const rows = (r.report.data['inference'] as { data: string; weighted: boolean; est: Record<string, { mse: { mean: number } }> }[]);
    const get = (d: string, w: boolean) => rows.find((x) => x.data === d && x.weighted === w)!.est['ple']!.mse.mean;
    // Unweighted tempered draws bias the estimate (the exact calculation); the defensive weights remove it.
    expect(get('oracle tempered', true)).toBeLessThan(get('oracle tempered', false));
    expect(get('oracle tail', true)).toBeLessThan(get('oracle tail', false));
    expect(r.report.markdown).toContain('## Inference after augmentation');
    expect(Object.keys(r.report.svgs)).toEqual(['tails_energy_tail.svg', 'tails_energy_tempered.svg']);
  }, 60_000);
});

describe('sampleTails cost accounting and θ̂ requirements', () => {
  const n = 6;
  const net = new NoiseMLP({ n, widths: [8, 16], timeDim: 8, T: 1000, residual: true }, new Rng(1));
  const theta = skParams(n, 1, new Rng(2));
  const sampler = { sampler: 'ddim' as const, steps: 10, eta: 1, batch: 100 };

  it('rejection draws the pool through the network and keeps only E_θ̂ ≥ E_τ', async () => {
    const r = await sampleTails(net, 20, new Rng(3), { kind: 'rejection', sampler, thetaHat: theta, threshold: 0, pool: 200 });
    expect(r.cost.forwardRows).toBe(200 * 10);
    expect(energies(theta, r.data).every((e) => e >= 0)).toBe(true);
    expect(r.data.m).toBeLessThanOrEqual(20);
  });

  it('Tweedie guidance counts one VJP row per guided row and step (t ≤ tMax only)', async () => {
    const r = await sampleTails(net, 30, new Rng(3), { kind: 'tweedie', sampler, thetaHat: theta, scale: 0.1, tMax: 500 });
    expect(r.cost.forwardRows).toBe(30 * 10);
    expect(r.cost.gradRows).toBe(30 * 5); // DDIM τ = 0, 111, …, 999: five steps at t ≤ 500
    await expect(sampleTails(net, 5, new Rng(3), { kind: 'tweedie', sampler, scale: 0.1 })).rejects.toThrow(/θ̂/);
  });
});
