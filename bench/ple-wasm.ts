// PLE's Hessian blocks, JavaScript loops against WebAssembly SIMD (ple-wasm.ts), on a data file:
// fitPLESpins over a few spins, the two kernels interleaved (js, wasm, js, …) in one process so
// both see the same machine load; CPU time of this process (one thread). Checks the two give the
// same bits; then one Hessian (pleGradHess) alone, interleaved too. Run: npx esbuild bench/ple-wasm.ts --bundle --platform=node --format=esm
//   --outfile=.bench/ple-wasm.mjs && node .bench/ple-wasm.mjs data.npy [spins] [repeats]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseNpy } from '../src/io/npy.js';
import { fitPLESpins, pleGradHess, plePatterns, setPLELanes } from '../src/ising/infer/ple.js';
import { createWasmPLELanes, enablePLELanes } from '../src/ising/infer/ple-wasm.js';

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

// One Hessian and gradient of an inner spin over all patterns (fields h_r = 0.7 sin r), interleaved.
const d = pt.n;
const spin = Math.min(7, d - 1);
const h = Float64Array.from({ length: pt.k }, (_, r) => 0.7 * Math.sin(r));
const lanes = createWasmPLELanes(pt);
if (!lanes) throw new Error('no WebAssembly SIMD here');
const X = new Float64Array(4 * d);
const ht: Record<'js' | 'wasm', number[]> = { js: [], wasm: [] };
const hess = { js: new Float64Array(d * d), wasm: lanes.hess };
for (let rep = 0; rep < 5; rep++) {
  for (const k of ['js', 'wasm'] as const) {
    const g = k === 'js' ? new Float64Array(d) : lanes.grad;
    g.fill(0);
    hess[k].fill(0);
    const c0 = cpuMs();
    pleGradHess(pt, spin, h, g, hess[k], X, k === 'wasm' ? lanes : null);
    ht[k].push(cpuMs() - c0);
  }
}
if (Buffer.compare(Buffer.from(hess.js.buffer), Buffer.from(hess.wasm.buffer.slice(hess.wasm.byteOffset, hess.wasm.byteOffset + hess.wasm.byteLength))) !== 0) throw new Error('Hessians differ');
console.log(`one Hessian, median CPU: js ${med(ht.js).toFixed(0)} ms, wasm ${med(ht.wasm).toFixed(0)} ms (${(med(ht.js) / med(ht.wasm)).toFixed(2)}x); same bits`);
