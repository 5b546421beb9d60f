// EM over the ε grid and PLE over spins on worker threads must give exactly the serial results
// (the parts compute what the serial loops compute); oracle: erasureMachine and inferPLE.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { erasureMachine, inferExactMLE, inferPLE, sampleExact, skParams } from '../../src/ising/index.js';
import { erasureMachineParallel, InferPool, inferPLEParallel, poolFitRunner } from '../../src/ising/infer/parallel.js';
import { COMPARE_METHODS } from '../../src/diffusion/compare.js';
import type { InferResult } from '../../src/ising/index.js';

const sameResult = (got: InferResult, want: InferResult): void => {
  expect(Array.from(got.params.b)).toEqual(Array.from(want.params.b));
  expect(Array.from(got.params.w)).toEqual(Array.from(want.params.w));
  expect(got.method).toBe(want.method);
  expect(got.settings).toEqual(want.settings);
  expect(got.diagnostics).toEqual(want.diagnostics);
};

describe('parallel inference', () => {
  const n = 8;
  const truth = skParams(n, 0.8, new Rng(5));
  const data = sampleExact(truth, 3000, new Rng(6));
  const grid = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

  it('EM on 2 and 3 workers equals the serial run (every ε score, the chosen fit)', async () => {
    const want = erasureMachine(data, { epsGrid: grid, iterations: 30 });
    for (const threads of [1, 2, 3]) {
      const steps: number[] = [];
      const got = await erasureMachineParallel(data, { epsGrid: grid, iterations: 30, threads, onProgress: (d, t) => { steps.push(d); expect(t).toBe(grid.length * 30); } });
      sameResult(got, want);
      expect(steps.length).toBeGreaterThan(0);
      expect(Math.max(...steps)).toBe(grid.length * 30);
    }
  });

  it('PLE on 2 workers (spin ranges) equals the serial run, with and without weights', async () => {
    sameResult(await inferPLEParallel(data, { threads: 2 }), inferPLE(data));
    const weights = Float64Array.from({ length: data.m }, (_, i) => 1 + (i % 3));
    sameResult(await inferPLEParallel(data, { threads: 2, lambda: 0.01, weights }), inferPLE(data, { lambda: 0.01, weights }));
  });

  it('an aborted run stops with an AbortError; a failing job rejects', async () => {
    const signal = { aborted: false };
    const run = erasureMachineParallel(data, { epsGrid: grid, iterations: 100000, threads: 2, signal });
    setTimeout(() => { signal.aborted = true; }, 100);
    await expect(run).rejects.toThrow(/aborted/);
    await expect(erasureMachineParallel(data, { epsGrid: [0.5, 2], threads: 2 })).rejects.toThrow(/ε must be in/);
  });

  it('a shared pool runs EM, PLE and exact-MLE fits of several data sets side by side, each with the serial result', async () => {
    const other = sampleExact(skParams(n, 1.2, new Rng(7)), 1500, new Rng(8));
    const pool = await InferPool.start(2);
    try {
      const fits = poolFitRunner(pool);
      const calls = [['mle', data], ['em', other], ['ple', data], ['em', data], ['mle', other], ['ple', other]] as const;
      const got = await Promise.all(calls.map(([m, d]) => fits.fit(m, d)));
      for (const [k, [m, d]] of calls.entries()) sameResult(got[k]!, COMPARE_METHODS[m](d));
      // Options travel with the jobs; progress counts the steps of all parts.
      const steps: number[] = [];
      sameResult(await erasureMachineParallel(data, { pool, epsGrid: grid, iterations: 30, onProgress: (d) => steps.push(d) }), erasureMachine(data, { epsGrid: grid, iterations: 30 }));
      expect(Math.max(...steps)).toBe(grid.length * 30);
      sameResult(await inferPLEParallel(data, { pool, lambda: 0.01 }), inferPLE(data, { lambda: 0.01 }));
      sameResult(await fits.fit('mle', other), inferExactMLE(other));
    } finally {
      pool.close();
    }
  });

  it('on a shared pool, an aborted or failing call rejects alone; after close, calls reject', async () => {
    const pool = await InferPool.start(2);
    try {
      const signal = { aborted: false };
      const slow = erasureMachineParallel(data, { pool, epsGrid: grid, iterations: 100000, signal });
      const bad = erasureMachineParallel(data, { pool, epsGrid: [0.5, 2] });
      setTimeout(() => { signal.aborted = true; }, 100);
      await expect(slow).rejects.toThrow(/aborted/);
      await expect(bad).rejects.toThrow(/ε must be in/);
      // The pool still serves calls, at once: the workers busy with the aborted jobs were replaced.
      const t0 = performance.now();
      sameResult(await inferPLEParallel(data, { pool }), inferPLE(data));
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      pool.close();
    }
    await expect(inferPLEParallel(data, { pool })).rejects.toThrow(/closed/);
  });
});
