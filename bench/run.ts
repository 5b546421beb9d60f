// The bench runner (npm run bench → scripts/bench.mjs bundles this and every bench/*.bench.ts,
// bench/peers/*.bench.ts into .bench/ and runs it). Cases that are compared (same group and
// shape: spindiff's backends and its peers) are timed in interleaved rounds — one sample of each
// per round, in a rotating order — so a change in machine load hits all of them alike. Each ratio
// comes with a 95% bootstrap interval over the repeats; thread scaling is reported next to
// PyTorch's own 1→2-thread scaling (and a plain-JS control), and as "machine busy" when the
// controls do not scale either. Prints a markdown table (or JSON lines with --json) and writes
// .bench/results.json (every sample and the load average at each round).
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';
import type { BenchCase, BenchModule, BenchResult } from './types.js';
import { median, medianInterval, perRound, ratioInterval } from './stats.js';

interface Args { json: boolean; quick: boolean; only: string[] | null; impl: string[] | null; out: string; repeats: number | null }

const USAGE = `usage: npm run bench -- [--json] [--quick] [--only matmul|train|sample|em|enum[,…]] [--impl substr[,…]] [--repeats N] [--out file]`;

function parseArgs(argv: string[], outDefault: string): Args {
  const a: Args = { json: false, quick: false, only: null, impl: null, out: outDefault, repeats: null };
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
    else if (s === '--repeats') {
      // Every case's samples (rounds), instead of its own default; a slow case still stops at 2 after ~60 s.
      const v = value();
      if (!/^[1-9][0-9]{0,2}$/.test(v)) throw new Error(`option --repeats: expected an integer 1..999, got '${v}'\n${USAGE}`);
      a.repeats = Number(v);
    }
    else if (s === '--help' || s === '-h') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    else throw new Error(`unknown option ${s}\n${USAGE}`);
  }
  return a;
}

const now = (): number => performance.now();

async function call(fn: () => unknown): Promise<void> {
  const r = fn() as { then?: unknown } | undefined;
  if (r && typeof r.then === 'function') await r;
}

/** Warm up and pick an inner loop count so that one sample lasts ≥ ~20 ms; returns it and the warm-up time. */
async function calibrate(c: BenchCase): Promise<{ inner: number; t: number }> {
  await call(() => c.before?.());
  let t0 = now();
  await call(c.fn);
  let t = now() - t0;
  if (t < 200) { t0 = now(); await call(c.fn); t = now() - t0; }
  return { inner: Math.max(1, Math.min(10_000, Math.ceil(20 / Math.max(t, 1e-3)))), t };
}

/**
 * One timed sample (ms per call): `inner` calls after one untimed call, or one value from the
 * case's own `measure`. The untimed call matches the peers' subprocesses, which warm up before
 * each sample (bench/peers/torch_bench.py `timed`): without it the first call after another
 * case ran — cold caches, sleeping worker threads — was timed for spindiff alone, and with
 * `inner` = 1 (a ~100 ms training step) it was the whole sample.
 */
async function sample(c: BenchCase, inner: number): Promise<number> {
  if (c.measure) return (await c.measure(1))[0]!;
  await call(() => c.before?.());
  await call(c.fn);
  const t0 = now();
  for (let i = 0; i < inner; i++) await call(c.fn);
  return (now() - t0) / inner;
}

function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '';
  if (x >= 100) return x.toFixed(1);
  return x.toPrecision(digits);
}

interface Ratio {
  bench: string; shape: string; impl: string; threads: number; peer: string; peer_threads: number;
  /** Peer median time / spindiff median time (> 1: spindiff is faster), with its 95% bootstrap interval. */
  speedup: number; lo: number; hi: number;
}

type Timed = BenchResult & { times_ms: number[] };

/** Peer time / spindiff time for (spindiff impl, peer) pairs at the same bench and shape. */
function ratios(results: Timed[]): Ratio[] {
  const out: Ratio[] = [];
  const ok = results.filter((r) => !r.skipped && r.times_ms.length > 0);
  for (const ours of ok.filter((r) => r.impl.startsWith('spindiff'))) {
    for (const peer of ok.filter((r) => !r.impl.startsWith('spindiff') && !r.impl.startsWith('control'))) {
      if (peer.bench !== ours.bench || peer.shape !== ours.shape) continue;
      // Same thread count, except single-threaded peers (tfjs), which every spindiff row faces.
      if (peer.threads !== ours.threads && peer.impl === 'torch') continue;
      const q = ratioInterval(peer.times_ms, ours.times_ms);
      out.push({ bench: ours.bench, shape: ours.shape, impl: ours.impl, threads: ours.threads, peer: peer.impl,
        peer_threads: peer.threads, speedup: q.ratio, lo: q.lo, hi: q.hi });
    }
  }
  return out;
}

/** The control cases' shape prefix (one pair of control rows per set they joined). */
const CONTROL_SHAPE = 'fixed work';

/** Below this 1→2-thread speed-up of a control, the machine has no second core to give. */
export const BUSY_SCALING = 1.4;

/** A round counts as quiet where the GEMM control (control-gemm) scales at least this much. */
export const QUIET_SCALING = 1.8;

interface Scaling {
  bench: string; shape: string; impl: string;
  /** time(1 thread) / time(2 threads), with its interval; null where the machine was busy. */
  scaling: number | null; lo: number | null; hi: number | null;
  /** The controls in the same run: PyTorch on this case, the plain-JS control and the wasm-SIMD control (bench/control.bench.ts). */
  torch: { scaling: number; lo: number; hi: number } | null;
  control: { scaling: number; lo: number; hi: number } | null;
  simd: { scaling: number; lo: number; hi: number } | null;
  /** The GEMM control: the backends' GEMM module on private problems, one thread per worker. */
  gemm: { scaling: number; lo: number; hi: number } | null;
  /**
   * Round by round, spindiff's 1→2 speed-up divided by the GEMM control's in the same round
   * (median, 95% interval over rounds): 1 is all that two cores gave to this kernel then.
   */
  relative: { scaling: number; lo: number; hi: number } | null;
  /** spindiff's 1→2 speed-up (median) over the quiet rounds only (GEMM control ≥ QUIET_SCALING), of all rounds. */
  quiet: { scaling: number | null; rounds: number; of: number } | null;
  verdict: 'scales' | 'machine busy' | 'no control';
}

/**
 * spindiff's 1→2-thread scaling (spindiff-wasm on one thread against spindiff-threads, or
 * spindiff-shards — sampling by row shards on two workers — on two)
 * per bench and shape, next to the controls measured in the same rounds. The machine counts as
 * busy when the plain-JS control (two independent loops on two workers) stays under BUSY_SCALING,
 * or, without it, when PyTorch's matmul at the largest shape does.
 */
function scalings(results: Timed[]): Scaling[] {
  const ok = results.filter((r) => !r.skipped && r.times_ms.length > 0);
  const find = (bench: string, shape: string, impl: string, threads: number): Timed | undefined =>
    ok.find((r) => r.bench === bench && r.shape === shape && r.impl === impl && r.threads === threads);
  const pair = (one: Timed | undefined, two: Timed | undefined) => {
    if (!one || !two) return null;
    const q = ratioInterval(one.times_ms, two.times_ms, 2);
    return { scaling: q.ratio, lo: q.lo, hi: q.hi };
  };
  const torchMatmul = ok.filter((r) => r.bench === 'matmul' && r.impl === 'torch' && r.threads === 2).map((r) => pair(find('matmul', r.shape, 'torch', 1), r))
    .filter((x): x is NonNullable<typeof x> => x !== null);
  const torchControl = torchMatmul.length ? torchMatmul[torchMatmul.length - 1]! : null;
  const out: Scaling[] = [];
  for (const two of ok.filter((r) => (r.impl === 'spindiff-threads' || r.impl === 'spindiff-shards') && r.threads === 2)) {
    const one = find(two.bench, two.shape, 'spindiff-wasm', 1);
    const s = pair(one, two);
    if (!s) continue;
    const cshape = `${CONTROL_SHAPE} @ ${two.bench} ${two.shape}`;
    const control = pair(find('control', cshape, 'control-js', 1), find('control', cshape, 'control-js', 2));
    const simd = pair(find('control', cshape, 'control-simd', 1), find('control', cshape, 'control-simd', 2));
    const g1 = find('control', cshape, 'control-gemm', 1), g2 = find('control', cshape, 'control-gemm', 2);
    const gemm = pair(g1, g2);
    let relative: Scaling['relative'] = null, quiet: Scaling['quiet'] = null;
    if (g1 && g2 && one) {
      const ours = perRound(one.times_ms, two.times_ms), ctl = perRound(g1.times_ms, g2.times_ms);
      const rounds = Math.min(ours.length, ctl.length);
      if (rounds > 0) {
        const q = medianInterval(perRound(ours.slice(0, rounds), ctl.slice(0, rounds)));
        relative = { scaling: q.value, lo: q.lo, hi: q.hi };
        const calm = ours.slice(0, rounds).filter((_, r) => ctl[r]! >= QUIET_SCALING);
        quiet = { scaling: calm.length ? median(calm) : null, rounds: calm.length, of: rounds };
      }
    }
    const busy = control ? control.scaling < BUSY_SCALING : torchControl ? torchControl.scaling < BUSY_SCALING : null;
    const verdict = busy === null ? 'no control' : busy ? 'machine busy' : 'scales';
    out.push({ bench: two.bench, shape: two.shape, impl: `spindiff-wasm → ${two.impl}`,
      scaling: verdict === 'machine busy' ? null : s.scaling, lo: verdict === 'machine busy' ? null : s.lo, hi: verdict === 'machine busy' ? null : s.hi,
      torch: pair(find(two.bench, two.shape, 'torch', 1), find(two.bench, two.shape, 'torch', 2)), control, simd, gemm, relative, quiet, verdict });
  }
  return out;
}

const interval = (x: { scaling: number; lo: number; hi: number } | null): string => x ? `${x.scaling.toFixed(2)} [${x.lo.toFixed(2)}, ${x.hi.toFixed(2)}]` : '–';

function markdown(results: Timed[], rs: Ratio[], sc: Scaling[]): string {
  const lines = ['| bench | impl | threads | shape | ms min | ms median | GFLOP/s (median) | load (1 min) |', '|---|---|---|---|---|---|---|---|'];
  for (const r of results) {
    if (r.skipped) lines.push(`| ${r.bench} | ${r.impl} | ${r.threads} | ${r.shape} | skipped: ${r.skipped} | | | |`);
    else lines.push(`| ${r.bench} | ${r.impl} | ${r.threads} | ${r.shape} | ${fmt(r.ms_min)} | ${fmt(r.ms_median)} | ${fmt(r.gflops_median)} | ${fmt(r.load)} |`);
  }
  if (rs.length) {
    lines.push('', 'Ratios: peer median time / spindiff median time (> 1: spindiff is faster), 95% bootstrap interval over the interleaved repeats.', '',
      '| bench | shape | spindiff impl (threads) | peer (threads) | ratio [95% interval] |', '|---|---|---|---|---|');
    for (const q of rs) lines.push(`| ${q.bench} | ${q.shape} | ${q.impl} (${q.threads}) | ${q.peer} (${q.peer_threads}) | ${q.speedup.toFixed(2)} [${q.lo.toFixed(2)}, ${q.hi.toFixed(2)}] |`);
  }
  if (sc.length) {
    lines.push('', `Thread scaling: time on 1 thread / time on 2 (wasm → threads-2), with the controls of the same run; "machine busy" where the control scales less than ${BUSY_SCALING}×.`
      + ` "÷ GEMM control": spindiff's speed-up divided by the GEMM control's, round by round (median over rounds). "Quiet rounds": the median of spindiff's per-round speed-ups over the rounds where the GEMM control scaled ≥ ${QUIET_SCALING}× (the other columns are ratios of medians).`, '',
      '| bench | shape | spindiff 1→2 | PyTorch 1→2 (this case) | plain-JS control 1→2 | wasm-SIMD control 1→2 | wasm-GEMM control 1→2 | spindiff ÷ GEMM control | quiet rounds: spindiff 1→2 |', '|---|---|---|---|---|---|---|---|---|');
    for (const q of sc) {
      const ours = q.verdict === 'machine busy' ? 'machine busy' : `${interval(q.scaling === null ? null : { scaling: q.scaling, lo: q.lo!, hi: q.hi! })}${q.verdict === 'no control' ? ' (no control)' : ''}`;
      const quiet = q.quiet === null ? '–' : `${q.quiet.scaling === null ? '–' : q.quiet.scaling.toFixed(2)} (${q.quiet.rounds} of ${q.quiet.of})`;
      lines.push(`| ${q.bench} | ${q.shape} | ${ours} | ${interval(q.torch)} | ${interval(q.control)} | ${interval(q.simd)} | ${interval(q.gemm)} | ${interval(q.relative)} | ${quiet} |`);
    }
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
  const results: Timed[] = [];
  const seenGroups = new Set<string>(), seenImpls = new Set<string>();
  const meta = (): object => ({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavg: loadavg() });
  mkdirSync(dirname(args.out), { recursive: true });
  const save = (rs: Timed[], extra: object = {}): void => {
    writeFileSync(args.out, JSON.stringify({ meta: meta(), results: rs, ...extra }, null, 1) + '\n');
  };
  const all: BenchCase[] = [];
  for (const file of findBenchFiles(here)) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: BenchModule };
    if (typeof mod.default !== 'function') throw new Error(`${relative(here, file)}: default export must be a function returning BenchCase[]`);
    let cases = await mod.default(opts);
    for (const c of cases) { seenGroups.add(c.group); seenImpls.add(c.impl); }
    if (args.only) cases = cases.filter((c) => args.only!.includes(c.group) || c.group === 'control');
    if (args.impl) cases = cases.filter((c) => c.group === 'control' || args.impl!.some((s) => c.impl.includes(s)));
    all.push(...cases);
  }
  // The control runs only next to something to scale.
  // The control (bench/control.bench.ts) is not a set of its own: its cases join every set that
  // has a multi-threaded case, so each thread-scaling figure has a control from the same rounds.
  const controls = all.some((c) => c.group !== 'control' && !c.skip) ? all.filter((c) => c.group === 'control' && !c.skip) : [];
  const cases = all.filter((c) => c.group !== 'control');
  const controlInner = new Map<BenchCase, number>();
  for (const c of controls) {
    try {
      if (c.setup) await c.setup();
      controlInner.set(c, (await calibrate(c)).inner);
    } catch (e) {
      log(`error control ${c.impl}: ${(e as Error).message}`);
    }
  }
  // Comparison sets: the cases of one group and shape, timed together round by round.
  const sets = new Map<string, BenchCase[]>();
  for (const c of cases) {
    const key = `${c.group}|${c.shape ?? c.name}`;
    if (!sets.has(key)) sets.set(key, []);
    sets.get(key)!.push(c);
  }
  const repeatsOf = (c: BenchCase): number => args.repeats ?? c.repeats ?? (args.quick ? 3 : 7);
  for (const set of sets.values()) {
    const live: { c: BenchCase; inner: number; times: number[]; loads: number[]; error?: string }[] = [];
    const base = (c: BenchCase) => ({ bench: c.group, impl: c.impl, name: c.name, threads: c.threads ?? 1, shape: c.shape ?? c.name });
    const done: Timed[] = [];
    for (const c of set) {
      if (c.skip) {
        done.push({ ...base(c), repeats: 0, ms_min: NaN, ms_median: NaN, skipped: c.skip, times_ms: [] });
        log(`skip  ${c.group} ${c.impl} ${base(c).shape}: ${c.skip}`);
        continue;
      }
      try {
        if (c.setup) await c.setup();
        const { inner } = c.measure ? { inner: 1 } : await calibrate(c);
        live.push({ c, inner, times: [], loads: [] });
      } catch (e) {
        live.push({ c, inner: 0, times: [], loads: [], error: (e as Error).message });
      }
    }
    if (live.some((x) => (x.c.threads ?? 1) > 1 && !x.error)) {
      const at = `${set[0]!.group} ${set[0]!.shape ?? set[0]!.name}`;
      for (const [c, inner] of controlInner) live.push({ c: { ...c, shape: `${CONTROL_SHAPE} @ ${at}`, repeats: Math.max(...live.map((x) => repeatsOf(x.c))) }, inner, times: [], loads: [] });
    }
    // Rounds: one sample of every case per round, the order rotating; each case stops at its
    // repeats (a slow case, over ~60 s of samples, at 2).
    const rounds = Math.max(0, ...live.map((x) => repeatsOf(x.c)));
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < live.length; j++) {
        const x = live[(j + r) % live.length]!;
        if (x.error || x.times.length >= repeatsOf(x.c)) continue;
        const spent = x.times.reduce((a, v) => a + v * x.inner, 0);
        if (x.times.length >= 2 && spent > 60_000) continue;
        try {
          x.loads.push(loadavg()[0]!);
          x.times.push(await sample(x.c, x.inner));
        } catch (e) {
          x.error = (e as Error).message;
        }
      }
    }
    for (const x of live) {
      const b = base(x.c);
      if (x.c.group !== 'control') try { if (x.c.teardown) await x.c.teardown(); } catch { /* a failed teardown does not lose the samples */ }
      if (x.error || x.times.length === 0) {
        done.push({ ...b, repeats: 0, ms_min: NaN, ms_median: NaN, skipped: `error: ${(x.error ?? 'no sample').split('\n')[0]}`, times_ms: [] });
        log(`error ${b.bench} ${b.impl} ${b.shape}: ${x.error}`);
        continue;
      }
      const msMin = Math.min(...x.times), msMed = median(x.times);
      const res: Timed = { ...b, repeats: x.times.length, ms_min: msMin, ms_median: msMed, load: median(x.loads), times_ms: x.times };
      if (x.c.flops) { res.gflops_median = x.c.flops / msMed / 1e6; res.gflops_max = x.c.flops / msMin / 1e6; }
      log(`done  ${b.bench} ${b.impl} t=${b.threads} ${b.shape}: median ${fmt(msMed)} ms (load ${fmt(res.load)})`);
      done.push(res);
    }
    for (const res of done) {
      results.push(res);
      if (args.json) process.stdout.write(JSON.stringify(res) + '\n');
    }
    save(results); // after every set, so an interrupted run keeps what it measured
  }
  for (const c of controlInner.keys()) try { if (c.teardown) await c.teardown(); } catch { /* ignore */ }
  if (results.length === 0) {
    throw new Error(`no bench case matched${args.only ? ` --only ${args.only.join(',')}` : ''}${args.impl ? ` --impl ${args.impl.join(',')}` : ''} (groups: ${[...seenGroups].sort().join(', ')}; impls: ${[...seenImpls].sort().join(', ')})`);
  }
  const rs = ratios(results);
  const sc = scalings(results);
  if (args.json) {
    for (const q of rs) process.stdout.write(JSON.stringify({ kind: 'ratio', ...q }) + '\n');
    for (const q of sc) process.stdout.write(JSON.stringify({ kind: 'scaling', ...q }) + '\n');
  } else process.stdout.write(markdown(results, rs, sc) + '\n');
  save(results, { ratios: rs, scaling: sc });
  log(`results written to ${args.out} (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  // Worker threads and wasm peers may keep the event loop alive.
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});
