// Exact enumeration, JavaScript walk against the WebAssembly one (enumerate-wasm.ts), interleaved
// (js, wasm, js, …) in one process so both see the same machine load; CPU time of this process.
// enumerate at n (default 20) on skParams(n, 1, Rng(1)); then inferExactMLE on 2000 and 22000
// exact samples of it (the demo's two exact-MLE fits stood in by exact samples), checking that
// both walks give the same bits. Run: npx esbuild bench/enumerate-wasm.ts --bundle --platform=node
//   --format=esm --outfile=.bench/enumerate-wasm.mjs && node .bench/enumerate-wasm.mjs [n] [repeats] [fits: 0|1]
import { loadavg } from 'node:os';
import { Rng } from '../src/random/index.js';
import { enumerate, sampleExact, setEnumerateWalk, skParams } from '../src/ising/index.js';
import type { Enumeration, IsingParams } from '../src/ising/index.js';
import { inferExactMLE } from '../src/ising/infer/mle.js';
import { enableEnumerateWasm } from '../src/ising/enumerate-wasm.js';

const [n = 20, repeats = 5, fits = 1] = process.argv.slice(2, 5).map(Number);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const use = (kernel: 'js' | 'wasm'): void => {
  if (kernel === 'js') setEnumerateWalk(null);
  else if (!enableEnumerateWasm()) throw new Error('no WebAssembly (or its exp is not this engine\'s Math.exp)');
};
const median = (x: number[]): number => [...x].sort((a, b) => a - b)[x.length >> 1] ?? NaN;
const bitsOf = (xs: number[]): string => Buffer.from(Float64Array.from(xs).buffer).toString('base64');
const enumBits = (e: Enumeration): string => bitsOf([e.logZ, e.entropy, e.energyMean, e.energyVar, e.energyMin, ...e.mean, ...e.corr]);
const paramBits = (p: IsingParams): string => bitsOf([...p.b, ...p.w]);

const truth = skParams(n, 1, new Rng(1));
console.log(`n=${n}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const per: Record<'js' | 'wasm', number[]> = { js: [], wasm: [] };
const seen: Record<'js' | 'wasm', Set<string>> = { js: new Set(), wasm: new Set() };
const calls = Math.max(1, Math.round(2 ** (20 - n)));
for (const kernel of ['js', 'wasm'] as const) { // one untimed call each (JIT, wasm tier-up)
  use(kernel);
  enumerate(truth);
}
for (let r = 0; r < repeats; r++) {
  for (const kernel of ['js', 'wasm'] as const) {
    use(kernel);
    const c0 = cpuMs();
    for (let k = 0; k < calls; k++) seen[kernel].add(enumBits(enumerate(truth)));
    per[kernel].push((cpuMs() - c0) / calls);
  }
}
const same = (a: Set<string>, b: Set<string>): boolean => a.size === 1 && b.size === 1 && [...a][0] === [...b][0];
console.log(`enumerate: js ${median(per.js).toFixed(1)} ms, wasm ${median(per.wasm).toFixed(1)} ms CPU per call (medians of ${repeats}); ${(median(per.js) / median(per.wasm)).toFixed(2)}×; same bits: ${same(seen.js, seen.wasm)}`);
if (fits && n <= 24) {
  for (const m of [2000, 22000]) {
    const data = sampleExact(truth, m, new Rng(m));
    const t: Record<'js' | 'wasm', number[]> = { js: [], wasm: [] };
    const fitted: Record<'js' | 'wasm', Set<string>> = { js: new Set(), wasm: new Set() };
    for (let r = 0; r < Math.min(repeats, 2); r++) {
      for (const kernel of ['js', 'wasm'] as const) {
        use(kernel);
        const c0 = cpuMs();
        fitted[kernel].add(paramBits(inferExactMLE(data).params));
        t[kernel].push((cpuMs() - c0) / 1000);
      }
    }
    console.log(`inferExactMLE, ${m} samples: js ${t.js.map((x) => x.toFixed(2)).join(', ')} s, wasm ${t.wasm.map((x) => x.toFixed(2)).join(', ')} s CPU; ${(median(t.js) / median(t.wasm)).toFixed(2)}×; same parameters: ${same(fitted.js, fitted.wasm)}`);
  }
}
