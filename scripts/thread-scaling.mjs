// The threads backend's 1→2-thread scaling, old against new synchronisation, in ONE process with
// interleaved rounds (each round runs every variant of a case, in alternating order), next to a
// plain-JS control of the same rounds (two independent loops on two workers: ≈ 2 on an idle
// 2-core machine; well under that when other processes hold the cores, and then no ratio here
// means anything). Runs on the built package: `npm run build && node scripts/thread-scaling.mjs`.
//
//   --rounds N            rounds (default 7)
//   --cases a,b           of control,g512,g128,small,paper,sample (default all)
//   --variant name=JSON   a threads-2 variant (ThreadsOptions as JSON; repeatable). Default:
//                         old={"spinMs":0} (sleep at once, the synchronisation before spinning)
//                         and new={} (the defaults). Every ratio is time(wasm, one thread) / time(variant).
//
// Prints per case and variant the median wall time and process CPU time per call (all threads),
// and the per-round ratios with their median; loadavg before and after.
//
// Each round also times, right before each case, a GEMM control: 48 one-thread 256³ GEMMs of
// the wasm backend (this build's kernel) on one worker, then 24 on each of two workers, nothing
// shared — what two cores give to this kernel at that moment. On the project's 2-vCPU VMs it
// has phases of seconds at ~1.1× (both workers slowed alike). Per variant the script then prints
// its ratio divided by the control's round by round, and its median over the quiet rounds
// (control ≥ 1.8). --no-gemm-control leaves the control out.
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const rounds = Number(opt('rounds', '7'));
const only = opt('cases', 'control,g512,g128,small,paper,sample').split(',');
const variantArgs = args.flatMap((a, i) => (a === '--variant' ? [args[i + 1]] : []));
const variants = (variantArgs.length ? variantArgs : ['old={"spinMs":0}', 'new={}']).map((v) => {
  const eq = v.indexOf('=');
  return [v.slice(0, eq), JSON.parse(v.slice(eq + 1))];
});

const gemmControl = !args.includes('--no-gemm-control');
const QUIET = 1.8;

const sd = await import('../dist/node/index.js');
const be = await import('../dist/node/backends.js');
const backs = [['1t', await be.loadWasmBackend()]];
for (const [name, o] of variants) backs.push([name, await be.loadThreadsBackend({ threads: 2, ...o })]);

const rng = new sd.Rng(1);
const rand = (len) => { const a = new Float32Array(len); for (let i = 0; i < len; i++) a[i] = rng.uniform() - 0.5; return a; };
const spins = (n, m) => { const s = new Int8Array(n * m); for (let i = 0; i < s.length; i++) s[i] = rng.spin(); return { n, m, s }; };

/** Cases: name, per-variant call, calls per timing. */
const cases = [];
const CONTROL_NAME = 'control: plain JS loop, 4e7 multiply-adds on 1 / 2 workers';
if (only.includes('control')) {
  const SRC = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (it) => { let x = 0.5; for (let i = 0; i < it; i++) x = x * 0.9999999 + 1e-7; parentPort.postMessage(x); });`;
  const ws = [new Worker(SRC, { eval: true }), new Worker(SRC, { eval: true })];
  const once = (w, n) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(n); });
  const per = { '1t': () => once(ws[0], 4e7) };
  for (const [name] of variants) per[name] = () => Promise.all(ws.map((w) => once(w, 2e7)));
  cases.push({ name: CONTROL_NAME, per, reps: 1, cleanup: () => ws.forEach((w) => w.terminate()) });
}
for (const [tag, s, reps] of [['g512', 512, 5], ['g128', 128, 100]]) if (only.includes(tag)) {
  const per = {};
  const a0 = rand(s * s), b0 = rand(s * s);
  for (const [name, b] of backs) {
    const a = b.alloc('float32', s * s), bb = b.alloc('float32', s * s), c = b.alloc('float32', s * s);
    a.set(a0); bb.set(b0);
    per[name] = () => b.gemm(false, false, s, s, s, a, bb, c, 1, 0);
  }
  cases.push({ name: `gemm ${s}³ (with operand copies)`, per, reps });
}
for (const [tag, preset, n, reps] of [['small', 'small', 20, 20], ['paper', 'paper', 40, 3]]) if (only.includes(tag)) {
  const per = {};
  const d = spins(n, 2000);
  for (const [name, b] of backs) {
    const tr = sd.withBackend(b, () => new sd.DiffusionTrainer(d, sd.presetConfig(preset, n), { ...sd.DEFAULT_TRAIN, iterations: 100000 }));
    sd.withBackend(b, () => { for (let i = 0; i < 3; i++) tr.step(); });
    per[name] = () => sd.withBackend(b, () => tr.step());
  }
  cases.push({ name: `training step, ${preset} n=${n}, batch 128`, per, reps });
}
if (only.includes('sample')) {
  const net = new sd.NoiseMLP(sd.presetConfig('small', 20), new sd.Rng(1));
  const per = {};
  for (const [name, b] of backs) per[name] = async () => { sd.setBackend(b); await sd.generateSpins(net, 2048, new sd.Rng(2), { sampler: 'ddim', steps: 10, eta: 1, batch: 2048 }); };
  cases.push({ name: 'generateSpins, small n=20, 2048 samples × DDIM-10', per, reps: 1 });
}

// The GEMM control's workers: each loads this build's wasm backend and answers `calls` GEMMs per message.
const CTL_SRC = `const { parentPort } = require('node:worker_threads');
(async () => {
  const be = await import(${JSON.stringify(new URL('../dist/node/backends.js', import.meta.url).href)});
  const b = await be.loadWasmBackend();
  const s = 256, a = b.alloc('float32', s * s), bb = b.alloc('float32', s * s), c = b.alloc('float32', s * s);
  for (let i = 0; i < s * s; i++) { a[i] = Math.sin(i); bb[i] = Math.cos(i); }
  parentPort.on('message', (calls) => { for (let i = 0; i < calls; i++) b.gemm(false, false, s, s, s, a, bb, c, 1, 0); parentPort.postMessage(calls); });
  parentPort.postMessage('ready');
})();`;
const ctlWorkers = gemmControl ? [new Worker(CTL_SRC, { eval: true }), new Worker(CTL_SRC, { eval: true })] : [];
const ask = (w, n) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(n); });
await Promise.all(ctlWorkers.map((w) => new Promise((resolve) => w.once('message', resolve))));
/** One round of the control: time(48 GEMMs on one worker) / time(24 on each of two). */
const controlRound = async () => {
  const [w0, w1] = ctlWorkers;
  await ask(w0, 4); await ask(w1, 4);
  let t0 = performance.now();
  await ask(w0, 48);
  const one = performance.now() - t0;
  t0 = performance.now();
  await Promise.all([ask(w0, 24), ask(w1, 24)]);
  return one / (performance.now() - t0);
};

const res = new Map(), ctl = new Map();
const load0 = loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    if (gemmControl && c.name !== CONTROL_NAME) (ctl.get(c.name) ?? ctl.set(c.name, []).get(c.name)).push(await controlRound());
    const names = Object.keys(c.per);
    for (const name of r % 2 ? names.slice().reverse() : names) {
      const f = c.per[name];
      await f();
      const t0 = performance.now(), c0 = process.cpuUsage();
      for (let i = 0; i < c.reps; i++) await f();
      const wall = (performance.now() - t0) / c.reps, cu = process.cpuUsage(c0);
      if (!res.has(c.name)) res.set(c.name, {});
      (res.get(c.name)[name] ??= []).push({ wall, cpu: (cu.user + cu.system) / 1000 / c.reps });
    }
  }
}
const median = (a) => { const s = a.slice().sort((x, y) => x - y); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
console.log(`${rounds} rounds; loadavg(1 min) ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after; ratio = time on one thread (wasm) / time of the variant, per round`);
const list = (xs) => `[${xs.map((x) => x.toFixed(2)).join(' ')}]`;
for (const [name, per] of res) {
  console.log(name);
  const one = per['1t'], control = ctl.get(name);
  if (control) console.log(`  GEMM control (same rounds, just before)  ratio median ${median(control).toFixed(2)} ${list(control)}`);
  for (const [v, runs] of Object.entries(per)) {
    const ratios = runs.map((x, i) => one[i].wall / x.wall);
    console.log(`  ${v.padEnd(10)} wall ${median(runs.map((x) => x.wall)).toFixed(3).padStart(9)} ms  cpu ${median(runs.map((x) => x.cpu)).toFixed(3).padStart(9)} ms`
      + (v === '1t' ? '' : `  ratio median ${median(ratios).toFixed(2)} ${list(ratios)}`));
    if (v === '1t' || !control) continue;
    const quiet = ratios.filter((_, i) => control[i] >= QUIET);
    console.log(`  ${''.padEnd(10)} ÷ control per round: median ${median(ratios.map((x, i) => x / control[i])).toFixed(2)};`
      + ` quiet rounds (control ≥ ${QUIET}): ${quiet.length} of ${ratios.length}${quiet.length ? `, ratio median ${median(quiet).toFixed(2)}` : ''}`);
  }
}
for (const c of cases) c.cleanup?.();
for (const w of ctlWorkers) await w.terminate();
for (const [, b] of backs) await b.terminate?.();
process.exit(0);
