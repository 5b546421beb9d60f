import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { runIn } from './run-in.js';
import { enumerate, mse, paramsFromJSON, parseSpinText, dataMoments, parseNpy } from '../../src/ising/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-ising-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]) => runIn(dir, argv);
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const exists = (f: string) => existsSync(join(dir, f));
const noTemp = () => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('spindiff sk / simulate / infer / score / reconstruct (the README tour)', () => {
  it('sk writes valid SK params; the same seed gives the same file', async () => {
    const r = await run('sk', '--n', '10', '--g', '1.0', '--seed', '1', '--out', 'true.json');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote SK parameters \(n=10, g=1, seed=1\) to true\.json/);
    const p = paramsFromJSON(read('true.json'), 'true.json');
    expect(p.n).toBe(10);
    await run('sk', '--n', '10', '--g', '1.0', '--seed', '1', '--out', 'again.json');
    expect(read('again.json')).toBe(read('true.json'));
  });

  it('simulate samples exactly: data moments agree with the exact ones within 5 standard errors', async () => {
    const r = await run('simulate', '--params', 'true.json', '--samples', '4000', '--seed', '2', '--out', 'data.txt');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote 4000 samples \(n=10, exact\) to data\.txt/);
    const d = parseSpinText(read('data.txt'), 'data.txt');
    expect([d.m, d.n]).toEqual([4000, 10]);
    const ex = enumerate(paramsFromJSON(read('true.json')));
    const dm = dataMoments(d);
    for (let i = 0; i < 10; i++) expect(Math.abs(dm.mean[i]! - ex.mean[i]!)).toBeLessThan(5 * Math.sqrt((1 - ex.mean[i]! ** 2) / 4000));
  });

  it('simulate with MCMC reports acceptance; .npy output reads back', async () => {
    const r = await run('simulate', '--params', 'true.json', '--samples', '100', '--sampler', 'gibbs', '--burn-in', '50', '--out', 'g.npy', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.sampler).toBe('gibbs');
    expect(j.acceptance).toBeGreaterThan(0);
    const d = parseNpy(new Uint8Array(readFileSync(join(dir, 'g.npy'))));
    expect([d.m, d.n]).toEqual([100, 10]);
  });

  it('infer (every method) writes params with method and diagnostics; score reads them', async () => {
    for (const m of ['em', 'mle', 'ple', 'nmf', 'tap']) {
      const r = await run('infer', '--data', 'data.txt', '--method', m, '--out', `${m}.json`, ...(m === 'em' ? ['--eps', '0.5:0.9:5', '--iterations', '50'] : []));
      expect(r.code, r.err).toBe(0);
      const p = paramsFromJSON(read(`${m}.json`));
      expect(String(p.extra['method'])).toContain(m === 'mle' ? 'mle-exact' : m);
      const s = await run('score', '--true', 'true.json', '--inferred', `${m}.json`, '--json');
      expect(s.code).toBe(0);
      const j = JSON.parse(s.out);
      expect(j.mse).toBeCloseTo(mse(paramsFromJSON(read('true.json')), p).mse, 14);
      // Consistent estimators at 4000 samples, n = 10: errors of order (#params/M) ≈ 0.01.
      if (m === 'mle' || m === 'ple' || m === 'em') expect(j.mse, m).toBeLessThan(0.03);
    }
    const em = paramsFromJSON(read('em.json'));
    expect((em.extra['diagnostics'] as { scores: number[] }).scores).toHaveLength(5);
    const s = await run('score', '--true', 'true.json', '--inferred', 'em.json');
    expect(s.out).toMatch(/^mse [\d.e-]+ \(b [\d.e-]+, w [\d.e-]+\), correlation/);
  });

  it('reconstruct reports accuracy and writes the filled data', async () => {
    const r = await run('reconstruct', '--params', 'true.json', '--data', 'data.txt', '--hidden', '3,7', '--json', '--out', 'filled.txt');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.total).toBe(8000);
    expect(j.accuracy).toBeGreaterThan(0.5);
    const f = parseSpinText(read('filled.txt'));
    expect(f.m).toBe(4000);
    const t = await run('reconstruct', '--params', 'true.json', '--data', 'data.txt', '--random-hidden', '4');
    expect(t.out).toMatch(/^accuracy [\d.]+ \(\d+\/16000 hidden spins, 4 per sample\)/);
    const many = await run('reconstruct', '--params', 'true.json', '--data', 'data.txt', '--random-hidden', '1,3', '--json');
    const rows = JSON.parse(many.out).byHidden;
    expect(rows.map((r: { hiddenPerSample: number; total: number }) => [r.hiddenPerSample, r.total])).toEqual([[1, 4000], [3, 12000]]);
    const bad = await run('reconstruct', '--params', 'true.json', '--data', 'data.txt', '--random-hidden', '1,3', '--out', 'x.txt');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--out needs a single --random-hidden count/);
  });

  it('reads 0/1 files and says so on stderr', async () => {
    writeFileSync(join(dir, 'zo.txt'), '0 1 1\n1 0 1\n1 1 0\n0 0 1\n');
    const r = await run('infer', '--data', 'zo.txt', '--method', 'ple', '--out', 'zo.json');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/zo\.txt: values are 0\/1, read as 0 → -1, 1 → \+1/);
  });

  it('draws progress on stderr only when it is a terminal', async () => {
    let err = '';
    const code = await main(['infer', '--data', 'data.txt', '--eps', '0.6,0.7', '--out', 'tty.json'], { stdout: () => {}, stderr: (s) => (err += s), isTTY: true, cwd: dir, signal: { aborted: false } });
    expect(code).toBe(0);
    expect(err).toMatch(/\rinfer em .*200\/200/);
    const quiet = await run('infer', '--data', 'data.txt', '--eps', '0.6,0.7', '--out', 'notty.json');
    expect(quiet.err).toBe('');
  });

  it('an interrupted run writes nothing', async () => {
    let err = '';
    const code = await main(['infer', '--data', 'data.txt', '--out', 'stopped.json'], { stdout: () => {}, stderr: (s) => (err += s), isTTY: false, cwd: dir, signal: { aborted: true } });
    expect(code).not.toBe(0);
    expect(err).toMatch(/interrupted/);
    expect(code).toBe(130);
    expect(exists('stopped.json')).toBe(false);
  });

  it('infer --threads 2 writes the same file as --threads 1 (em, ple), with progress; interrupted, nothing', async () => {
    for (const [m, extra] of [['em', ['--eps', '0.5:0.9:5', '--iterations', '30']], ['ple', []]] as const) {
      const one = await run('infer', '--data', 'data.txt', '--method', m, ...extra, '--out', `t1-${m}.json`);
      let err = '';
      const code = await main(['infer', '--data', 'data.txt', '--method', m, ...extra, '--threads', '2', '--out', `t2-${m}.json`],
        { stdout: () => {}, stderr: (s) => (err += s), isTTY: true, cwd: dir, signal: { aborted: false } });
      expect([one.code, code]).toEqual([0, 0]);
      expect(read(`t2-${m}.json`)).toBe(read(`t1-${m}.json`));
      expect(err).toMatch(new RegExp(`\\rinfer ${m} `));
    }
    let err = '';
    const code = await main(['infer', '--data', 'data.txt', '--threads', '2', '--out', 'stopped2.json'], { stdout: () => {}, stderr: (s) => (err += s), isTTY: false, cwd: dir, signal: { aborted: true } });
    expect(code).toBe(130);
    expect(exists('stopped2.json')).toBe(false);
    const bad = await run('infer', '--data', 'data.txt', '--threads', 'many', '--out', 'o.json');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--threads: expected an integer from 1 to 256 or auto, got 'many'/);
  });

  it('infer --help shows the library defaults', async () => {
    const { EM_DEFAULTS, MCMC_MLE_DEFAULTS } = await import('../../src/ising/index.js');
    const r = await run('infer', '--help');
    expect(r.out).toContain(`${EM_DEFAULTS.eps.start}:${EM_DEFAULTS.eps.stop}:${EM_DEFAULTS.eps.count}`);
    expect(r.out).toContain(`em (${EM_DEFAULTS.gamma})`);
    expect(r.out).toContain(`em: iterations per ε (${EM_DEFAULTS.iterations})`);
    expect(r.out).toMatch(new RegExp(`--chains.*\\(default: ${MCMC_MLE_DEFAULTS.chains}\\)`));
  });

  it('simulate --zero-one writes 0/1 that reads back to the same spins', async () => {
    await run('simulate', '--params', 'true.json', '--samples', '50', '--seed', '9', '--out', 'pm.txt');
    await run('simulate', '--params', 'true.json', '--samples', '50', '--seed', '9', '--zero-one', '--out', 'zo01.txt');
    expect(read('zo01.txt')).toMatch(/^[01 \n]+$/);
    expect(Array.from(parseSpinText(read('zo01.txt')).s)).toEqual(Array.from(parseSpinText(read('pm.txt')).s));
  });

  it('--help works for every command', async () => {
    for (const c of ['sk', 'simulate', 'infer', 'score', 'reconstruct']) {
      const r = await run(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`spindiff ${c} — `));
      expect(r.out).toMatch(/--seed|--json/);
    }
  });
});

describe('bad input: one clear line, non-zero exit, no output file', () => {
  const cases: [string, string[], string, RegExp][] = [
    ['missing data file', ['infer', '--data', 'nope.txt', '--out', 'o1.json'], 'o1.json', /^spindiff infer: cannot read nope\.txt: no such file or folder\n$/],
    ['bad value with line and column', ['infer', '--data', 'bad.txt', '--out', 'o2.json'], 'o2.json', /^spindiff infer: bad\.txt:2:3: expected -1, 1 \(or 0\/1\), got '2'\n$/],
    ['ragged line', ['infer', '--data', 'ragged.txt', '--out', 'o3.json'], 'o3.json', /^spindiff infer: ragged\.txt:3: expected 3 values \(as on the first data line\), got 2\n$/],
    ['mixed conventions', ['infer', '--data', 'mixed.txt', '--out', 'o4.json'], 'o4.json', /^spindiff infer: mixed\.txt:2:1: '0' mixes the 0\/1 and ±1 conventions \(a -1 at mixed\.txt:1:4\)/],
    ['unknown method', ['infer', '--data', 'data.txt', '--method', 'magic', '--out', 'o5.json'], 'o5.json', /--method: expected one of em\|mle\|ple\|nmf\|tap\|rise\|logrise\|rple\|auto, got 'magic'/],
    ['bad eps grid', ['infer', '--data', 'data.txt', '--eps', '0.4:1.5:3', '--out', 'o6.json'], 'o6.json', /--eps: every ε must be in \(0, 1\], got 1\.5/],
    ['n mismatch in score', ['score', '--true', 'true.json', '--inferred', 'small.json'], '', /true\.json has n=10 but small\.json has n=3/],
    ['n mismatch in reconstruct', ['reconstruct', '--params', 'small.json', '--data', 'data.txt', '--hidden', '1', '--out', 'o7.txt'], 'o7.txt', /small\.json has n=3 but data\.txt has n=10/],
    ['hidden index out of range', ['reconstruct', '--params', 'true.json', '--data', 'data.txt', '--hidden', '3,10', '--out', 'o8.txt'], 'o8.txt', /--hidden: index 10 out of range 0\.\.9/],
    ['asymmetric params', ['simulate', '--params', 'asym.json', '--samples', '5', '--out', 'o9.txt'], 'o9.txt', /asym\.json: w\[0\]\[1\] = 0\.5 but w\[1\]\[0\] = 0\.25; w must be symmetric/],
    ['params not JSON', ['simulate', '--params', 'bad.txt', '--samples', '5', '--out', 'o10.txt'], 'o10.txt', /bad\.txt: not valid JSON/],
    ['exact sampler too large', ['simulate', '--params', 'big.json', '--sampler', 'exact', '--out', 'o11.txt'], 'o11.txt', /--sampler exact: n=30 is too large/],
    ['negative samples', ['simulate', '--params', 'true.json', '--samples', '-3', '--out', 'o12.txt'], 'o12.txt', /--samples: must be ≥ 1, got -3/],
  ];
  beforeAll(async () => {
    writeFileSync(join(dir, 'bad.txt'), '1 -1 1\n1 2 1\n');
    writeFileSync(join(dir, 'ragged.txt'), '# comment\n1 -1 1\n1 1\n');
    writeFileSync(join(dir, 'mixed.txt'), '1, -1, 1\n0, 1, 1\n');
    writeFileSync(join(dir, 'asym.json'), JSON.stringify({ n: 2, b: [0, 0], w: [[0, 0.5], [0.25, 0]] }));
    await run('sk', '--n', '3', '--out', 'small.json');
    await run('sk', '--n', '30', '--out', 'big.json');
  });
  for (const [what, argv, outFile, msg] of cases) {
    it(what, async () => {
      const r = await run(...argv);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      if (outFile) expect(exists(outFile)).toBe(false);
      noTemp();
    });
  }
});
