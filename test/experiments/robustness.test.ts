// The robustness study on a toy preset: shards merge to the unsharded run, the report states the
// threat model and both settings, and the measures obey their definitions.
import { expect, it } from 'vitest';
import { mergeRuns, runExperiment, toSaved } from '../../src/experiments/harness.js';
import { robustness, minDecodingFlips, topCouplingF1 } from '../../src/experiments/robustness.js';
import { Rng } from '../../src/random/index.js';
import { skParams, completeExact } from '../../src/ising/index.js';
import { SamplePool } from '../../src/diffusion/shards.js';
import type { OffThreadSampling } from '../../src/diffusion/augment.js';
import { getBackend, setBackend } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';

const overrides = {
  n: 6, M: 150, generated: 100,
  diffusion: { net: 'tiny' as const, iterations: 10, batchSize: 32, sampler: { sampler: 'ddim' as const, steps: 4, eta: 1, batch: 1000 } },
  budgets: [{ kind: 'perRow' as const, k: 1 }],
  pgd: { steps: 2, restarts: 1, draws: 1 },
  pipelineSeeds: 1,
  decode: { samples: 10, hidden: 2, maxFlips: 2 },
};

it('robustness: toy run, shards merge exactly, the report has the threat model, both settings and decoding', async () => {
  const full = await runExperiment(robustness, { preset: 'quick', seeds: [1, 2], overrides });
  const parts = [];
  for (const index of [1, 2]) parts.push(await runExperiment(robustness, { preset: 'quick', seeds: [1, 2], overrides, shard: { index, count: 2 } }));
  const merged = mergeRuns(robustness, parts.map((p, i) => ({ name: `s${i}`, run: JSON.parse(JSON.stringify(toSaved(p))) })));
  const timeless = (md: string) => md.replace(/^Attack wall time.*$/m, '').replace(/job time [\d.]+ s/, '');
  expect(timeless(merged.report.markdown)).toBe(timeless(full.report.markdown));
  const md = full.report.markdown;
  for (const s of ['## Threat model', 'Setting (ii)', 'Setting (i)', '## Decoding task', '## Answer', '| pgd | k=1 | 2 |', '| fgsm-target |']) expect(md).toContain(s);
  expect(Object.keys(full.report.svgs)).toEqual(['robustness_mse_vs_budget.svg']);
  for (const rec of full.records) {
    const r = rec.result as { attacks: { method: string; loss: number; obs: { f1: number } }[]; decode: { obs: number }[] };
    const loss = (m: string) => r.attacks.find((a) => a.method === m)!.loss;
    expect(loss('pgd')).toBeGreaterThanOrEqual(loss('fgsm')); // PGD starts from FGSM's mask and keeps the best refit
    expect(r.decode[1]!.obs).toBeGreaterThanOrEqual(r.decode[0]!.obs); // success rate is monotone in k
  }
}, 60_000);

it.skipIf(!wasmSimdSupported())('robustness: the generators sample through the run\'s `sampling` (a SamplePool), with the same records', async () => {
  const before = getBackend();
  setBackend(await loadWasmBackend()); // where the pool samples (on js it declines)
  const pool = await SamplePool.start(2, { minRowSteps: 0 });
  try {
    let sharded = 0;
    const sampling: OffThreadSampling = { sample: async (...a) => { const r = await pool.sample(...a); if (r) sharded++; return r; } };
    const o = { preset: 'quick' as const, seeds: [1], overrides };
    const [here, there] = [await runExperiment(robustness, o), await runExperiment(robustness, { ...o, sampling })];
    expect(sharded).toBe(3); // the clean generator and setting (i)'s two on poisoned data (random and pgd at k = 1)
    const timeless = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'seconds' ? undefined : v)));
    expect(timeless(there.records.map((r) => r.result))).toEqual(timeless(here.records.map((r) => r.result)));
  } finally {
    pool.close();
    setBackend(before);
  }
}, 60_000);

it('topCouplingF1 is 1 for the truth itself and minDecodingFlips finds a change exactly when one exists', () => {
  const p = skParams(6, 1, new Rng(1));
  expect(topCouplingF1(p, p)).toBe(1);
  const s = Int8Array.from([1, -1, 1, 1, -1, 1]);
  const hidden = [0, 3];
  const k = minDecodingFlips(p, s, hidden, 4);
  // brute force: the smallest subset of visible spins whose flip changes the completion
  const base = new Int8Array(6), out = new Int8Array(6);
  completeExact(p, s, hidden, base);
  const vis = [1, 2, 4, 5];
  let best = Infinity;
  for (let mask = 1; mask < 16; mask++) {
    const x = Int8Array.from(s);
    let c = 0;
    vis.forEach((i, q) => { if (mask & (1 << q)) { x[i] = -x[i]!; c++; } });
    completeExact(p, x, hidden, out);
    if (hidden.some((i) => out[i] !== base[i])) best = Math.min(best, c);
  }
  expect(k).toBe(best);
});
