/**
 * spindiff experiment <fig2|…|fig6> --preset quick|paper --seeds K --out DIR [--shard i/N]
 * spindiff experiment merge DIR… --out DIR
 * spindiff experiment list
 * Results go to DIR as results.json (records + summary), report.md and SVG plots, each written
 * atomically; a shard writes the same files for its part, and merge recomputes the summary.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../args.js';
import type { CliContext, Command } from '../context.js';
import { Progress } from '../progress.js';
import { writeFileAtomic } from '../../io/atomic.js';
import {
  experimentNames, loadExperiment, mergeRuns, parseShard, runExperiment, seedList, toSaved,
  type PresetName, type RunResult, type SavedRun,
} from '../../experiments/index.js';
import { BACKEND_OPTION, THREADS_OPTION, chooseBackend, progressMode, samplePoolFor } from './common.js';
import { DataError } from '../../util/errors.js';
import { at } from '../../util/checked.js';
import { getBackend, setBackend } from '../../tensor/index.js';

/** Write a run's files into dir: SVGs and report first, results.json last (it marks completion). */
export function writeRunFiles(dir: string, r: RunResult): string[] {
  const files: string[] = [];
  for (const [name, svg] of Object.entries(r.report.svgs)) {
    if (!/^[\w.-]+\.svg$/.test(name)) throw new Error(`bad SVG file name '${name}'`);
    writeFileAtomic(join(dir, name), svg);
    files.push(name);
  }
  writeFileAtomic(join(dir, 'report.md'), r.report.markdown);
  writeFileAtomic(join(dir, 'results.json'), JSON.stringify(toSaved(r), null, 1) + '\n');
  files.push('report.md', 'results.json');
  return files;
}

/**
 * Data files for experiments: an absolute path, or relative to the working directory, or (for
 * the data shipped in the package, e.g. data/smoking) relative to the package root. `.gz` is
 * decompressed. null when absent.
 */
export function dataReader(cwd: string): (path: string) => string | null {
  return (path) => {
    const candidates = isAbsolute(path) ? [path] : [resolve(cwd, path)];
    if (!isAbsolute(path) && !path.startsWith('..')) {
      let dir = dirname(fileURLToPath(import.meta.url));
      for (let k = 0; k < 5; k++, dir = dirname(dir)) candidates.push(join(dir, path));
    }
    const hit = candidates.find((c) => existsSync(c));
    if (!hit) return null;
    const bytes = readFileSync(hit);
    return hit.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects (arrays and scalars replace). */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

function readSaved(dir: string): SavedRun {
  const path = join(dir, 'results.json');
  if (!existsSync(path)) throw new DataError(`${path}: not found (is ${dir} the --out folder of an experiment run?)`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new DataError(`${path}: not valid JSON (damaged, or still being written?)`);
  }
  if (v === null || typeof v !== 'object' || !Array.isArray((v as { records?: unknown }).records)) throw new DataError(`${path}: not the results.json of an experiment run`);
  return v as SavedRun;
}

const command: Command = {
  spec: {
    name: 'experiment',
    summary: "the paper's figures (fig2..fig6) and the studies (tails, robustness, estimators, generators); shard and merge sweeps",
    examples: [
      'spindiff experiment list',
      'spindiff experiment fig3 --preset quick --seeds 3 --out results/fig3',
      'spindiff experiment fig4 --preset paper --seeds 10 --shard 2/16 --out results/fig4/shard2',
      'spindiff experiment merge results/fig4/shard* --out results/fig4/all',
    ],
    positionals: '<fig2..fig6 | tails | generators | estimators | robustness | list | merge DIR…>',
    options: {
      preset: { type: 'string', help: 'quick (minutes on a laptop) or paper (the paper\'s settings; hours)', choices: ['quick', 'paper'], default: 'quick' },
      seeds: { type: 'int', help: 'number of seeds (ensembles), seeds 1..K', min: 1, max: 10000, default: 3 },
      out: { type: 'string', help: 'output folder (results.json, report.md, SVG plots)', meta: 'DIR' },
      shard: { type: 'string', help: 'run only shard i of N of the (setting, seed) jobs', meta: 'i/N' },
      set: { type: 'string', help: 'override preset values with a JSON object, deep-merged (e.g. \'{"samples":20000}\')', meta: 'JSON' },
      retina: { type: 'string', help: 'fig6: path of retina50.txt(.gz) (default ../shared/data/retina50/retina50.txt.gz; skipped if absent)', meta: 'FILE' },
      json: { type: 'boolean', help: 'print the summary as one JSON line on stdout' },
      progress: { type: 'boolean', help: 'progress every second when stderr is not a terminal (default: every 5 s)' },
      backend: { ...BACKEND_OPTION },
      threads: { ...THREADS_OPTION },
    },
  },
  async run(args, ctx: CliContext) {
    const [name, ...rest] = args.positionals;
    if (name === undefined) throw new UsageError(`name an experiment (${experimentNames.join(', ')}), 'merge' or 'list'`);
    if (name !== 'list' && name !== 'merge' && !(experimentNames as readonly string[]).includes(name)) {
      throw new UsageError(`unknown experiment '${name}' (${experimentNames.join(', ')}, merge, list)`);
    }
    if (name === 'list') {
      if (rest.length) throw new UsageError(`list: unexpected arguments ${rest.join(' ')}`);
      const width = Math.max(...experimentNames.map((n) => n.length)) + 2;
      for (const n of experimentNames) {
        const e = await loadExperiment(n);
        ctx.stdout(`${n.padEnd(width)}${e.title} (quick: ${e.estimate.quick}; paper: ${e.estimate.paper})\n`);
      }
      return 0;
    }
    const out = args['out'] as string | undefined;
    if (!out) throw new UsageError('missing required option --out');
    const outDir = resolve(ctx.cwd, out);
    if (name === 'merge') {
      if (rest.length === 0) throw new UsageError('merge: name the shard folders to merge');
      for (const d of rest) if (resolve(ctx.cwd, d) === outDir) throw new UsageError(`merge: --out ${out} is one of the folders to merge; choose a new folder`);
      const runs = rest.map((d) => ({ name: d, run: readSaved(resolve(ctx.cwd, d)) }));
      const exp = await loadExperiment(at(runs, 0, 'merged folders').run.meta?.experiment ?? '?');
      const merged = mergeRuns(exp, runs);
      writeRunFiles(outDir, merged);
      ctx.stderr(`merged ${rest.length} folders: ${merged.records.length} of ${merged.meta.totalJobs} jobs${merged.missing.length ? ` (missing: ${merged.missing.slice(0, 5).join('; ')}${merged.missing.length > 5 ? '…' : ''})` : ''} → ${out}\n`);
      if (args['json']) ctx.stdout(JSON.stringify(merged.report.data) + '\n');
      return merged.missing.length ? 3 : 0;
    }
    if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const exp = await loadExperiment(name);
    setBackend(await chooseBackend(args, ctx));
    const preset = args['preset'] as PresetName;
    const shard = args['shard'] !== undefined ? (() => {
      try {
        return parseShard(args['shard'] as string);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    })() : null;
    const seeds = seedList(args['seeds'] as number);
    let overrides: Record<string, unknown> | undefined;
    if (args['set'] !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(args['set'] as string);
      } catch (e) {
        throw new UsageError(`--set: invalid JSON: ${(e as Error).message}`);
      }
      if (!isObject(parsed)) throw new UsageError('--set: expected a JSON object');
      const base = exp.presets[preset] as Record<string, unknown>;
      for (const k of Object.keys(parsed)) if (!(k in base)) throw new UsageError(`--set: '${k}' is not a preset value of ${name} (known: ${Object.keys(base).join(', ')})`);
      overrides = deepMerge(base, parsed) as Record<string, unknown>;
    }
    if (args['retina'] !== undefined) {
      if (name !== 'fig6') throw new UsageError('--retina applies to fig6 only');
      const base = (overrides ?? exp.presets[preset]) as { datasets: { name: string; path: string }[] };
      overrides = { ...base, datasets: base.datasets.map((d) => (d.name === 'retina50' ? { ...d, path: args['retina'] as string } : d)) };
    }
    const bar = new Progress({ total: 1000, label: `${name} (${preset})`, write: ctx.stderr, ...progressMode(ctx, Boolean(args['progress'])) });
    let last = 0;
    // The diffusion runs sample by row shards on one worker per thread (the same numbers).
    const sampling = await samplePoolFor(getBackend());
    const r = await runExperiment(exp, {
      preset,
      seeds,
      shard,
      ...(overrides ? { overrides } : {}),
      readText: dataReader(ctx.cwd),
      ...(sampling ? { sampling } : {}),
      signal: ctx.signal,
      now: () => Date.now(),
      onProgress: (done, total, info) => {
        const pos = Math.floor((1000 * done) / Math.max(total, 1));
        const extra = info ? Object.entries(info).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(' ') : undefined;
        bar.tick(pos - last, extra);
        last = pos;
      },
    }).finally(() => sampling?.close());
    bar.end();
    if (ctx.signal.aborted) {
      // No partial results: a results.json always holds the whole run (or shard) asked for.
      ctx.stderr(`${name}: interrupted after ${r.records.length} jobs; nothing written (split long runs with --shard i/N)\n`);
      return 130;
    }
    writeRunFiles(outDir, r);
    ctx.stderr(`${name}: ${r.records.length} jobs${shard ? ` (shard ${shard.index}/${shard.count})` : ''} → ${out}/report.md\n`);
    if (args['json']) ctx.stdout(JSON.stringify(r.report.data) + '\n');
    return 0;
  },
};

export default command;
