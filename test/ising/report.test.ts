/**
 * The numbers of the Ising report, reproducible (slow: minutes, so skipped unless asked):
 *   SPINDIFF_ISING_REPORT=1 npx vitest run test/ising/report.test.ts
 * Prints the MSE table (SK n=20, g=1, M=1000, the 3 seeds of em.test.ts) and the smoking
 * reconstruction accuracy per hidden count under the reference notebook's protocol.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { dataMoments, enumerate, erasureMachine, inferExactMLE, inferNMF, inferPLE, inferTAP, linspace, mse, reconstruct, sampleExact, skParams } from '../../src/ising/index.js';
import { smokingProtocol } from './smoking-protocol.js';
import { maxAbsDiff } from './helpers.js';

const on = Boolean(process.env['SPINDIFF_ISING_REPORT']);

describe.skipIf(!on)('Ising report numbers', () => {
  // One test per seed: each blocks the worker for well under vitest's RPC timeout.
  const rows: Record<string, number[]> = { em: [], mle: [], ple: [], nmf: [], tap: [] };
  for (const seed of [1, 2, 3]) {
    it(`MSE on SK n=20, g=1, M=1000, seed ${seed}`, () => {
      const r = new Rng(1000 + seed);
      const p = skParams(20, 1, r);
      const data = sampleExact(p, 1000, r);
      rows['em']!.push(mse(p, erasureMachine(data).params).mse);
      const ml = inferExactMLE(data, { tol: 1e-7 });
      const e = enumerate(ml.params);
      expect(maxAbsDiff(e.corr, dataMoments(data).corr)).toBeLessThan(1e-6); // it is the MLE
      rows['mle']!.push(mse(p, ml.params).mse);
      rows['ple']!.push(mse(p, inferPLE(data).params).mse);
      rows['nmf']!.push(mse(p, inferNMF(data).params).mse);
      rows['tap']!.push(mse(p, inferTAP(data).params).mse);
    }, 600_000);
  }
  it('MSE table: EM / exact MLE / PLE / nMF / TAP', () => {
    for (const [k, v] of Object.entries(rows)) console.log(k.padEnd(4), v.map((x) => x.toFixed(5)).join(' '), 'mean', (v.reduce((a, b) => a + b, 0) / v.length).toFixed(5));
  });

  it('smoking: accuracy per hidden count, EM and PLE, notebook protocol', () => {
    const base = smokingProtocol(2);
    const fits = [
      erasureMachine(base.train, { epsGrid: linspace(0.7, 0.9, 21), init: base.init }),
      inferPLE(base.train),
      inferPLE(base.train, { lambda: 1e-3 }),
    ];
    console.log('h   EM      PLE     PLE(λ=1e-3)');
    for (const h of [2, 4, 6, 8, 10, 12, 14, 16]) {
      const pr = smokingProtocol(h);
      const acc = fits.map((r) => reconstruct(r.params, pr.test, pr.hidden).accuracy.toFixed(4));
      console.log(String(h).padEnd(3), acc.join('  '));
    }
  }, 600_000);
});
