/** In-process CLI tests of `spindiff demo` and `spindiff experiment` on tiny settings. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { checkSvg } from '../plot/xml.js';

function ctxFor(cwd: string): CliContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdout: (s) => out.push(s), stderr: (s) => err.push(s), isTTY: false, cwd, signal: { aborted: false }, out, err };
}

describe('spindiff demo', () => {
  it('--quick --json prints only the JSON summary on stdout and writes a report that parses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spindiff-demo-'));
    const ctx = ctxFor(dir);
    const code = await main(['demo', '--quick', '--json', '--n', '8', '--M', '200', '--out', 'rep'], ctx);
    expect(ctx.err.join('')).not.toMatch(/Error/);
    expect(code).toBe(0);
    // stdout is the JSON document alone (for `| jq`); the sentence went to stderr.
    const last = JSON.parse(ctx.out.join(''));
    expect(ctx.err.join('')).toMatch(/SK n=8 g=1 M=200: MSE observed/);
    expect(Object.keys(last)).toEqual(['n', 'M', 'mse_obs', 'mse_aug_obs', 'stop_iteration', 'seconds']);
    expect(last.n).toBe(8);
    expect(last.M).toBe(200);
    for (const k of ['mse_obs', 'mse_aug_obs', 'seconds']) expect(Number.isFinite(last[k])).toBe(true);
    const rep = join(dir, 'rep');
    expect(readFileSync(join(rep, 'report.md'), 'utf8')).toMatch(/^# spindiff demo/);
    const res = JSON.parse(readFileSync(join(rep, 'results.json'), 'utf8'));
    expect(res.summary).toEqual(last);
    // n ≤ 20: PLE and exact MLE are fitted beside EM on the same observed / augmented data.
    expect(res.details.compare.map((c: { method: string }) => c.method)).toEqual(['ple', 'mle']);
    for (const c of res.details.compare) for (const k of ['mse_obs', 'mse_aug_obs']) expect(c[k]).toBeGreaterThan(0);
    expect(readFileSync(join(rep, 'report.md'), 'utf8')).toMatch(/MLE observed \+ generated/);
    for (const f of ['true.json', 'inferred_obs.json', 'inferred_aug.json']) expect(JSON.parse(readFileSync(join(rep, f), 'utf8')).n).toBe(8);
    for (const f of readdirSync(rep).filter((f) => f.endsWith('.svg'))) checkSvg(readFileSync(join(rep, f), 'utf8'));
    expect(readdirSync(rep).filter((f) => f.endsWith('.svg')).length).toBe(2);
    // No temporary files left behind.
    expect(readdirSync(rep).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('the fits on worker threads (the default on several cores) give the numbers of --threads 1', async () => {
    const results = async (extra: string[]): Promise<unknown> => {
      const dir = mkdtempSync(join(tmpdir(), 'spindiff-demo-'));
      expect(await main(['demo', '--quick', '--json', '--n', '8', '--M', '200', '--out', 'rep', ...extra], ctxFor(dir))).toBe(0);
      const r = JSON.parse(readFileSync(join(dir, 'rep', 'results.json'), 'utf8'));
      delete r.summary.seconds;
      delete r.details.timings;
      return r;
    };
    expect(await results(['--threads', '2'])).toEqual(await results(['--threads', '1']));
  });

  it('rejects bad options with a message naming the option', async () => {
    const ctx = ctxFor(tmpdir());
    expect(await main(['demo', '--n', '1'], ctx)).toBe(2);
    expect(ctx.err.join('')).toMatch(/--n: must be ≥ 2/);
    const c2 = ctxFor(mkdtempSync(join(tmpdir(), 'spindiff-demo-')));
    expect(await main(['demo', '--quick', '--compare', 'ple,xx'], c2)).toBe(2);
    expect(c2.err.join('')).toMatch(/--compare: unknown method 'xx'/);
  });
});

describe('spindiff experiment', () => {
  const tiny = JSON.stringify({ n: 6, Ms: [200], samples: 300, models: ['rbm', 'vae'], rbm: { epochs: 2 }, vae: { epochs: 2 } });

  it('runs shards and merges them into the unsharded result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spindiff-exp-'));
    const ctx = ctxFor(dir);
    expect(await main(['experiment', 'fig5', '--seeds', '2', '--set', tiny, '--out', 'full'], ctx)).toBe(0);
    expect(await main(['experiment', 'fig5', '--seeds', '2', '--set', tiny, '--shard', '1/3', '--out', 's1'], ctx)).toBe(0);
    expect(await main(['experiment', 'fig5', '--seeds', '2', '--set', tiny, '--shard', '2/3', '--out', 's2'], ctx)).toBe(0);
    // Merging an incomplete set says what is missing and exits 3.
    expect(await main(['experiment', 'merge', 's1', 's2', '--out', 'part'], ctx)).toBe(3);
    expect(ctx.err.join('')).toMatch(/missing: /);
    expect(await main(['experiment', 'fig5', '--seeds', '2', '--set', tiny, '--shard', '3/3', '--out', 's3'], ctx)).toBe(0);
    expect(await main(['experiment', 'merge', 's1', 's2', 's3', '--out', 'merged'], ctx)).toBe(0);
    const read = (d: string) => JSON.parse(readFileSync(join(dir, d, 'results.json'), 'utf8'));
    const norm = (r: { records: { seconds: number }[] }) => ({ ...r, records: r.records.map((x) => ({ ...x, seconds: 0 })) });
    expect(norm(read('merged'))).toEqual(norm(read('full')));
    // Reports are equal up to the measured job time in their header.
    const md = (d: string) => readFileSync(join(dir, d, 'report.md'), 'utf8').replace(/job time [\d.]+ s/, 'job time T s');
    expect(md('merged')).toBe(md('full'));
    for (const f of readdirSync(join(dir, 'merged')).filter((f) => f.endsWith('.svg'))) checkSvg(readFileSync(join(dir, 'merged', f), 'utf8'));
  });

  it('gives clear errors for bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spindiff-exp-'));
    const cases: [string[], RegExp, number][] = [
      [['experiment', 'fig9', '--out', 'x'], /unknown experiment 'fig9'/, 2],
      [['experiment', 'fig5', '--shard', '4/3', '--out', 'x'], /--shard: need 1 ≤ i ≤ N/, 2],
      [['experiment', 'fig5', '--set', '{"bogus":1}', '--out', 'x'], /--set: 'bogus' is not a preset value of fig5/, 2],
      [['experiment', 'fig5', '--set', '{oops', '--out', 'x'], /--set: invalid JSON/, 2],
      [['experiment', 'merge', 'nowhere', '--out', 'x'], /nowhere.*results\.json: not found/, 1],
      [['experiment', 'fig5'], /missing required option --out/, 2],
    ];
    for (const [argv, re, code] of cases) {
      const ctx = ctxFor(dir);
      expect(await main(argv, ctx), argv.join(' ')).toBe(code);
      expect(ctx.err.join(''), argv.join(' ')).toMatch(re);
    }
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('lists the experiments', async () => {
    const ctx = ctxFor(tmpdir());
    expect(await main(['experiment', 'list'], ctx)).toBe(0);
    expect(ctx.out.join('')).toMatch(/fig2[\s\S]*fig6/);
  });
});
