// Where the compiled training step's time goes: times each resident program (forward, backward
// through the activations, the parameters' gradients) and each update kernel call (the clipping
// norm, Adam with the EMA, …) by wrapping the backend's ResidentKernels, over `--steps` steps
// after 20 warm-up steps; prints ms per step of each and the rest (the minibatch, the loss, the
// copies, in JS). One build, one process (this checkout's dist/node: run `npm run build` first).
//
//   node scripts/step-phases.mjs [--preset small|paper] [--backend threads|wasm] [--steps 400]
//     [--batch 128]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scriptArgs } from './script-args.mjs';

const usage = 'usage: node scripts/step-phases.mjs [--preset small|paper] [--backend threads|wasm] [--steps N] [--batch N]';
const { values: o, fail } = scriptArgs('step-phases', usage, {
  preset: { type: 'string', default: 'small' }, backend: { type: 'string', default: 'threads' },
  steps: { type: 'string', default: '400' }, batch: { type: 'string', default: '128' },
}, ['steps', 'batch']);
if (!['small', 'paper'].includes(o.preset) || !['threads', 'wasm'].includes(o.backend)) fail('--preset small|paper, --backend threads|wasm');
const distDir = resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist/node');
if (!existsSync(resolve(distDir, 'index.js'))) fail(`no ${distDir}/index.js (run npm run build)`);
const dist = pathToFileURL(distDir).href;
const sd = await import(`${dist}/index.js`), be = await import(`${dist}/backends.js`);

const backend = o.backend === 'wasm' ? await be.loadWasmBackend() : await be.loadThreadsBackend({ threads: 2 });
const T = new Map();
const add = (k, ms) => T.set(k, (T.get(k) ?? 0) + ms);
const resident = backend.resident.bind(backend);
backend.resident = () => {
  const rk = resident();
  if (!rk) return rk;
  const w = { ...rk };
  for (const k of ['sumSq', 'sumSqAny', 'scale', 'adam']) {
    w[k] = (...a) => { const t0 = performance.now(); const r = rk[k](...a); add(k, performance.now() - t0); return r; };
  }
  // The trainer compiles its programs in this order: forward, backward, parameter gradients.
  let made = 0;
  w.program = (calls, rows) => {
    const name = ['forward', 'backward', 'param grads'][made++ % 3];
    const p = rk.program(calls, rows);
    return { records: p.records, run() { const t0 = performance.now(); p.run(); add(name, performance.now() - t0); }, free: p.free };
  };
  return w;
};
be.setBackend(backend);

const n = o.preset === 'paper' ? 40 : 20, m = 2000, rng = new sd.Rng(1);
const s = new Int8Array(n * m);
for (let i = 0; i < s.length; i++) s[i] = rng.spin();
const tr = new sd.DiffusionTrainer({ n, m, s }, sd.presetConfig(o.preset, n), { ...sd.DEFAULT_TRAIN, iterations: 4000, batchSize: Number(o.batch) });
for (let i = 0; i < 20; i++) tr.step();
T.clear();
const steps = Number(o.steps);
const t0 = performance.now();
for (let i = 0; i < steps; i++) tr.step();
const total = performance.now() - t0;
let timed = 0;
const parts = [...T].map(([k, v]) => { timed += v; return `${k} ${(v / steps).toFixed(2)}`; });
console.log(`${o.preset}, batch ${o.batch}, ${backend.name} (${tr.lastStepPath}): ${(total / steps).toFixed(2)} ms per step — ${parts.join(', ')}, rest ${((total - timed) / steps).toFixed(2)}`);
process.exit(0);
