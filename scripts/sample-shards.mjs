// Sampling on the threads backend alone against SamplePool's row shards, in alternating rounds
// of one process: generateSpins of a randomly initialised noise network (the cost does not depend
// on the weights), DDIM with η = 1, the spins checked equal in every round. Prints each round's
// times, their ratio, and what m = 100,000 would take at that rate. Runs on the built package
// (npm run build).
//
//   node scripts/sample-shards.mjs [--preset paper] [--n 40] [--m 2000] [--steps 50] [--batch 1000] [--rounds 2] [--threads 2]
import { existsSync } from 'node:fs';
import { scriptArgs } from './script-args.mjs';

const usage = 'usage: node scripts/sample-shards.mjs [--preset tiny|small|paper] [--n N] [--m N] [--steps N] [--batch N] [--rounds N] [--threads N]';
const { values: o, fail } = scriptArgs('sample-shards', usage, {
  preset: { type: 'string', default: 'paper' }, n: { type: 'string', default: '40' }, m: { type: 'string', default: '2000' },
  steps: { type: 'string', default: '50' }, batch: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '2' },
  threads: { type: 'string', default: '2' },
}, ['n', 'm', 'steps', 'batch', 'rounds', 'threads']);
if (!['tiny', 'small', 'paper'].includes(o.preset)) fail(`--preset must be tiny, small or paper, got '${o.preset}'`);
if (Number(o.threads) < 2) fail('--threads must be at least 2 (the pool has one worker per thread)');
const dist = new URL('../dist/node/', import.meta.url);
if (!existsSync(new URL('node.js', dist))) fail(`no ${dist.pathname}node.js (run npm run build)`);
const sd = await import(new URL('index.js', dist).href);
const be = await import(new URL('backends.js', dist).href);
const { SamplePool } = await import(new URL('node.js', dist).href);

const threads = Number(o.threads), m = Number(o.m);
be.setBackend(await be.loadBackend('threads', { threads }));
const net = new sd.NoiseMLP(sd.presetConfig(o.preset, Number(o.n)), new sd.Rng(1));
const s = { sampler: 'ddim', steps: Number(o.steps), eta: 1, batch: Number(o.batch) };
const pool = await SamplePool.start(threads);
const minutes = (ms) => ((ms / m) * 1e5 / 60000).toFixed(1);
console.log(`${o.preset} n=${o.n}, ${m} samples, DDIM-${o.steps}, batch ${o.batch}, ${threads} threads`);
// Untimed: the pool's one-time check and the first compilations on every thread.
const warm = { ...s, steps: 2 };
await sd.generateSpins(net, 16, new sd.Rng(0), warm);
await sd.generateSpins(net, 16, new sd.Rng(0), warm, { sampling: pool });
for (let r = 0; r < Number(o.rounds); r++) {
  let t = performance.now();
  const a = await sd.generateSpins(net, m, new sd.Rng(r), s);
  const ta = performance.now() - t;
  t = performance.now();
  const b = await sd.generateSpins(net, m, new sd.Rng(r), s, { sampling: pool });
  const tb = performance.now() - t;
  const same = a.s.every((v, i) => v === b.s[i]);
  console.log(`round ${r + 1}: threads ${(ta / 1000).toFixed(1)} s, shards ${(tb / 1000).toFixed(1)} s, threads/shards ${(ta / tb).toFixed(3)}, same spins ${same}; 100k samples: ${minutes(ta)} min and ${minutes(tb)} min`);
  if (!same) process.exitCode = 1;
}
pool.close();
