/**
 * The paper's experiments on tiny settings: the plumbing, not the science. Each runs end to end,
 * its summary survives a JSON round trip, its SVGs are well-formed, and (fig3, fig5) shards merge
 * to exactly the unsharded result.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mergeRuns, runExperiment, toSaved, type Experiment, type RunResult } from '../../src/experiments/harness.js';
import { fig2 } from '../../src/experiments/fig2.js';
import { fig3 } from '../../src/experiments/fig3.js';
import { fig4 } from '../../src/experiments/fig4.js';
import { fig5 } from '../../src/experiments/fig5.js';
import { fig6, selectColumns } from '../../src/experiments/fig6.js';
import type { DiffusionSettings } from '../../src/experiments/pipeline.js';
import { checkSvg, walk } from '../plot/xml.js';

const tinyDiffusion: DiffusionSettings = { net: 'tiny', network: { widths: [16, 16], timeDim: 8 }, iterations: 20, evalEvery: 10, evalSamples: 64, sampler: { steps: 5, batch: 256 } };

function checkReport(r: RunResult): void {
  const saved = JSON.parse(JSON.stringify(toSaved(r)));
  expect(saved.records.length).toBe(r.records.length);
  expect(r.report.markdown).toMatch(/^# Fig\./);
  for (const [name, svg] of Object.entries(r.report.svgs)) {
    expect(() => checkSvg(svg), name).not.toThrow();
    expect(r.report.markdown).toContain(`(${name})`);
  }
}

const strip = (r: RunResult) => ({ ...toSaved(r), records: r.records.map((x) => ({ ...x, seconds: 0 })) });

async function shardsMerge<P>(exp: Experiment<P>, overrides: Record<string, unknown>, seeds: number[], N: number): Promise<RunResult> {
  const full = await runExperiment(exp, { preset: 'quick', seeds, overrides });
  const parts: RunResult[] = [];
  for (let i = 1; i <= N; i++) parts.push(await runExperiment(exp, { preset: 'quick', seeds, overrides, shard: { index: i, count: N } }));
  const merged = mergeRuns(exp, parts.map((p, i) => ({ name: `s${i}`, run: JSON.parse(JSON.stringify(toSaved(p))) })));
  expect(strip(merged)).toEqual(strip(full));
  expect(merged.report.markdown).toBe(full.report.markdown);
  return full;
}

describe('experiments on tiny settings', () => {
  it('fig5: baselines, diversity, and shards merging to the unsharded result', async () => {
    const full = await shardsMerge(fig5, { n: 6, Ms: [200], samples: 400, models: ['rbm', 'gan'], rbm: { epochs: 3 }, gan: { epochs: 2 } }, [1, 2], 2);
    checkReport(full);
    const rows = full.report.data['rows'] as { model: string }[];
    expect(rows.map((r) => r.model)).toEqual(['rbm', 'gan']);
    const scatter = checkSvg(full.report.svgs['fig5a_scatter.svg']!);
    // 2 panels × (observed + aug) series with n(n−1)/2 = 15 couplings each.
    const series = walk(scatter).filter((e) => e.attrs['class'] === 'series');
    expect(series.length).toBe(4);
    expect(series.every((s) => s.attrs['data-points'] === '15')).toBe(true);
  });

  it('fig3 with the diffusion model: shards merge to the unsharded result', async () => {
    const full = await shardsMerge(fig3, { n: 6, gs: [1], M: 200, samples: 300, diffusion: tinyDiffusion }, [1, 2], 2);
    checkReport(full);
    const row = (full.report.data['rows'] as { seeds: number; mse_obs: { mean: number } }[])[0]!;
    expect(row.seeds).toBe(2);
    expect(Number.isFinite(row.mse_obs.mean)).toBe(true);
  });

  it('fig2 and fig4 run and report', async () => {
    const r2 = await runExperiment(fig2, { preset: 'quick', seeds: [1], overrides: { n: 6, M: 200, samples: 200, diffusion: { ...tinyDiffusion, stopRule: { patience: 1e9 } } } });
    checkReport(r2);
    expect((r2.report.data['curve'] as unknown[]).length).toBe(2);
    const r4 = await runExperiment(fig4, { preset: 'quick', seeds: [1], overrides: { ns: [6], Ms: [100, 200], MforSamples: [200], samples: [100, 300], diffusion: [tinyDiffusion] } });
    checkReport(r4);
    expect((r4.report.data['vs_samples'] as unknown[]).length).toBe(2);
  });

  it('fig6 reads data by path, skips a missing file with a message', async () => {
    const smoking = readFileSync(new URL('../../data/smoking/smoking.txt', import.meta.url), 'utf8');
    const readText = (p: string) => (p.endsWith('smoking.txt') ? smoking : null);
    const r = await runExperiment(fig6, {
      preset: 'quick', seeds: [1], readText,
      overrides: { hidden: [2, 3], samples: 200, diffusion: tinyDiffusion, datasets: [{ name: 'smoking', path: 'data/smoking/smoking.txt', mostActive: 12, train: 200, test: 50, neverHide: [8, 18, 33, 36] }, { name: 'retina50', path: 'missing.txt.gz', mostActive: 40, train: 100, test: 50, neverHide: [] }] },
    });
    checkReport(r);
    expect(r.report.markdown).toMatch(/Skipped: missing\.txt\.gz not found/);
    const rows = (r.report.data['smoking'] as { rows: { acc_obs: { mean: number } }[] }).rows;
    for (const row of rows) expect(row.acc_obs.mean).toBeGreaterThan(0.5);
  });

  it('selectColumns keeps the most active columns in order', () => {
    const d = { n: 4, m: 3, s: Int8Array.from([1, -1, 1, -1, 1, -1, -1, -1, -1, 1, 1, -1]) };
    const r = selectColumns(d, 2);
    expect(r.columns).toEqual([0, 2]);
    expect(Array.from(r.data.s)).toEqual([1, 1, 1, -1, -1, 1]);
  });
});
