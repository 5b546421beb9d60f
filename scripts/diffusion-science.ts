/**
 * Science check of the augmentation pipeline (issue 5): SK n=20, g, M observed (+ M test for the
 * stopping rule), for several seeds. Prints one JSON line per seed and a summary table:
 * EM MSE observed-only vs augmented (and exact MLE / PLE when available), the energy-variance
 * curve (crossed or not), the stop iteration, and the stopped checkpoint's EM MSE against the
 * best evaluated checkpoint's.
 *
 *   npx esbuild scripts/diffusion-science.ts --bundle --platform=node --format=esm --outfile=/tmp/sci.mjs
 *   node /tmp/sci.mjs --seeds 1,2,3 --n 20 --g 1 --m 2000 [--iters 4000] [--samples 20000] [--checkpoints]
 *     [--backend wasm|js] [--ck-samples 5000 --ck-steps 50]  (per-checkpoint EM MSE at a reduced M⁺)
 */
import { Rng } from '../src/random/index.js';
import { concatData, erasureMachine, mse, sampleExact, skParams } from '../src/ising/index.js';
import * as ising from '../src/ising/index.js';
import type { IsingParams, SpinData } from '../src/ising/index.js';
import { augment, generateSpins } from '../src/diffusion/augment.js';
import { NoiseMLP } from '../src/diffusion/network.js';
import type { PresetName } from '../src/diffusion/network.js';
import { setBackend } from '../src/tensor/index.js';
import { loadWasmBackend } from '../src/tensor/backend/wasm/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const n = Number(arg('n', '20'));
const g = Number(arg('g', '1'));
const M = Number(arg('m', '2000'));
const iters = Number(arg('iters', '4000'));
const samples = Number(arg('samples', '20000'));
const steps = Number(arg('steps', '100'));
const preset = arg('preset', 'small') as PresetName;
const evalSamples = Number(arg('eval-samples', '1000'));
const withCheckpoints = process.argv.includes('--checkpoints');
const lr = Number(arg('lr', '1e-3'));
const batch = Number(arg('batch', '128'));
const evalEvery = Number(arg('eval-every', String(Math.max(1, Math.round(iters / 10)))));

// Exact MLE / PLE from the ising layer when they exist (the ising engineer is adding them).
const extra: [string, (d: SpinData) => IsingParams][] = [];
const anyIsing = ising as Record<string, unknown>;
if (typeof anyIsing['inferExactMLE'] === 'function') extra.push(['mle', (d) => (anyIsing['inferExactMLE'] as (d: SpinData) => { params: IsingParams })(d).params]);
if (typeof anyIsing['inferPLE'] === 'function') extra.push(['ple', (d) => (anyIsing['inferPLE'] as (d: SpinData) => { params: IsingParams })(d).params]);

const ckSamples = Number(arg('ck-samples', '5000'));
const ckSteps = Number(arg('ck-steps', '50'));
if (arg('backend', 'wasm') === 'wasm') setBackend(await loadWasmBackend());
const rows: Record<string, unknown>[] = [];
for (const seed of seeds) {
  const t0 = performance.now();
  const key = new Rng(seed);
  const rng = key.fold('instance'); // truth, then train and test samples
  const truth = skParams(n, g, rng);
  const train = sampleExact(truth, M, rng);
  const test = sampleExact(truth, M, rng);
  const res = await augment(train, {
    test, samples, preset, seed, keepCheckpoints: withCheckpoints,
    train: { iterations: iters, lr, batchSize: batch },
    sampler: { steps },
    evalSamples, evalEvery,
    onProgress: (stage, d, t, info) => {
      if (stage === 'evaluate' && info?.['ratio'] !== undefined) process.stderr.write(`seed ${seed} it ${info['iteration']} ratio ${info['ratio']!.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)}s)\n`);
    },
  });
  const row: Record<string, unknown> = {
    seed, n, g, M, iters, samples, steps, preset,
    em_obs: mse(truth, res.observedParams).mse,
    em_aug: mse(truth, res.params).mse,
    stopIteration: res.stopIteration, chosenIteration: res.chosenIteration,
    crossed: res.decision?.crossed ?? null,
    curve: res.curve.map((p) => [p.iteration, +p.ratio.toFixed(4), +p.loss.toFixed(4)]),
    timings: Object.fromEntries(Object.entries(res.timings).map(([k, v]) => [k, +v.toFixed(1)])),
  };
  row['em_change'] = (row['em_aug'] as number) / (row['em_obs'] as number) - 1;
  for (const [name, f] of extra) {
    row[`${name}_obs`] = mse(truth, f(train)).mse;
    row[`${name}_aug`] = mse(truth, f(concatData([train, res.generated]))).mse;
  }
  if (withCheckpoints && res.checkpoints) {
    const per: [number, number][] = [];
    const net = new NoiseMLP(res.networkConfig, null);
    for (const c of res.checkpoints) {
      net.loadStateDict(c.stateDict);
      const gen = await generateSpins(net, ckSamples, key.fold('checkpoint', c.iteration), { ...res.samplerOptions, steps: ckSteps });
      per.push([c.iteration, mse(truth, erasureMachine(concatData([train, gen])).params).mse]);
    }
    row['checkpoint_em'] = per;
    const bestCk = per.reduce((a, b) => (b[1] < a[1] ? b : a));
    row['best_checkpoint'] = bestCk;
  }
  row['seconds'] = +((performance.now() - t0) / 1000).toFixed(1);
  rows.push(row);
  console.log(JSON.stringify(row));
}
const mean = (k: string): number => rows.reduce((a, r) => a + (r[k] as number), 0) / rows.length;
console.log(`\nseed | EM obs | EM aug | change | stop it | chosen | crossed${extra.map(([k]) => ` | ${k} obs | ${k} aug`).join('')}`);
for (const r of rows) {
  console.log(`${r['seed']} | ${(r['em_obs'] as number).toFixed(5)} | ${(r['em_aug'] as number).toFixed(5)} | ${((r['em_change'] as number) * 100).toFixed(1)}% | ${r['stopIteration']} | ${r['chosenIteration']} | ${r['crossed']}${extra.map(([k]) => ` | ${(r[`${k}_obs`] as number).toFixed(5)} | ${(r[`${k}_aug`] as number).toFixed(5)}`).join('')}`);
}
console.log(`mean EM change: ${(mean('em_change') * 100).toFixed(1)}%`);
