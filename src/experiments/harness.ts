/**
 * The experiment harness. An experiment is a list of independent (setting, seed) jobs and a pure
 * summary of their results. Because every job draws its randomness only from its own (setting,
 * seed) and the summary depends only on the set of job records, a sweep can be cut into shards
 * that run anywhere (`shard i/N` takes every N-th job), and merging the shards' records gives
 * exactly the result of an unsharded run.
 */
import { at } from '../util/checked.js';
import type { LoopHooks } from '../util/abort.js';
import type { OffThreadSampling } from '../diffusion/augment.js';

export type PresetName = 'quick' | 'paper';
export type Setting = Record<string, number | string>;

export interface Job {
  /** Unique within the experiment for a given preset: setting and seed, as text. */
  key: string;
  setting: Setting;
  seed: number;
}

export interface JobRecord {
  key: string;
  setting: Setting;
  seed: number;
  /** JSON-serialisable result of the job. */
  result: Record<string, unknown>;
  seconds: number;
}

export interface Report {
  /** JSON-serialisable summary (tables of means and standard errors, curves). */
  data: Record<string, unknown>;
  /** The report in markdown, referring to the SVG files by name. */
  markdown: string;
  /** File name → SVG document. */
  svgs: Record<string, string>;
}

export interface JobContext extends LoopHooks {
  /**
   * Read a data file by path (the CLI provides it with node:fs, decompressing .gz); returns null
   * when the file does not exist. The library itself never touches the file system.
   */
  readText?: (path: string) => string | null;
  /** Where the diffusion runs sample (SamplePool: the same numbers); default: the calling thread. */
  sampling?: OffThreadSampling;
}

export interface Experiment<P = any> {
  name: string;
  title: string;
  presets: Record<PresetName, P>;
  /** A rough wall-time estimate on 2 cores, for the help text and the report. */
  estimate: Record<PresetName, string>;
  /** The jobs of a preset for the given seeds, in a deterministic order. */
  jobs(preset: P, seeds: number[]): Job[];
  runJob(job: Job, preset: P, ctx: JobContext): Promise<Record<string, unknown>>;
  /** Summary of whatever records are present (possibly a partial shard): pure. */
  summarize(preset: P, records: JobRecord[], meta: RunMeta): Report;
}

export interface Shard {
  /** 1-based index of this shard. */
  index: number;
  count: number;
}

export interface RunMeta {
  experiment: string;
  preset: PresetName;
  seeds: number[];
  /** Jobs the full (unsharded) run has. */
  totalJobs: number;
}

export interface RunResult {
  meta: RunMeta;
  shard: Shard | null;
  presetValues: unknown;
  records: JobRecord[];
  /** Keys of jobs of the full run not in `records` (other shards, or interrupted). */
  missing: string[];
  report: Report;
}

/** Parse "i/N" (1 ≤ i ≤ N). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard: expected i/N (e.g. 2/8), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new Error(`--shard: need 1 ≤ i ≤ N, got ${index}/${count}`);
  return { index, count };
}

/** The jobs of one shard: job j goes to shard (j mod N) + 1, which spreads costly settings. */
export function shardJobs(jobs: Job[], shard: Shard | null): Job[] {
  if (!shard) return jobs;
  return jobs.filter((_, j) => j % shard.count === shard.index - 1);
}

/** Seeds 1..K. */
export function seedList(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i + 1);
}

/** A stable job key: settings sorted by name, then the seed. */
export function jobKey(setting: Setting, seed: number): string {
  const parts = Object.keys(setting)
    .sort()
    .map((k) => `${k}=${setting[k]}`);
  parts.push(`seed=${seed}`);
  return parts.join(',');
}

/** The cartesian product of settings with the seeds, in order. */
export function gridJobs(settings: Setting[], seeds: number[]): Job[] {
  const out: Job[] = [];
  for (const setting of settings) for (const seed of seeds) out.push({ key: jobKey(setting, seed), setting, seed });
  return out;
}

/** A 32-bit seed mixing the job's seed with its setting, so that jobs draw independent streams. */
export function jobSeed(job: Job, salt = 0): number {
  let h = 2166136261 ^ salt;
  for (const ch of job.key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h ^ Math.imul(job.seed, 0x9e3779b1)) >>> 0;
}

function sortRecords(records: JobRecord[], order: Job[]): JobRecord[] {
  const pos = new Map(order.map((j, i) => [j.key, i]));
  return [...records].sort((a, b) => (pos.get(a.key) ?? 1e9) - (pos.get(b.key) ?? 1e9));
}

export interface RunOptions extends JobContext {
  preset: PresetName;
  seeds: number[];
  shard?: Shard | null;
  /** Override preset values (e.g. for tests): shallow-merged over the preset. */
  overrides?: Record<string, unknown>;
  /** Called after each job with its record (e.g. to save progress). */
  onJob?: (rec: JobRecord, done: number, total: number) => void;
  /** A clock in milliseconds (injected: the library never reads the process). */
  now?: () => number;
}

/** Run an experiment (or one shard of it) and summarise. */
export async function runExperiment<P>(exp: Experiment<P>, o: RunOptions): Promise<RunResult> {
  const presetValues = { ...(exp.presets[o.preset] as object), ...(o.overrides ?? {}) } as P;
  const all = exp.jobs(presetValues, o.seeds);
  const keys = new Set<string>();
  for (const j of all) {
    if (keys.has(j.key)) throw new Error(`${exp.name}: duplicate job key ${j.key}`);
    keys.add(j.key);
  }
  const mine = shardJobs(all, o.shard ?? null);
  const now = o.now ?? (() => 0);
  const records: JobRecord[] = [];
  for (const [i, job] of mine.entries()) {
    if (o.signal?.aborted) break;
    const t0 = now();
    const result = await exp.runJob(job, presetValues, {
      signal: o.signal,
      ...(o.readText ? { readText: o.readText } : {}),
      ...(o.sampling ? { sampling: o.sampling } : {}),
      onProgress: o.onProgress ? (d, t, info) => o.onProgress!(i + (t > 0 ? d / t : 0), mine.length, info) : undefined,
    });
    const rec: JobRecord = { key: job.key, setting: job.setting, seed: job.seed, result, seconds: (now() - t0) / 1000 };
    records.push(rec);
    o.onProgress?.(i + 1, mine.length);
    o.onJob?.(rec, i + 1, mine.length);
  }
  const meta: RunMeta = { experiment: exp.name, preset: o.preset, seeds: o.seeds, totalJobs: all.length };
  const done = new Set(records.map((r) => r.key));
  return {
    meta,
    shard: o.shard ?? null,
    presetValues,
    records,
    missing: all.filter((j) => !done.has(j.key)).map((j) => j.key),
    report: exp.summarize(presetValues, records, meta),
  };
}

/** What is saved as results.json (a RunResult without the rendered report files). */
export interface SavedRun {
  format: 'spindiff-experiment/1';
  meta: RunMeta;
  shard: Shard | null;
  presetValues: unknown;
  records: JobRecord[];
  missing: string[];
  summary: Record<string, unknown>;
}

export function toSaved(r: RunResult): SavedRun {
  return { format: 'spindiff-experiment/1', meta: r.meta, shard: r.shard, presetValues: r.presetValues, records: r.records, missing: r.missing, summary: r.report.data };
}

/**
 * Merge shard outputs: they must be of the same experiment, preset, preset values and seeds.
 * A job present in several shards must have the same result (it is deterministic). The merged
 * summary is computed from the union of the records, in the unsharded job order.
 */
export function mergeRuns<P>(exp: Experiment<P>, runs: { name: string; run: SavedRun }[]): RunResult {
  if (runs.length === 0) throw new Error('merge: no inputs');
  const first = at(runs, 0, 'merge inputs');
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const { name, run } of runs) {
    if (run.format !== 'spindiff-experiment/1') throw new Error(`${name}: not a spindiff experiment result (format '${String(run.format)}')`);
    if (run.meta.experiment !== exp.name) throw new Error(`${name}: experiment '${run.meta.experiment}', expected '${exp.name}'`);
    if (run.meta.preset !== first.run.meta.preset) throw new Error(`${name}: preset '${run.meta.preset}' differs from ${first.name}'s '${first.run.meta.preset}'`);
    if (!same(run.meta.seeds, first.run.meta.seeds)) throw new Error(`${name}: seeds differ from ${first.name}'s`);
    if (!same(run.presetValues, first.run.presetValues)) throw new Error(`${name}: preset values differ from ${first.name}'s`);
  }
  const presetValues = first.run.presetValues as P;
  const all = exp.jobs(presetValues, first.run.meta.seeds);
  const byKey = new Map<string, JobRecord>();
  for (const { name, run } of runs) {
    for (const rec of run.records) {
      const prev = byKey.get(rec.key);
      if (prev && !same(prev.result, rec.result)) throw new Error(`${name}: job ${rec.key} has a different result than in another input`);
      if (!prev) byKey.set(rec.key, rec);
    }
  }
  const records = sortRecords([...byKey.values()], all);
  const meta: RunMeta = { ...first.run.meta, totalJobs: all.length };
  return {
    meta,
    shard: null,
    presetValues,
    records,
    missing: all.filter((j) => !byKey.has(j.key)).map((j) => j.key),
    report: exp.summarize(presetValues, records, meta),
  };
}

// ---- small statistics used by the summaries ----

export interface MeanSe {
  mean: number;
  se: number;
  n: number;
}

/** Mean and standard error of the mean (sample std / √n; se = 0 for n = 1). */
export function meanSe(xs: number[]): MeanSe {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, se: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, se: 0, n };
  const s2 = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(s2 / n), n };
}

/** Group records by a function of the setting, keeping first-seen order. */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const arr = m.get(k);
    if (arr) arr.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Format a number for a markdown table. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return '—';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

export function fmtMeanSe(m: MeanSe, digits = 3): string {
  if (m.n === 0) return '—';
  return m.n > 1 ? `${fmt(m.mean, digits)} ± ${fmt(m.se, 2)}` : fmt(m.mean, digits);
}

/** A markdown table. */
export function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The common header of every report: what ran, and what is missing. */
export function reportHeader(title: string, meta: RunMeta, records: JobRecord[], presetValues: unknown): string {
  const secs = records.reduce((a, r) => a + r.seconds, 0);
  const lines = [
    `# ${title}`,
    '',
    `Experiment \`${meta.experiment}\`, preset \`${meta.preset}\`, seeds ${meta.seeds.join(', ')}; ${records.length} of ${meta.totalJobs} jobs present; job time ${secs.toFixed(1)} s in total.`,
  ];
  if (records.length < meta.totalJobs) lines.push('', `**Partial result:** ${meta.totalJobs - records.length} jobs are missing (other shards, or an interrupted run); merge all shards with \`spindiff experiment merge\`.`);
  lines.push('', '<details><summary>Preset values</summary>', '', '```json', JSON.stringify(presetValues, null, 1), '```', '', '</details>', '');
  return lines.join('\n');
}
