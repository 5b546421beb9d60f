// Does this machine give two cores to SIMD code right now? Two workers each run the wasm
// backend's GEMM (this build's kernel) on private 256³ problems, nothing shared; each round times
// each worker alone, then both at once, and prints per round how much slower each was with the
// other running, a timeline (. both within 15% of alone, o one slower, O both slower) and the
// quantiles of the two-worker speed-up (2·alone / together; ≈ 2 on two free cores). On this
// project's 2-vCPU VMs it shows phases of seconds where both workers are 1.7–1.9× slower
// together, as if the vCPUs shared one physical core. Runs on the built package (npm run build).
//
//   node scripts/simd-pairs.mjs [--rounds 150] [--calls 10]
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { scriptArgs } from './script-args.mjs';

const usage = 'usage: node scripts/simd-pairs.mjs [--rounds N] [--calls N]';
const { values: o, fail } = scriptArgs('simd-pairs', usage, {
  rounds: { type: 'string', default: '150' }, calls: { type: 'string', default: '10' },
}, ['rounds', 'calls']);
const backends = new URL('../dist/node/backends.js', import.meta.url);
if (!existsSync(backends)) fail(`no ${backends.pathname} (run npm run build)`);

const SRC = `const { parentPort } = require('node:worker_threads');
(async () => {
  const be = await import(${JSON.stringify(backends.href)});
  const b = await be.loadWasmBackend();
  const s = 256, a = b.alloc('float32', s * s), bb = b.alloc('float32', s * s), c = b.alloc('float32', s * s);
  for (let i = 0; i < s * s; i++) { a[i] = Math.sin(i); bb[i] = Math.cos(i); }
  parentPort.on('message', (calls) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) b.gemm(false, false, s, s, s, a, bb, c, 1, 0);
    parentPort.postMessage(performance.now() - t0);
  });
  parentPort.postMessage('ready');
})();`;
const ws = [new Worker(SRC, { eval: true }), new Worker(SRC, { eval: true })];
await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
const ask = (w, n) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(n); });
const calls = Number(o.calls), rounds = Number(o.rounds);
for (const w of ws) await ask(w, 2 * calls); // warm-up

let line = '';
const speedups = [];
let oneSlow = 0, bothSlow = 0;
for (let r = 0; r < rounds; r++) {
  const alone = [await ask(ws[0], calls), await ask(ws[1], calls)];
  const both = await Promise.all(ws.map((w) => ask(w, calls)));
  const slow = both.map((t, i) => t / alone[i]);
  const nSlow = slow.filter((x) => x > 1.15).length;
  line += nSlow === 0 ? '.' : nSlow === 1 ? 'o' : 'O';
  if (nSlow === 1) oneSlow++;
  if (nSlow === 2) bothSlow++;
  speedups.push((alone[0] + alone[1]) / Math.max(...both));
}
const q = (p) => { const s = speedups.slice().sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2); };
console.log(line);
console.log(`${rounds} rounds of ${calls} × 256³ per worker: one worker > 15% slower together in ${oneSlow}, both in ${bothSlow};`
  + ` two-worker speed-up q10 ${q(0.1)}, median ${q(0.5)}, q90 ${q(0.9)}`);
for (const w of ws) await w.terminate();
