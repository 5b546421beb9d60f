// What 128-bit WebAssembly SIMD can do on this machine at most: a loop of independent float32x4
// multiply-adds on 12 register accumulators (no memory, no dependence between them beyond each
// accumulator's own chain), as a fused f32x4.relaxed_madd and as f32x4.mul + f32x4.add. Prints
// GFLOP/s on one thread, then with one such loop on each of two worker threads released together
// at a barrier (all their FLOP over the wall time: what two cores give SIMD code right now). The
// GEMM kernel cannot beat these, so they bound every float32 throughput target: e.g. 100k samples
// × DDIM-50 of the paper n = 40 network is 37.7 TFLOP of GEMM (README, run L), which in 8 minutes
// needs 78.5 GFLOP/s sustained.
// Needs no build.
//
//   node scripts/simd-peak.mjs [--rounds 5] [--seconds 0.5]
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { scriptArgs } from './script-args.mjs';

const usage = 'usage: node scripts/simd-peak.mjs [--rounds N] [--seconds S]';
const { values: o, fail } = isMainThread ? scriptArgs('simd-peak', usage, {
  rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '0.5' },
}, ['rounds']) : { values: {}, fail: null };
const seconds = isMainThread ? Number(o.seconds) : 0;
if (isMainThread && !(seconds > 0 && seconds <= 4)) fail(`--seconds must be in (0, 4] (the loop's counter is an i32), got '${o.seconds}'`);

// Relaxed SIMD (the fused multiply-add) is behind a flag on Node 20; each thread sets it before compiling.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const ACC = 12;
const uleb = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return b; };
const f32 = (v) => [...new Uint8Array(new Float32Array([v]).buffer)];
/** (func (param iters i32) (result f32)): iters × ACC multiply-adds of 4 lanes, fused or not. */
function peakModule(fused) {
  const x = 1 + ACC, y = 2 + ACC, get = (i) => [0x20, i], set = (i) => [0x21, i];
  const splat = (v) => [0x43, ...f32(v), 0xfd, 0x13];
  const body = [];
  for (let k = 0; k < ACC; k++) body.push(...splat(k / 1000), ...set(1 + k));
  body.push(...splat(0.9999), ...set(x), ...splat(1e-6), ...set(y));
  body.push(0x03, 0x40); // loop
  for (let k = 0; k < ACC; k++) {
    // acc = acc·x + y
    if (fused) body.push(...get(1 + k), ...get(x), ...get(y), 0xfd, 0x85, 0x02);
    else body.push(...get(1 + k), ...get(x), 0xfd, 0xe6, 0x01, ...get(y), 0xfd, 0xe4, 0x01);
    body.push(...set(1 + k));
  }
  body.push(...get(0), 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b); // iters -= 1; br_if loop
  body.push(...get(1), 0xfd, 0x1f, 0);
  for (let k = 1; k < ACC; k++) body.push(...get(1 + k), 0xfd, 0x1f, 0, 0x92);
  const fn = [0x01, ACC + 2, 0x7b, ...body, 0x0b];
  const section = (id, p) => [id, ...uleb(p.length), ...p];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), ...section(3, [1, 0]),
    ...section(7, [1, 4, ...Buffer.from('peak'), 0, 0]), ...section(10, [1, ...uleb(fn.length), ...fn])]);
}

/** The loop as a function of iters (≤ 2³¹ − 1: its counter is an i32), run once untimed. */
function loop(fused) {
  const peak = new WebAssembly.Instance(new WebAssembly.Module(peakModule(fused))).exports.peak;
  peak(1e5);
  return peak;
}
/** Iterations that take about `seconds` (timed on a short run; capped at the i32 counter's range). */
function calibrate(peak, seconds) {
  const t = performance.now();
  peak(1e6);
  return Math.min(2 ** 31 - 1, Math.max(1e5, Math.round(1e6 * seconds * 1000 / (performance.now() - t))));
}
const FLOP_PER_ITER = ACC * 8; // 12 f32x4 multiply-adds

if (!isMainThread) {
  // A worker: calibrate, say how many iterations, wait at the barrier, run, say when done.
  const { fused, seconds, gate } = workerData;
  const flag = new Int32Array(gate);
  const peak = loop(fused);
  const iters = calibrate(peak, seconds);
  parentPort.postMessage({ iters });
  Atomics.wait(flag, 0, 0);
  const t = performance.now();
  peak(iters);
  parentPort.postMessage({ ms: performance.now() - t });
} else {
  const hasRelaxed = WebAssembly.validate(peakModule(true));
  const kinds = hasRelaxed ? [['fused multiply-add', true], ['multiply + add', false]] : [['multiply + add', false]];
  if (!hasRelaxed) console.log('this engine has no relaxed SIMD: multiply + add only');
  /** One round on `count` workers started together at a barrier: each one's GFLOP/s, and all FLOP over the wall time. */
  const round = async (fused, count) => {
    const gate = new SharedArrayBuffer(4);
    const ws = Array.from({ length: count }, () => new Worker(new URL(import.meta.url), { workerData: { fused, seconds, gate } }));
    const replies = ws.map((w) => {
      const msgs = [];
      return new Promise((resolve, reject) => {
        w.on('message', (m) => { msgs.push(m); if (msgs.length === 2) resolve(msgs); });
        w.on('error', reject);
        w.on('exit', (code) => reject(new Error(`simd-peak: a worker exited (code ${code}) before it answered`)));
      });
    });
    const ready = ws.map((w) => new Promise((resolve) => w.once('message', resolve)));
    const iters = (await Promise.all(ready)).map((m) => m.iters);
    const t = performance.now();
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    const done = await Promise.all(replies);
    const wall = performance.now() - t;
    await Promise.all(ws.map((w) => w.terminate()));
    const each = done.map((msgs, i) => (iters[i] * FLOP_PER_ITER) / (msgs[1].ms * 1e6));
    return { each, total: (iters.reduce((a, b) => a + b, 0) * FLOP_PER_ITER) / (wall * 1e6) };
  };
  const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  for (const [name, fused] of kinds) {
    const one = [], two = [];
    for (let r = 0; r < Number(o.rounds); r++) {
      one.push((await round(fused, 1)).each[0]);
      const both = await round(fused, 2);
      two.push(both.total);
      console.log(`${name}, round ${r + 1}: one thread ${one.at(-1).toFixed(1)} GFLOP/s; two threads started together ${both.each.map((g) => g.toFixed(1)).join(' and ')} each, ${both.total.toFixed(1)} GFLOP/s over the wall time`);
    }
    console.log(`${name}: median one thread ${median(one).toFixed(1)} GFLOP/s (max ${Math.max(...one).toFixed(1)}), two threads ${median(two).toFixed(1)} GFLOP/s (max ${Math.max(...two).toFixed(1)})`);
  }
}
