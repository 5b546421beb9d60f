import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import {
  gridJobs, jobSeed, meanSe, mergeRuns, parseShard, runExperiment, shardJobs, toSaved, seedList,
  type Experiment,
} from '../../src/experiments/harness.js';

/** A toy experiment: the mean of k normals for k in a list; its summary is the mean over seeds. */
const toy: Experiment<{ ks: number[] }> = {
  name: 'toy',
  title: 'Toy',
  presets: { quick: { ks: [10, 100, 1000] }, paper: { ks: [10, 100, 1000, 10000] } },
  estimate: { quick: '0 s', paper: '0 s' },
  jobs: (p, seeds) => gridJobs(p.ks.map((k) => ({ k })), seeds),
  async runJob(job) {
    const r = new Rng(jobSeed(job));
    let s = 0;
    const k = job.setting['k'] as number;
    for (let i = 0; i < k; i++) s += r.normal();
    return { mean: s / k };
  },
  summarize(p, records) {
    const rows = p.ks.map((k) => ({ k, ...meanSe(records.filter((r) => r.setting['k'] === k).map((r) => r.result['mean'] as number)) }));
    return { data: { rows }, markdown: JSON.stringify(rows), svgs: {} };
  },
};

describe('sharding', () => {
  it('parses i/N and rejects bad shards', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(() => parseShard('0/3')).toThrow(/1 ≤ i ≤ N/);
    expect(() => parseShard('4/3')).toThrow();
    expect(() => parseShard('a/3')).toThrow(/i\/N/);
  });

  it('shards partition the job list for any N', () => {
    const jobs = gridJobs([{ a: 1 }, { a: 2 }, { a: 3 }], seedList(5));
    for (let N = 1; N <= 17; N++) {
      const keys = [];
      for (let i = 1; i <= N; i++) keys.push(...shardJobs(jobs, { index: i, count: N }).map((j) => j.key));
      expect(keys.sort()).toEqual(jobs.map((j) => j.key).sort());
    }
  });

  it('merging shards gives the same result as an unsharded run', async () => {
    const seeds = seedList(3);
    const full = await runExperiment(toy, { preset: 'quick', seeds });
    expect(full.missing).toEqual([]);
    const shards: Awaited<ReturnType<typeof runExperiment>>[] = [];
    for (let i = 1; i <= 4; i++) shards.push(await runExperiment(toy, { preset: 'quick', seeds, shard: { index: i, count: 4 } }));
    expect(shards.reduce((a, s) => a + s.records.length, 0)).toBe(9);
    expect(shards[0]!.missing.length).toBeGreaterThan(0);
    // Round-trip through JSON, as the files on disk do, and merge in a scrambled order.
    const saved = [3, 1, 0, 2].map((i) => ({ name: `shard${i}`, run: JSON.parse(JSON.stringify(toSaved(shards[i]!))) }));
    const merged = mergeRuns(toy, saved);
    expect(merged.missing).toEqual([]);
    const strip = (r: typeof full) => ({ ...toSaved(r), records: r.records.map((x) => ({ ...x, seconds: 0 })) });
    expect(strip(merged)).toEqual(strip(full));
    expect(merged.report.markdown).toBe(full.report.markdown);
  });

  it('merge refuses inputs that do not belong together', async () => {
    const a = toSaved(await runExperiment(toy, { preset: 'quick', seeds: [1], shard: { index: 1, count: 2 } }));
    const b = toSaved(await runExperiment(toy, { preset: 'paper', seeds: [1], shard: { index: 2, count: 2 } }));
    expect(() => mergeRuns(toy, [{ name: 'a', run: a }, { name: 'b', run: b }])).toThrow(/b: preset 'paper'/);
    const c = toSaved(await runExperiment(toy, { preset: 'quick', seeds: [1, 2] }));
    expect(() => mergeRuns(toy, [{ name: 'a', run: a }, { name: 'c', run: c }])).toThrow(/c: seeds differ/);
    const tampered = JSON.parse(JSON.stringify(a));
    tampered.records[0].result.mean += 1;
    expect(() => mergeRuns(toy, [{ name: 'a', run: a }, { name: 't', run: tampered }])).toThrow(/different result/);
  });
});

describe('meanSe', () => {
  it('matches the closed form for a known sample', () => {
    const m = meanSe([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.se).toBeCloseTo(Math.sqrt(5 / 3 / 4), 14);
    expect(meanSe([7]).se).toBe(0);
    expect(meanSe([]).n).toBe(0);
  });
});
