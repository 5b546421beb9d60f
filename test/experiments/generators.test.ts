import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiments/harness.js';
import { distributionStats, eaParams, generators } from '../../src/experiments/generators.js';
import { Rng } from '../../src/random/index.js';
import { checkSvg } from '../plot/xml.js';

describe('generators experiment', () => {
  it('distributionStats: TV, KL(p̂‖p), unique and memorised by hand on two spins', () => {
    // states 0..3 (bit i ↔ s_i = +1); p = (0.1, 0.2, 0.3, 0.4); samples: states 3, 3, 1, 0
    const p = Float64Array.from([0.1, 0.2, 0.3, 0.4]);
    const gen = { n: 2, m: 4, s: Int8Array.from([1, 1, 1, 1, 1, -1, -1, -1]) };
    const train = { n: 2, m: 1, s: Int8Array.from([1, 1]) };
    const st = distributionStats(p, gen, train);
    expect(st.tv).toBeCloseTo(0.5 * (Math.abs(0.1 - 0.25) + Math.abs(0.2 - 0.25) + 0.3 + Math.abs(0.4 - 0.5)), 12);
    expect(st.kl).toBeCloseTo(0.25 * Math.log(0.25 / 0.1) + 0.25 * Math.log(0.25 / 0.2) + 0.5 * Math.log(0.5 / 0.4), 12);
    expect(st.unique).toBe(3);
    expect(st.memorised).toBe(0.5);
  });

  it('eaParams: periodic lattice, 4 bonds of ±J per site, symmetric', () => {
    const p = eaParams(4, 1, 0.1, new Rng(1));
    for (let i = 0; i < 16; i++) {
      let deg = 0;
      for (let j = 0; j < 16; j++) {
        expect(p.w[i * 16 + j]).toBe(p.w[j * 16 + i]);
        if (p.w[i * 16 + j] !== 0) deg++;
      }
      expect(deg).toBe(4);
      expect(Math.abs(p.b[i]!)).toBe(0.1);
    }
  });

  it('runs end to end on a tiny setting (every family), with a well-formed report', async () => {
    const r = await runExperiment(generators, {
      preset: 'quick', seeds: [1],
      overrides: {
        truths: [{ name: 'sk5', kind: 'sk', n: 5, g: 1 }], cells: [{ truth: 'sk5', M: 60 }], net: 'tiny', iterations: 8, batch: 16,
        samples: 40, ddpm1000Samples: 4, ddpmSamplers: [{ label: 'DDIM-5', sampler: 'ddim', steps: 5, eta: 1 }], maskedSteps: 50, d3pmSteps: 5, boundRows: 10, maskedOrders: 1, d3pmDraws: 5, augmentSamples: 100, infer: [],
        rbm: { hidden: 4, epochs: 2 }, vae: { epochs: 2 },
      },
    });
    expect(r.records.length).toBe(5);
    const rows = r.report.data['rows'] as { label: string; tv: { mean: number }; tvFloor: { mean: number } }[];
    expect(rows.map((x) => x.label)).toEqual(['DDIM-5', 'masked-50', 'D3PM-5', 'RBM (Gibbs)', 'VAE']);
    for (const x of rows) expect(x.tv.mean).toBeGreaterThanOrEqual(0);
    for (const [name, svg] of Object.entries(r.report.svgs)) {
      expect(() => checkSvg(svg), name).not.toThrow();
      expect(r.report.markdown).toContain(`(${name})`);
    }
    JSON.parse(JSON.stringify(r.report.data));
  });
});
