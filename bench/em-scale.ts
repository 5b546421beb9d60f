// EM and PLE, serial against worker threads, at n = 60 with M = 300k samples (the #18 target
// size) on a scaled-down ε grid: repeats interleaved (serial, parallel, serial, …) so both see the
// same machine load. Run: npx esbuild bench/em-scale.ts --bundle --platform=node --format=esm
//   --outfile=.bench/em-scale.mjs && node .bench/em-scale.mjs [eps] [iterations] [repeats]
import { cpus, loadavg } from 'node:os';
import { Rng } from '../src/random/index.js';
import { erasureMachine, sampleMcmc, skParams, linspace } from '../src/ising/index.js';
import { erasureMachineParallel } from '../src/ising/infer/parallel.js';

const [eps = 2, iterations = 10, repeats = 3] = process.argv.slice(2).map(Number);
const n = 60, m = 300_000;
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const p = skParams(n, 1, new Rng(60));
let t0 = performance.now();
const data = sampleMcmc(p, m, new Rng(61), { chains: 64, burnIn: 200, thin: 2 }).data;
console.log(`data n=${n} M=${m}: ${((performance.now() - t0) / 1000).toFixed(1)} s; cores ${cpus().length}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const grid = linspace(0.4, 0.9, eps);
const rows: { kind: string; ms: number; cpu: number; load: number }[] = [];
for (let r = 0; r < repeats; r++) {
  for (const kind of ['serial', 'threads=2'] as const) {
    const load = loadavg()[0]!;
    t0 = performance.now();
    const c0 = cpuMs();
    const res = kind === 'serial' ? erasureMachine(data, { epsGrid: grid, iterations }) : await erasureMachineParallel(data, { epsGrid: grid, iterations, threads: 2 });
    const ms = performance.now() - t0;
    rows.push({ kind, ms, cpu: cpuMs() - c0, load });
    console.log(`${kind}: ${(ms / 1000).toFixed(2)} s wall (main-thread CPU ${(rows.at(-1)!.cpu / 1000).toFixed(2)} s), load ${load.toFixed(2)}, ε*=${res.diagnostics.epsilon}`);
  }
}
const med = (k: string): number => { const v = rows.filter((x) => x.kind === k).map((x) => x.ms).sort((a, b) => a - b); return v[v.length >> 1]!; };
const s = med('serial'), t = med('threads=2');
console.log(`median serial ${(s / 1000).toFixed(2)} s, threads=2 ${(t / 1000).toFixed(2)} s, ratio ${(s / t).toFixed(2)}; per ε·iteration serial ${(s / (eps * iterations)).toFixed(0)} ms → full grid (21×100) serial ≈ ${(s / (eps * iterations) * 2100 / 60000).toFixed(1)} min, threads=2 ≈ ${(t / (eps * iterations) * 2100 / 60000).toFixed(1)} min (setup included in the per-iteration figure)`);
