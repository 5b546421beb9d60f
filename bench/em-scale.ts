// The erasure machine, serial against worker threads, at n = 60 with M = 300k samples (the #18
// target size): the full 21-point ε grid (the ε run 4 at a time, so a smaller grid would not
// show the real cost per ε) for a few iterations, repeats interleaved (serial, parallel, serial, …)
// so both see the same machine load. CPU is the whole process's (workers included). The
// extrapolation to 100 iterations scales the whole run, setup included (an upper bound).
// Run: npx esbuild bench/em-scale.ts --bundle --platform=node --format=esm
//   --outfile=.bench/em-scale.mjs && node .bench/em-scale.mjs [eps] [iterations] [repeats] [wasm|js]
// (wasm, the default: the 4-lane passes in WebAssembly SIMD, as the CLI runs them; js: the
// JavaScript lanes that the core runs when nothing installed the wasm ones).
import { cpus, loadavg } from 'node:os';
import { Rng } from '../src/random/index.js';
import { erasureMachine, sampleMcmc, skParams, linspace } from '../src/ising/index.js';
import { erasureMachineParallel } from '../src/ising/infer/parallel.js';
import { enableWasmLanes } from '../src/ising/blocked-wasm.js';
import { setLaneKernels } from '../src/ising/blocked.js';

const [eps = 21, iterations = 5, repeats = 3] = process.argv.slice(2, 5).map(Number);
const kernel = process.argv[5] ?? 'wasm';
if (kernel !== 'wasm' && kernel !== 'js') throw new Error(`kernel: wasm or js, not ${kernel}`);
if (kernel === 'wasm' && !enableWasmLanes()) throw new Error('no WebAssembly SIMD here');
const n = 60, m = 300_000;
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const p = skParams(n, 1, new Rng(60));
let t0 = performance.now();
const data = sampleMcmc(p, m, new Rng(61), { chains: 64, burnIn: 200, thin: 2 }).data;
console.log(`kernel ${kernel} (workers: wasm); data n=${n} M=${m}: ${((performance.now() - t0) / 1000).toFixed(1)} s; cores ${cpus().length}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const grid = linspace(0.4, 0.9, eps);
// Two iteration counts, so the per-iteration cost (the slope) is told apart from the setup
// (unique patterns, tables; in every worker with threads).
const i1 = 2, i2 = Math.max(iterations, 3);
const rows: { kind: string; it: number; ms: number; cpu: number; load: number }[] = [];
for (let r = 0; r < repeats; r++) {
  for (const it of [i1, i2]) {
    for (const kind of ['serial', 'threads=2'] as const) {
      const load = loadavg()[0]!;
      t0 = performance.now();
      const c0 = cpuMs();
      if (kernel === 'js') setLaneKernels(null); // erasureMachineParallel installs the wasm lanes
      const res = kind === 'serial' ? erasureMachine(data, { epsGrid: grid, iterations: it }) : await erasureMachineParallel(data, { epsGrid: grid, iterations: it, threads: 2 });
      const ms = performance.now() - t0;
      rows.push({ kind, it, ms, cpu: cpuMs() - c0, load });
      console.log(`${kind}, ${it} iterations: ${(ms / 1000).toFixed(2)} s wall (process CPU ${(rows.at(-1)!.cpu / 1000).toFixed(2)} s), load ${load.toFixed(2)}, ε*=${res.diagnostics.epsilon}`);
    }
  }
}
const med = (kind: string, it: number, key: 'ms' | 'cpu'): number => {
  const v = rows.filter((x) => x.kind === kind && x.it === it).map((x) => x[key]).sort((a, b) => a - b);
  return v[v.length >> 1]!;
};
for (const kind of ['serial', 'threads=2']) {
  const line = (['ms', 'cpu'] as const).map((key) => {
    const a = med(kind, i1, key), b = med(kind, i2, key);
    const per = (b - a) / (i2 - i1);
    const full = a + (100 - i1) * per;
    return `${key === 'ms' ? 'wall' : 'CPU'}: setup ≈ ${((a - i1 * per) / 1000).toFixed(1)} s, ${(per / 1000).toFixed(2)} s per iteration of the grid → 100 iterations ≈ ${(full / 1000).toFixed(0)} s (${(full / 60000).toFixed(1)} min)`;
  });
  console.log(`${kind} (${eps} ε): ${line.join('; ')}`);
}
