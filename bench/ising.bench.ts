// Ising benchmarks: the erasure machine at the paper's augmented size (n = 40, M = 4k observed +
// 100k generated, full ε grid of 21 × 100 iterations), its per-iteration cost at n = 60,
// M = 300k, exact enumeration at n = 20 and 24, and the smoking-data reconstruction.
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { enumerate, erasureMachine, reconstruct, sampleMcmc, skParams, linspace, defaultEpsGrid, type SpinData, type IsingParams } from '../src/ising/index.js';

/** M samples of SK(n, g=1): Metropolis chains (setup only, not timed). */
function skData(n: number, m: number, seed: number): SpinData {
  const p = skParams(n, 1, new Rng(seed));
  return sampleMcmc(p, m, new Rng(seed + 1), { chains: 64, burnIn: 200, thin: 2 }).data;
}

export default function cases(o: BenchOptions): BenchCase[] {
  let d40: SpinData = { n: 40, m: 0, s: new Int8Array(0) };
  let d60: SpinData = { n: 60, m: 0, s: new Int8Array(0) };
  const grid = o.quick ? linspace(0.4, 0.9, 3) : defaultEpsGrid();
  let p20: IsingParams = skParams(20, 1, new Rng(1));
  let p24: IsingParams = skParams(24, 1, new Rng(1));
  const out: BenchCase[] = [
    {
      group: 'em', impl: 'spindiff-js', name: `erasure machine n=40 M=104000, ${grid.length} eps x 100 it`, shape: `n=40,M=104000,eps=${grid.length}`, repeats: 1,
      setup: () => { d40 = skData(40, 104_000, 40); },
      fn: () => erasureMachine(d40, { epsGrid: grid }),
    },
    {
      group: 'em', impl: 'spindiff-js', name: 'erasure machine n=60 M=300000, 1 eps x 10 it (x210 = full grid)', shape: 'n=60,M=300000,it=10', repeats: 1,
      skip: o.quick ? 'long setup (300k MCMC samples); run without --quick' : undefined,
      setup: () => { d60 = skData(60, 300_000, 60); },
      fn: () => erasureMachine(d60, { epsGrid: [0.7], iterations: 10 }),
    },
    {
      group: 'enum', impl: 'spindiff-js', name: 'exact enumeration n=20 (log Z, moments, entropy)', shape: 'n=20', repeats: o.quick ? 3 : 5,
      setup: () => { p20 = skParams(20, 1, new Rng(1)); },
      fn: () => enumerate(p20),
    },
    {
      group: 'enum', impl: 'spindiff-js', name: 'exact enumeration n=24', shape: 'n=24', repeats: o.quick ? 1 : 3,
      setup: () => { p24 = skParams(24, 1, new Rng(1)); },
      fn: () => enumerate(p24),
    },
  ];
  // Reconstruction: 1000 samples, 14 hidden of n = 38 (2^14 completions each).
  let p38: IsingParams = skParams(38, 1, new Rng(3));
  let d38: SpinData = { n: 38, m: 0, s: new Int8Array(0) };
  const hidden = Array.from({ length: 14 }, (_, k) => 2 * k + 1);
  out.push({
    group: 'reconstruct', impl: 'spindiff-js', name: 'exact reconstruction, 1000 samples, 14 hidden of 38', shape: 'm=1000,h=14,n=38', repeats: 3,
    setup: () => { p38 = skParams(38, 1, new Rng(3)); d38 = skData(38, 1000, 38); },
    fn: () => reconstruct(p38, d38, hidden),
  });
  return out;
}
