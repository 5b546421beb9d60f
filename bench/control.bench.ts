// The machine's own 1→2-thread scaling, as controls for every thread-scaling figure of the run:
// a fixed amount of work on one worker, then split over two. On an idle 2-core machine two
// workers take half the time (scaling ≈ 2); when other processes hold the cores they do not, and
// the runner then reports "machine busy" instead of spindiff's scaling. Two kinds of work:
// control-js, a dependent scalar multiply-add chain (the "machine busy" test), and control-simd,
// eight independent f32x4 multiply-add chains in WebAssembly that keep the vector units as busy
// as the GEMM micro-kernel does — what two cores give to SIMD-bound code (a core whose sibling
// hyperthread or frequency is taken by something else gives less to it than to scalar code).
// control-gemm runs the backends' own GEMM module (the 4×8 micro-kernel, packing and all) on
// private 256³ problems, one thread per worker, nothing shared: what two cores give to exactly
// spindiff's kernel. On this project's 2-vCPU VMs it has phases of seconds where two workers get
// no more than ~1.1× of one (both slowed alike, as if the two vCPUs shared one physical core), so
// the runner also reports spindiff's scaling per round divided by this control's in that round.
// The runner times these cases inside every set that has a multi-threaded case (same rounds).
import { Worker } from 'node:worker_threads';
import type { BenchCase } from './types.js';
import { encodeModule, Fn, T } from '../src/tensor/backend/wasm/encoder.js';
import { compileGemmModule, layout, wasmSimdSupported } from '../src/tensor/backend/wasm/module.js';
import { MAX_PAGES, PAGE } from '../src/tensor/backend/wasm/memory.js';
import { enableRelaxedSimd } from '../src/tensor/backend/wasm/node-flags.js';
import { at } from '../src/util/checked.js';

const WORK = 4e7; // multiply-adds in all (~40 ms on one core)
const SIMD_WORK = 1.5e7; // loop trips in all, 8 f32x4 multiply-adds each (~50 ms on one core)
const GEMM_SIZE = 256, GEMM_CALLS = 48; // 256³ GEMMs in all (~1 ms each on one core)

// A worker that runs `iterations` of a dependent multiply-add chain per message and answers.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (iterations) => {
  let x = 0.5;
  for (let i = 0; i < iterations; i++) x = x * 0.9999999 + 1e-7;
  parentPort.postMessage(x);
});`;

// A worker that instantiates the module of its first message, then runs spin(iterations) per message.
const SIMD_SOURCE = `
const { parentPort } = require('node:worker_threads');
let spin = null;
parentPort.on('message', (m) => {
  if (spin === null) {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    spin = new WebAssembly.Instance(m, { env: { mem } }).exports.spin;
    parentPort.postMessage(0);
    return;
  }
  parentPort.postMessage(spin(m));
});`;

// A worker that instantiates the GEMM module of its first message over a memory of its own with
// A, B and C after the layout's buffers, runs one GEMM and answers its largest error on a few
// entries (one per corner tile, one inside) against float64 dot products, relative to Σ|a·b| —
// so a control that computes the wrong thing cannot pass for one — then runs `calls` GEMMs
// (C = A·B, s×s×s) per message.
const GEMM_SOURCE = `
const { parentPort } = require('node:worker_threads');
let run = null;
parentPort.on('message', (m) => {
  if (run === null) {
    const { module, s, bufs, base, pages, maxPages } = m;
    const mem = new WebAssembly.Memory({ initial: pages, maximum: maxPages });
    const gemm = new WebAssembly.Instance(module, { env: { mem } }).exports.gemm;
    const A = base, B = A + 4 * s * s, C = B + 4 * s * s;
    const f = new Float32Array(mem.buffer, A, 2 * s * s);
    for (let i = 0; i < f.length; i++) f[i] = Math.sin(i + 1);
    run = (calls) => { for (let c = 0; c < calls; c++) gemm(A, s, 1, B, s, 1, C, s, s, s, s, 1, 0, bufs.bufA, bufs.bufB, bufs.scratch, 0, 0, 0, 0); };
    run(1);
    const c = new Float32Array(mem.buffer, C, s * s);
    let worst = 0;
    for (const [i, j] of [[0, 0], [0, s - 1], [s - 1, 0], [s - 1, s - 1], [s >> 1, (s >> 1) + 3]]) {
      let dot = 0, mag = 0;
      for (let p = 0; p < s; p++) { const t = f[i * s + p] * f[s * s + p * s + j]; dot += t; mag += Math.abs(t); }
      worst = Math.max(worst, Math.abs(c[i * s + j] - dot) / mag);
    }
    parentPort.postMessage(worst);
    return;
  }
  run(m);
  parentPort.postMessage(m);
});`;

/** spin(n): n trips of acc_q = acc_q·c + d over eight f32x4 accumulators (independent chains); returns a lane. */
function simdModule(): WebAssembly.Module {
  const f = new Fn('spin', [T.i32], [T.f32]);
  const i = f.local(T.i32), c = f.local(T.v128), d = f.local(T.v128);
  const acc = Array.from({ length: 8 }, () => f.local(T.v128));
  f.f32(0.9999999).op('f32x4.splat').set(c);
  f.f32(1e-7).op('f32x4.splat').set(d);
  acc.forEach((a, q) => f.f32(0.5 + q / 16).op('f32x4.splat').set(a));
  f.for(i, 0, () => f.get(0), 1, () => {
    for (const a of acc) f.get(a).get(c).op('f32x4.mul').get(d).op('f32x4.add').set(a);
  });
  f.get(at(acc, 0, 'accumulators'));
  for (const a of acc.slice(1)) f.get(a).op('f32x4.add');
  f.op('f32x4.extract_lane0');
  return new WebAssembly.Module(encodeModule([f], { module: 'env', name: 'mem', initialPages: 1, maximumPages: 1, shared: false }));
}

/** Post m and wait for the answer (each call removes its own listeners: no pile-up over the rounds). */
const once = (w: Worker, m: unknown): Promise<unknown> => new Promise((resolve, reject) => {
  const ok = (v: unknown): void => { w.off('error', bad); resolve(v); };
  const bad = (e: unknown): void => { w.off('message', ok); reject(e); };
  w.once('message', ok);
  w.once('error', bad);
  w.postMessage(m);
});

export default function cases(): BenchCase[] {
  const out: BenchCase[] = [1, 2].map((threads) => {
    let workers: Worker[] = [];
    return {
      group: 'control', impl: 'control-js', threads, name: `plain JS loop, ${WORK / 1e6}M multiply-adds over ${threads} worker(s)`, shape: 'fixed work',
      setup: () => { workers = Array.from({ length: threads }, () => new Worker(SOURCE, { eval: true })); },
      fn: () => Promise.all(workers.map((w) => once(w, WORK / threads))),
      teardown: () => Promise.all(workers.map((w) => w.terminate())),
    } satisfies BenchCase;
  });
  if (!wasmSimdSupported()) return out;
  const module = simdModule();
  for (const threads of [1, 2]) {
    let workers: Worker[] = [];
    out.push({
      group: 'control', impl: 'control-simd', threads, name: `wasm f32x4 loop, ${SIMD_WORK / 1e6}M × 8 multiply-adds over ${threads} worker(s)`, shape: 'fixed work',
      setup: async () => {
        workers = Array.from({ length: threads }, () => new Worker(SIMD_SOURCE, { eval: true }));
        await Promise.all(workers.map((w) => once(w, module)));
      },
      fn: () => Promise.all(workers.map((w) => once(w, SIMD_WORK / threads))),
      teardown: () => Promise.all(workers.map((w) => w.terminate())),
    });
  }
  for (const threads of [1, 2]) {
    let workers: Worker[] = [];
    out.push({
      group: 'control', impl: 'control-gemm', threads, name: `wasm GEMM module, ${GEMM_CALLS} gemm ${GEMM_SIZE}³ over ${threads} worker(s), one thread each`, shape: 'fixed work',
      setup: async () => {
        await enableRelaxedSimd(); // the backends' geometry: the fused multiply-add where V8 has it
        const module = await compileGemmModule(false);
        const lay = layout(1), s = GEMM_SIZE;
        const init = { module, s, bufs: at(lay.threads, 0, 'thread buffers'), base: lay.operandBase, pages: Math.ceil((lay.operandBase + 12 * s * s) / PAGE), maxPages: MAX_PAGES };
        workers = Array.from({ length: threads }, () => new Worker(GEMM_SOURCE, { eval: true }));
        // float32 accumulation over s terms: error ≤ ~s·2⁻²⁴·Σ|a·b| in the worst case, ~√s·2⁻²⁴ typically.
        for (const worst of await Promise.all(workers.map((w) => once(w, init)))) {
          if (!((worst as number) <= s * 2 ** -24)) throw new Error(`the GEMM's entries are off their float64 dot products by up to ${String(worst)} of Σ|a·b|`);
        }
      },
      fn: () => Promise.all(workers.map((w) => once(w, GEMM_CALLS / threads))),
      teardown: () => Promise.all(workers.map((w) => w.terminate())),
    });
  }
  return out;
}
