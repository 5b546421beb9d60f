// PLE's Hessian blocks, JavaScript loops against WebAssembly SIMD (ple-wasm.ts), on a data file:
// fitPLESpins over a few spins, the two kernels interleaved (js, wasm, js, …) in one process so
// both see the same machine load; CPU time of this process (one thread). Checks the two give the
// same bits. Run: npx esbuild bench/ple-wasm.ts --bundle --platform=node --format=esm
//   --outfile=.bench/ple-wasm.mjs && node .bench/ple-wasm.mjs data.npy [spins] [repeats]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseNpy } from '../src/io/npy.js';
import { fitPLESpins, plePatterns, setPLELanes } from '../src/ising/infer/ple.js';
import { enablePLELanes } from '../src/ising/infer/ple-wasm.js';

const file = process.argv[2];
if (!file) throw new Error('usage: ple-wasm.mjs data.npy [spins] [repeats]');
const [spins = 2, repeats = 3] = process.argv.slice(3, 5).map(Number);
const data = parseNpy(new Uint8Array(readFileSync(file)), file);
const pt = plePatterns(data);
console.log(`n=${data.n} m=${data.m} unique=${pt.k}; spins 0..${spins - 1}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const times: Record<'js' | 'wasm', number[]> = { js: [], wasm: [] };
let ref: Float64Array | null = null;
for (let rep = 0; rep < repeats; rep++) {
  for (const k of ['js', 'wasm'] as const) {
    setPLELanes(null);
    if (k === 'wasm' && !enablePLELanes()) throw new Error('no WebAssembly SIMD here');
    const c0 = cpuMs();
    const f = fitPLESpins(pt, {}, 0, spins);
    const c = cpuMs() - c0;
    times[k].push(c);
    const out = Float64Array.from([...f.b, ...f.raw, f.gradMax, f.newtonIterationsMax]);
    if (!ref) ref = out;
    else if (Buffer.compare(Buffer.from(out.buffer), Buffer.from(ref.buffer)) !== 0) throw new Error(`${k}: other bits than the first run`);
    console.log(`rep ${rep} ${k}: ${(c / 1000).toFixed(2)} s CPU (${(c / 1000 / spins).toFixed(2)} s/spin, Newton ≤ ${f.newtonIterationsMax}); load ${loadavg()[0]!.toFixed(2)}`);
  }
}
const med = (a: number[]): number => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]!; };
console.log(`median CPU: js ${(med(times.js) / 1000).toFixed(2)} s, wasm ${(med(times.wasm) / 1000).toFixed(2)} s; js/wasm ${(med(times.js) / med(times.wasm)).toFixed(2)}x; pairwise ${times.js.map((j, i) => (j / times.wasm[i]!).toFixed(2)).join(' ')}; all bits equal`);
