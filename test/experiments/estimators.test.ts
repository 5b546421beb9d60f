import { describe, expect, it } from 'vitest';
import { mergeRuns, runExperiment, toSaved } from '../../src/experiments/harness.js';
import { estimators, truthFor } from '../../src/experiments/estimators.js';
import { Rng } from '../../src/random/index.js';

const overrides = {
  truths: ['sk:1', 'lattice:0.5'],
  ns: [6],
  Ms: [200],
  methods: ['nmf', 'ple', 'rise', 'mle'],
  augment: { net: 'tiny', network: { widths: [16, 16], timeDim: 8 }, iterations: 20, evalEvery: 10, evalSamples: 64, steps: 5, ratio: 1 },
};

describe('experiment estimators (tiny settings: the plumbing)', () => {
  it('scores every method on observed and augmented data; F1 only for sparse truths; shards merge to the full run', async () => {
    const full = await runExperiment(estimators, { preset: 'quick', seeds: [1], overrides });
    expect(full.records.length).toBe(2);
    const cells = full.report.data['cells'] as { truth: string; methods: Record<string, { mse_obs: { mean: number }; mse_aug: { mean: number }; f1_obs: { n: number } }> }[];
    for (const c of cells) {
      for (const m of overrides.methods) {
        expect(Number.isFinite(c.methods[m]!.mse_obs.mean), `${c.truth} ${m}`).toBe(true);
        expect(Number.isFinite(c.methods[m]!.mse_aug.mean), `${c.truth} ${m}`).toBe(true);
        expect(c.methods[m]!.f1_obs.n).toBe(c.truth.startsWith('sk') ? 0 : 1);
      }
    }
    expect(full.report.markdown).toMatch(/Augmentation improves the best available estimator in \d of 2 cells/);
    const parts = [];
    for (let i = 1; i <= 2; i++) parts.push(await runExperiment(estimators, { preset: 'quick', seeds: [1], overrides, shard: { index: i, count: 2 } }));
    const merged = mergeRuns(estimators, parts.map((p, i) => ({ name: `s${i}`, run: JSON.parse(JSON.stringify(toSaved(p))) })));
    // identical estimates (times differ)
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' || k === 'augment_seconds' ? 0 : v)));
    expect(strip(merged.records.map((r) => r.result))).toEqual(strip(full.records.map((r) => r.result)));
  });

  it('truth labels: sk, lattice (n = rows × cols), er; unknown labels throw', () => {
    expect(truthFor('lattice:0.5', 20, new Rng(1)).n).toBe(20);
    expect(truthFor('er:3:0.5', 20, new Rng(1)).n).toBe(20);
    expect(() => truthFor('bogus:1', 5, new Rng(1))).toThrow(/unknown truth/);
  });
});
