import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIn } from './run-in.js';
import { parseSpinText } from '../../src/ising/index.js';
import { feasible, flipMask } from '../../src/attack/index.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-attack-cli-'));
  await runIn(dir, ['sk', '--n', '6', '--g', '1', '--seed', '1', '--out', 'true.json']);
  await runIn(dir, ['simulate', '--params', 'true.json', '--samples', '300', '--seed', '2', '--out', 'data.txt']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const read = (f: string) => parseSpinText(readFileSync(join(dir, f), 'utf8'), f);

describe('spindiff attack', () => {
  it('writes poisoned data within the per-sample budget and reports the loss as JSON', async () => {
    const r = await runIn(dir, ['attack', '--data', 'data.txt', '--method', 'pgd', '--budget', '1', '--estimator', 'nmf', '--steps', '10', '--restarts', '1', '--draws', '2', '--true', 'true.json', '--seed', '3', '--out', 'p.txt', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.attack_loss).toBeGreaterThanOrEqual(j.clean_loss);
    expect(j.mse_attacked).toBeGreaterThan(0);
    const d = read('data.txt'), p = read('p.txt');
    expect(feasible(flipMask(d, p), d.m, d.n, { kind: 'perRow', k: 1 })).toBe(true);
    expect(j.flips).toBe(flipMask(d, p).reduce((a, v) => a + v, 0));
  });

  it('contamination changes at most ⌊ρM⌋ samples; the same seed gives the same file', async () => {
    for (const out of ['c1.txt', 'c2.txt']) {
      const r = await runIn(dir, ['attack', '--data', 'data.txt', '--method', 'random', '--fraction', '0.1', '--estimator', 'nmf', '--seed', '4', '--out', out]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/random attack on nmf/);
    }
    expect(readFileSync(join(dir, 'c1.txt'), 'utf8')).toBe(readFileSync(join(dir, 'c2.txt'), 'utf8'));
    const d = read('data.txt');
    expect(feasible(flipMask(d, read('c1.txt')), d.m, d.n, { kind: 'fraction', rho: 0.1 })).toBe(true);
  });

  it('usage errors: both or neither budget, oracle without --true, a bad target', async () => {
    const base = ['attack', '--data', 'data.txt', '--out', 'x.txt'];
    expect((await runIn(dir, base)).code).toBe(2);
    expect((await runIn(dir, [...base, '--budget', '1', '--fraction', '0.1'])).code).toBe(2);
    expect((await runIn(dir, [...base, '--budget', '1', '--loss', 'oracle'])).code).toBe(2);
    expect((await runIn(dir, [...base, '--budget', '1', '--loss', 'target', '--target', '2,2'])).code).toBe(2);
    expect((await runIn(dir, [...base, '--budget', '9'])).code).toBe(2);
  });
});
