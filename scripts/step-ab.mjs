// Two builds' training step, A against B, in alternating processes (one process per build and
// round, so neither build warms the other's caches or JIT): each process trains a network on
// fixed data, times `--samples` samples of `--steps` steps after three warm-up steps, and prints
// their median; the script prints every round and the median of the per-round ratios A / B.
// A build is a checkout whose `npm run build` has run (it needs dist/node).
//
//   node scripts/step-ab.mjs --a /path/to/old --b . [--preset small|paper] [--config default|bench]
//     [--backend threads|wasm] [--rounds 6] [--steps N] [--samples 5] [--clock wall|cpu]
//
// --clock cpu: the process's CPU time (process.cpuUsage, user + system) instead of the wall
// clock — steadier on a shared machine with --backend wasm (one thread); with threads it also
// counts the workers' spinning.
// --config default: DEFAULT_TRAIN (EMA, clipping; the demo's); bench: the bench's training case
// (constant lr, no EMA, no clipping). Default steps: 20 (small), 4 (paper).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scriptArgs } from './script-args.mjs';

const usage = 'usage: node scripts/step-ab.mjs --a BUILD --b BUILD [--preset small|paper] [--config default|bench] [--backend threads|wasm] [--rounds N] [--steps N] [--samples N] [--clock wall|cpu]';
const { values: o, fail } = scriptArgs('step-ab', usage, {
  a: { type: 'string' }, b: { type: 'string' }, preset: { type: 'string', default: 'small' },
  config: { type: 'string', default: 'default' }, backend: { type: 'string', default: 'threads' },
  rounds: { type: 'string', default: '6' }, steps: { type: 'string' }, samples: { type: 'string', default: '5' },
  clock: { type: 'string', default: 'wall' }, child: { type: 'string' },
}, ['rounds', 'samples', 'steps']);

if (o.child) {
  // One build, one process: print the median ms per step.
  const dist = pathToFileURL(resolve(o.child, 'dist/node')).href;
  const sd = await import(`${dist}/index.js`), be = await import(`${dist}/backends.js`);
  be.setBackend(o.backend === 'wasm' ? await be.loadWasmBackend() : await be.loadThreadsBackend({ threads: 2 }));
  const n = o.preset === 'paper' ? 40 : 20, m = 1000, rng = new sd.Rng(2);
  const s = new Int8Array(n * m);
  for (let i = 0; i < s.length; i++) s[i] = rng.spin();
  const cfg = o.config === 'bench'
    ? { iterations: 1000, batchSize: 128, lr: 1e-3, lrSchedule: 'constant', emaDecay: 0, gradClip: 0, seed: 1, schedule: 'linear', T: 1000 }
    : { ...sd.DEFAULT_TRAIN, iterations: 4000 };
  const tr = new sd.DiffusionTrainer({ n, m, s }, sd.presetConfig(o.preset, n), cfg);
  for (let i = 0; i < 3; i++) tr.step();
  const steps = Number(o.steps), ts = [];
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const now = o.clock === 'cpu' ? cpuMs : () => performance.now();
  for (let r = 0; r < Number(o.samples); r++) {
    const t0 = now();
    for (let i = 0; i < steps; i++) tr.step();
    ts.push((now() - t0) / steps);
  }
  ts.sort((x, y) => x - y);
  console.log(JSON.stringify({ median: ts[ts.length >> 1], path: tr.lastStepPath }));
  process.exit(0);
}

if (!o.a || !o.b) fail('--a and --b are required');
if (!['small', 'paper'].includes(o.preset) || !['default', 'bench'].includes(o.config) || !['threads', 'wasm'].includes(o.backend) || !['wall', 'cpu'].includes(o.clock)) {
  fail('--preset small|paper, --config default|bench, --backend threads|wasm, --clock wall|cpu');
}
for (const name of ['a', 'b']) {
  if (!existsSync(resolve(o[name], 'dist/node/index.js'))) fail(`--${name} ${o[name]}: no dist/node/index.js there (run npm run build in that checkout)`);
}
const steps = o.steps ?? (o.preset === 'paper' ? '4' : '20');
const run = (dir) => {
  const r = spawnSync(process.execPath, [process.argv[1], '--child', dir, '--preset', o.preset, '--config', o.config, '--backend', o.backend, '--steps', steps, '--samples', o.samples, '--clock', o.clock], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`step-ab: the ${dir} process failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const ratios = [];
console.log(`${o.preset}, ${o.config}, ${o.backend}: ${o.clock === 'cpu' ? 'CPU ' : ''}ms per step (median of ${o.samples} × ${steps} steps), A = ${o.a}, B = ${o.b}`);
for (let k = 0; k < Number(o.rounds); k++) {
  const a = run(o.a), b = run(o.b);
  ratios.push(a.median / b.median);
  console.log(`round ${k + 1}: A ${a.median.toFixed(2)}  B ${b.median.toFixed(2)}  A/B ${(a.median / b.median).toFixed(2)}  (${b.path})`);
}
ratios.sort((x, y) => x - y);
console.log(`median A/B ${ratios[ratios.length >> 1].toFixed(2)} (range ${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)})`);
