// What 128-bit WebAssembly SIMD can do on this machine at most: a loop of independent float32x4
// multiply-adds on 12 register accumulators (no memory, no dependence between them beyond each
// accumulator's own chain), as a fused f32x4.relaxed_madd and as f32x4.mul + f32x4.add. Prints
// GFLOP/s on one thread, then with one such loop on each of two worker threads at once (their sum
// is what two cores give SIMD code right now). The GEMM kernel cannot beat these, so they bound
// every float32 throughput target: e.g. 100k samples × DDIM-50 of the paper n = 40 network is
// 37.7 TFLOP of GEMM (README, run N), which in 8 minutes needs 78.5 GFLOP/s sustained.
// Needs no build.
//
//   node scripts/simd-peak.mjs [--rounds 5] [--seconds 0.5]
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { scriptArgs } from './script-args.mjs';

const usage = 'usage: node scripts/simd-peak.mjs [--rounds N] [--seconds S]';
const { values: o, fail } = scriptArgs('simd-peak', usage, {
  rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '0.5' },
}, ['rounds']);
const seconds = Number(o.seconds);
if (!(seconds > 0 && seconds <= 60)) fail(`--seconds must be in (0, 60], got '${o.seconds}'`);

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

/** GFLOP/s of one loop run for about `seconds` (calibrated on a short run). */
function measure(fused, seconds) {
  const peak = new WebAssembly.Instance(new WebAssembly.Module(peakModule(fused))).exports.peak;
  peak(1e5);
  let t = performance.now();
  peak(1e6);
  const iters = Math.max(1e5, Math.round(1e6 * seconds * 1000 / (performance.now() - t)));
  t = performance.now();
  peak(iters);
  return (iters * ACC * 8) / ((performance.now() - t) * 1e6);
}

if (process.env.SIMD_PEAK_WORKER) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const { parentPort } = await import('node:worker_threads');
  parentPort.on('message', ({ fused, seconds }) => parentPort.postMessage(measure(fused, seconds)));
} else {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const hasRelaxed = WebAssembly.validate(peakModule(true));
  const kinds = hasRelaxed ? [['fused multiply-add', true], ['multiply + add', false]] : [['multiply + add', false]];
  if (!hasRelaxed) console.log('this engine has no relaxed SIMD: multiply + add only');
  const workers = [0, 1].map(() => new Worker(new URL(import.meta.url), { env: { ...process.env, SIMD_PEAK_WORKER: '1' } }));
  const ask = (w, fused) => new Promise((resolve, reject) => {
    const onError = (e) => { w.off('message', onMessage); reject(e); };
    const onMessage = (g) => { w.off('error', onError); resolve(g); };
    w.once('message', onMessage).once('error', onError).postMessage({ fused, seconds });
  });
  const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  for (const [name, fused] of kinds) {
    const one = [], two = [];
    for (let r = 0; r < Number(o.rounds); r++) {
      one.push(await ask(workers[0], fused));
      const both = await Promise.all(workers.map((w) => ask(w, fused)));
      two.push(both[0] + both[1]);
      console.log(`${name}, round ${r + 1}: one thread ${one.at(-1).toFixed(1)} GFLOP/s, two threads ${both.map((g) => g.toFixed(1)).join(' + ')} = ${two.at(-1).toFixed(1)} GFLOP/s`);
    }
    console.log(`${name}: median one thread ${median(one).toFixed(1)} GFLOP/s (max ${Math.max(...one).toFixed(1)}), two threads ${median(two).toFixed(1)} GFLOP/s (max ${Math.max(...two).toFixed(1)})`);
  }
  for (const w of workers) await w.terminate();
}
