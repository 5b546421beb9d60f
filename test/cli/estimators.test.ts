import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIn } from './run-in.js';
import { paramsFromJSON, supportF1 } from '../../src/ising/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-estim-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...argv: string[]) => runIn(dir, argv);
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('spindiff model / infer --method rise|logrise|rple', () => {
  it('model --graph sk writes the same file as spindiff sk (the alias is unchanged)', async () => {
    expect((await run('sk', '--n', '8', '--g', '1', '--seed', '3', '--out', 'a.json')).code).toBe(0);
    expect((await run('model', '--graph', 'sk', '--n', '8', '--g', '1', '--seed', '3', '--out', 'b.json')).code).toBe(0);
    expect(read('b.json')).toBe(read('a.json'));
  });

  it('model --graph lattice|er report their couplings; bad shapes are usage errors', async () => {
    const r = await run('model', '--graph', 'lattice', '--rows', '3', '--cols', '4', '--J', '0.6', '--out', 'lat.json', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ model: 'lattice', n: 12, edges: 24, periodic: true });
    const e = await run('model', '--graph', 'er', '--n', '12', '--degree', '2', '--out', 'er.json');
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/wrote er parameters \(n=12, \d+ couplings, seed=1\)/);
    expect((await run('model', '--graph', 'lattice', '--rows', '3')).code).toBe(2);
    expect((await run('model', '--graph', 'er', '--n', '5', '--degree', '7')).code).toBe(2);
  });

  it('infer --method rise|logrise|rple recovers the lattice graph from exact samples', async () => {
    expect((await run('simulate', '--params', 'lat.json', '--samples', '3000', '--seed', '4', '--out', 'lat.txt')).code).toBe(0);
    const truth = paramsFromJSON(read('lat.json'));
    for (const m of ['rise', 'logrise', 'rple']) {
      const r = await run('infer', '--data', 'lat.txt', '--method', m, '--out', `${m}.json`);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(new RegExp(`^${m} on 3000 samples \\(n=12\\), λ = .*KKT residual`));
      const p = paramsFromJSON(read(`${m}.json`));
      expect(p.extra['method']).toBe(m);
      expect(supportF1(truth, p).f1).toBe(1);
    }
    const au = await run('infer', '--data', 'lat.txt', '--method', 'auto', '--out', 'auto.json', '--json');
    expect(au.code, au.err).toBe(0);
    expect(au.err).toMatch(/auto: (mle|ple|rple) — n = 12 ≤ 16 \(exact MLE enumerable\), M = 3000; held-out pseudo-log-likelihood/);
    expect(['mle', 'ple', 'rple']).toContain(JSON.parse(au.out).settings.auto.method);
  });

  it('kinetic simulate | infer: writes a series and parameters; infer scores against the truth', async () => {
    const r = await run('kinetic', 'simulate', '--n', '6', '--g', '0.5', '--steps', '3000', '--seed', '2', '--out', 'series.txt', '--params-out', 'W.json');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote 3000 steps of parallel Glauber dynamics \(n=6\) to series\.txt, parameters to W\.json/);
    for (const m of ['nmf', 'tap', 'emf', 'mle', 'fem']) {
      const i = await run('kinetic', 'infer', '--data', 'series.txt', '--method', m, '--true', 'W.json', '--out', `k-${m}.json`, '--json');
      expect(i.code, i.err).toBe(0);
      const j = JSON.parse(i.out);
      expect(j.method).toBe(m);
      expect(j.mseW).toBeGreaterThan(0);
      expect(j.mseW).toBeLessThan(0.05); // W_ij ~ N(0, 0.5²/6): the variance of W is 0.042
    }
    expect(JSON.parse(read('k-mle.json')).kind).toBe('kinetic-ising');
    expect((await run('kinetic', 'bogus')).code).toBe(2);
    expect((await run('kinetic', 'simulate', '--out', 'x.txt')).code).toBe(2);
  });
});
