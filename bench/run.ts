// The bench runner (npm run bench → scripts/bench.mjs bundles this and every bench/*.bench.ts,
// bench/peers/*.bench.ts into .bench/ and runs it). Times each case several times, prints a
// markdown table (or JSON lines with --json), and writes .bench/results.json.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';
import type { BenchCase, BenchModule, BenchResult } from './types.js';

interface Args { json: boolean; quick: boolean; only: string[] | null; impl: string[] | null; out: string }

const USAGE = `usage: npm run bench -- [--json] [--quick] [--only matmul|train|sample|em|enum[,…]] [--impl substr[,…]] [--out file]`;

function parseArgs(argv: string[], outDefault: string): Args {
  const a: Args = { json: false, quick: false, only: null, impl: null, out: outDefault };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`option ${s}: expected a value\n${USAGE}`);
      return v;
    };
    if (s === '--json') a.json = true;
    else if (s === '--quick') a.quick = true;
    else if (s === '--only') a.only = value().split(',').filter(Boolean);
    else if (s === '--impl') a.impl = value().split(',').filter(Boolean);
    else if (s === '--out') a.out = value();
    else if (s === '--help' || s === '-h') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    else throw new Error(`unknown option ${s}\n${USAGE}`);
  }
  return a;
}

const now = (): number => performance.now();

function median(xs: number[]): number {
  const s = xs.slice().sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

async function call(fn: () => unknown): Promise<void> {
  const r = fn() as { then?: unknown } | undefined;
  if (r && typeof r.then === 'function') await r;
}

/** Time one case: warm up, pick an inner loop count so that one sample lasts ≥ ~20 ms, repeat. */
async function timeCase(c: BenchCase, repeats: number): Promise<number[]> {
  if (c.measure) return c.measure(repeats);
  let t0 = now();
  await call(c.fn);
  let t = now() - t0;
  if (t < 200) { t0 = now(); await call(c.fn); t = now() - t0; }
  const inner = Math.max(1, Math.min(10_000, Math.ceil(20 / Math.max(t, 1e-3))));
  // A per-case budget of ~60 s: very slow cases (a slow peer) get fewer repeats (at least 2).
  const reps = Math.max(2, Math.min(repeats, Math.floor(60_000 / Math.max(t, 1e-3))));
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    t0 = now();
    for (let i = 0; i < inner; i++) await call(c.fn);
    times.push((now() - t0) / inner);
  }
  return times;
}

function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '';
  if (x >= 100) return x.toFixed(1);
  return x.toPrecision(digits);
}

interface Ratio { bench: string; shape: string; impl: string; threads: number; peer: string; peer_threads: number; speedup: number }

/** Peer time / spindiff time for (spindiff impl, peer) pairs at the same bench and shape. */
function ratios(results: BenchResult[]): Ratio[] {
  const out: Ratio[] = [];
  const ok = results.filter((r) => !r.skipped);
  for (const ours of ok.filter((r) => r.impl.startsWith('spindiff'))) {
    for (const peer of ok.filter((r) => !r.impl.startsWith('spindiff'))) {
      if (peer.bench !== ours.bench || peer.shape !== ours.shape) continue;
      // Same thread count, except single-threaded peers (tfjs), which every spindiff row faces.
      if (peer.threads !== ours.threads && peer.impl === 'torch') continue;
      out.push({ bench: ours.bench, shape: ours.shape, impl: ours.impl, threads: ours.threads, peer: peer.impl,
        peer_threads: peer.threads, speedup: peer.ms_median / ours.ms_median });
    }
  }
  return out;
}

function markdown(results: BenchResult[], rs: Ratio[]): string {
  const lines = ['| bench | impl | threads | shape | ms min | ms median | GFLOP/s (median) |', '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    if (r.skipped) lines.push(`| ${r.bench} | ${r.impl} | ${r.threads} | ${r.shape} | skipped: ${r.skipped} | | |`);
    else lines.push(`| ${r.bench} | ${r.impl} | ${r.threads} | ${r.shape} | ${fmt(r.ms_min)} | ${fmt(r.ms_median)} | ${fmt(r.gflops_median)} |`);
  }
  if (rs.length) {
    lines.push('', 'Ratios: peer median time / spindiff median time (> 1: spindiff is faster).', '',
      '| bench | shape | spindiff impl (threads) | peer (threads) | ratio |', '|---|---|---|---|---|');
    for (const q of rs) lines.push(`| ${q.bench} | ${q.shape} | ${q.impl} (${q.threads}) | ${q.peer} (${q.peer_threads}) | ${q.speedup.toFixed(2)} |`);
  }
  return lines.join('\n');
}

function findBenchFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && (e.name === 'peers')) walk(join(d, e.name));
      else if (e.isFile() && e.name.endsWith('.bench.js')) files.push(join(d, e.name));
    }
  };
  walk(dir);
  return files.sort();
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const args = parseArgs(process.argv.slice(2), join(here, 'results.json'));
  const log = (s: string): void => { process.stderr.write(s + '\n'); };
  const opts = { quick: args.quick };
  const results: BenchResult[] = [];
  const seenGroups = new Set<string>(), seenImpls = new Set<string>();
  const meta = (): object => ({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavg: loadavg() });
  mkdirSync(dirname(args.out), { recursive: true });
  const save = (rs: BenchResult[], extra: object = {}): void => {
    writeFileSync(args.out, JSON.stringify({ meta: meta(), results: rs, ...extra }, null, 1) + '\n');
  };
  for (const file of findBenchFiles(here)) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: BenchModule };
    if (typeof mod.default !== 'function') throw new Error(`${relative(here, file)}: default export must be a function returning BenchCase[]`);
    let cases = await mod.default(opts);
    for (const c of cases) { seenGroups.add(c.group); seenImpls.add(c.impl); }
    if (args.only) cases = cases.filter((c) => args.only!.includes(c.group));
    if (args.impl) cases = cases.filter((c) => args.impl!.some((s) => c.impl.includes(s)));
    for (const c of cases) {
      const base = { bench: c.group, impl: c.impl, name: c.name, threads: c.threads ?? 1, shape: c.shape ?? c.name };
      let res: BenchResult;
      if (c.skip) {
        res = { ...base, repeats: 0, ms_min: NaN, ms_median: NaN, skipped: c.skip };
        log(`skip  ${c.group} ${c.impl} ${base.shape}: ${c.skip}`);
      } else {
        const repeats = c.repeats ?? (args.quick ? 3 : 7);
        try {
          if (c.setup) await c.setup();
          const times = await timeCase(c, repeats);
          if (c.teardown) await c.teardown();
          const msMin = Math.min(...times), msMed = median(times);
          res = { ...base, repeats: times.length, ms_min: msMin, ms_median: msMed };
          if (c.flops) { res.gflops_median = c.flops / msMed / 1e6; res.gflops_max = c.flops / msMin / 1e6; }
          log(`done  ${c.group} ${c.impl} t=${base.threads} ${base.shape}: median ${fmt(msMed)} ms`);
        } catch (e) {
          res = { ...base, repeats: 0, ms_min: NaN, ms_median: NaN, skipped: `error: ${(e as Error).message.split('\n')[0]}` };
          log(`error ${c.group} ${c.impl} ${base.shape}: ${(e as Error).message}`);
        }
      }
      results.push(res);
      if (args.json) process.stdout.write(JSON.stringify(res) + '\n');
      save(results); // after every case, so an interrupted run keeps what it measured
    }
  }
  if (results.length === 0) {
    throw new Error(`no bench case matched${args.only ? ` --only ${args.only.join(',')}` : ''}${args.impl ? ` --impl ${args.impl.join(',')}` : ''} (groups: ${[...seenGroups].sort().join(', ')}; impls: ${[...seenImpls].sort().join(', ')})`);
  }
  const rs = ratios(results);
  if (args.json) for (const q of rs) process.stdout.write(JSON.stringify({ kind: 'ratio', ...q }) + '\n');
  else process.stdout.write(markdown(results, rs) + '\n');
  save(results, { ratios: rs });
  log(`results written to ${args.out} (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  // Worker threads and wasm peers may keep the event loop alive.
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});
