/**
 * The command line under misuse (issue 13), in-process: inputs never overwritten, non-finite
 * models refused, sizes checked before work, exact methods limited alike, primary output last,
 * Unix conventions, messages and exit codes. The process-level checks (Ctrl-C, EPIPE, pipes)
 * are in process.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandSpec } from '../../src/cli/args.js';
import { Progress } from '../../src/cli/progress.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/index.js';
import { UsageError } from '../../src/util/errors.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-cli-rel-'));
  expect((await run('sk', '--n', '6', '--seed', '1', '--out', 'true.json')).code).toBe(0);
  expect((await run('simulate', '--params', 'true.json', '--samples', '300', '--seed', '2', '--out', 'data.txt')).code).toBe(0);
  expect((await run('sk', '--n', '30', '--out', 'big.json')).code).toBe(0);
  expect((await run('simulate', '--params', 'big.json', '--samples', '40', '--burn-in', '10', '--thin', '1', '--out', 'big.txt')).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, cwd: dir, signal: { aborted: false } });
  return { code, out, err };
}
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const noTemp = () => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
const tiny = ['--widths', '8,16', '--time-dim', '8', '--batch', '16', '--eval-samples', '40', '--steps', '4'];

describe('inputs are never destroyed (category 2)', () => {
  it('an --out equal to (or linked to) an input is refused with exit 2 and the data intact, in every command', async () => {
    const before = read('data.txt');
    symlinkSync('data.txt', join(dir, 'alias.txt'));
    const cases: string[][] = [
      ['infer', '--data', 'data.txt', '--out', 'data.txt'],
      ['infer', '--data', 'data.txt', '--out', 'alias.txt'],
      ['simulate', '--params', 'true.json', '--out', 'true.json'],
      ['reconstruct', '--params', 'true.json', '--data', 'data.txt', '--hidden', '1', '--out', 'data.txt'],
      ['train', '--data', 'data.txt', '--out', 'data.txt'],
      ['train', '--data', 'data.txt', '--test', 'alias.txt', '--out', 'alias.txt'],
      ['sample', '--model', 'data.txt', '--samples', '5', '--out', 'data.txt'],
      ['augment', '--data', 'data.txt', '--out', 'x.json', '--generated-out', 'data.txt'],
      ['augment', '--data', 'data.txt', '--true', 'true.json', '--out', 'true.json'],
      ['attack', '--data', 'data.txt', '--method', 'random', '--budget', '1', '--out', 'alias.txt'],
      ['kinetic', 'infer', '--data', 'data.txt', '--out', 'data.txt'],
      ['kinetic', 'simulate', '--params', 'true.json', '--out', 'true.json'],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/is the same file as .*refusing to overwrite an input/);
    }
    expect(read('data.txt')).toBe(before);
    expect(lstatSync(join(dir, 'alias.txt')).isSymbolicLink()).toBe(true);
    const r = await run('infer', '--data', 'data.txt', '--out', 'afolder/..');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out: cannot write afolder\/\.\.: it exists and is a folder/);
  });
});

describe('non-finite models (category 3)', () => {
  it('training that diverges stops with exit 1, naming the iteration and what to change', async () => {
    const r = await run('train', '--data', 'data.txt', '--out', 'nan.safetensors', '--lr', '1e6', '--clip', '0', '--iters', '200', '--stop', 'none', '--lr-schedule', 'constant', '--ema', '0', ...tiny);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training diverged: the loss is (NaN|Infinity) at iteration \d+.*--lr ten times smaller, --clip 1/);
    expect(existsSync(join(dir, 'nan.safetensors'))).toBe(false);
  });

  it('sampling refuses NaN weights and weights whose outputs overflow', async () => {
    expect((await run('train', '--data', 'data.txt', '--out', 'ok.safetensors', '--iters', '4', '--stop', 'none', ...tiny)).code).toBe(0);
    const f = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'ok.safetensors'))));
    const edit = (name: string, value: number, file: string) => {
      const t = f.tensors[name]!;
      writeFileSync(join(dir, file), encodeSafetensors({ ...f.tensors, [name]: new Tensor(new Float32Array(t.size).fill(value), t.shape) }, f.metadata));
    };
    edit('mlp_in.weight', NaN, 'nanw.safetensors');
    edit('mlp_in.weight', 1e30, 'huge.safetensors');
    let r = await run('sample', '--model', 'nanw.safetensors', '--samples', '10', '--steps', '3', '--out', 'g1.txt');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nanw\.safetensors: tensor 'mlp_in\.weight' holds a non-finite value/);
    r = await run('sample', '--model', 'huge.safetensors', '--samples', '10', '--steps', '3', '--out', 'g2.txt');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/sampling produced a non-finite value/);
    expect(existsSync(join(dir, 'g1.txt')) || existsSync(join(dir, 'g2.txt'))).toBe(false);
  });

  it('inference refuses to write non-finite params and says why', async () => {
    const r = await run('infer', '--data', 'data.txt', '--gamma', '1e6', '--out', 'div.json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/em: the fitted parameters are not finite \((b|w)\[.*\] = (NaN|-?Infinity)\); nothing written — .*lower --gamma/);
    expect(existsSync(join(dir, 'div.json'))).toBe(false);
  });
});

describe('sizes and exact methods are checked before any work (categories 4, 6)', () => {
  it('sizes from flags fail up front with a plain message', async () => {
    const cases: [string[], RegExp][] = [
      [['sk', '--n', '10000'], /--n: must be ≤ 2048, got 10000/],
      [['model', '--graph', 'er', '--n', '10000'], /--n: must be ≤ 2048, got 10000/],
      [['model', '--graph', 'lattice', '--rows', '100', '--cols', '100'], /rows × cols = 10000 spins is above the limit of 2048/],
      [['simulate', '--params', 'true.json', '--samples', '1e12', '--out', 's.txt'], /--samples: 1000000000000 samples × 6 spins = .* is more than this tool holds/],
      [['simulate', '--params', 'true.json', '--samples', '40000000', '--out', 's.txt'], /too large for a text file .*write \.npy/],
      [['train', '--data', 'data.txt', '--out', 'w.safetensors', '--widths', '4096,4096,4096'], /parameters is above the limit/],
      [['infer', '--data', 'data.txt', '--iterations', '1e300'], /--iterations: 1e300 is too large/],
    ];
    for (const [argv, msg] of cases) {
      const t0 = performance.now();
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(msg);
      expect(r.err).not.toMatch(/Invalid (typed array|string) length/);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });

  it('exact MLE has one limit in every command, checked before training or fitting', async () => {
    const cases: string[][] = [
      ['infer', '--data', 'big.txt', '--method', 'mle', '--mle', 'exact', '--out', 'e1.json'],
      ['augment', '--data', 'big.txt', '--method', 'mle', '--out', 'e2.json'],
      ['augment', '--data', 'big.txt', '--true', 'big.json', '--compare', 'ple,mle', '--out', 'e3.json'],
      ['demo', '--n', '30', '--compare', 'mle', '--out', 'e4'],
    ];
    for (const argv of cases) {
      const t0 = performance.now();
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/exact MLE enumerates 2\^n states at every step; n=30 is above its limit of 24/);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
    for (const f of ['e1.json', 'e2.json', 'e3.json', 'e4']) expect(existsSync(join(dir, f))).toBe(false);
  });
});

describe('ordering (category 8)', () => {
  it('augment writes --out last: a failing report leaves no --out', async () => {
    writeFileSync(join(dir, 'notadir'), 'x');
    const r = await run('augment', '--data', 'data.txt', '--samples', '30', '--iters', '6', '--stop', 'none', ...tiny, '--report', 'notadir/rep', '--out', 'aug.json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/notadir/);
    expect(r.err).not.toMatch(/ENOTDIR|EEXIST|\.tmp/);
    expect(existsSync(join(dir, 'aug.json'))).toBe(false);
    noTemp();
  });
});

describe('Unix conventions (category 9)', () => {
  const spec: CommandSpec = { name: 't', summary: 's', options: { n: { type: 'int', help: 'n' }, out: { type: 'string', help: 'o', short: 'o' }, json: { type: 'boolean', help: 'j' } } };
  it('short flags, --quiet, -- and - ; stray positionals and unknown short flags are usage errors', () => {
    expect(parseArgs(spec, ['-n', '10', '-o', '-', '-q'])).toMatchObject({ n: 10, out: '-', quiet: true });
    expect(() => parseArgs(spec, ['-n', '1', 'stray'])).toThrow(/unexpected argument 'stray': 't' takes options only/);
    expect(() => parseArgs(spec, ['-x'])).toThrow(UsageError);
    expect(() => parseArgs(spec, ['-json'])).toThrow(/unknown option -json .*did you mean --json\?/);
    expect(() => parseArgs(spec, ['-n10'])).toThrow(/write -n VALUE or --n/);
    expect(parseArgs({ ...spec, positionals: 'FILE…' }, ['--', '-weird']).positionals).toEqual(['-weird']);
  });

  it('help <cmd>, -v, exit codes: usage 2, runtime 1', async () => {
    let r = await run('help', 'infer');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^spindiff infer — /);
    r = await run('-v');
    expect([r.code, r.out]).toEqual([0, 'spindiff 0.1.0\n']);
    for (const argv of [['experiment', 'fig99', '--out', 'x'], ['train', '--data', 'data.txt', '--out', 'm.st', '--lr', '0'], ['nosuch'], ['sk', '--n', '3', 'extra'], ['help', 'nosuch'], []]) {
      expect((await run(...argv)).code, argv.join(' ')).toBe(2);
    }
    expect((await run('infer', '--data', 'missing.txt')).code).toBe(1);
  });

  it('--out - writes to stdout; --quiet silences stderr; --json is one JSON document on stdout', async () => {
    let r = await run('infer', '--data', 'data.txt', '--method', 'ple', '--out', '-', '--quiet');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).n).toBe(6);
    expect(r.err).toBe('');
    expect(existsSync(join(dir, '-'))).toBe(false);
    r = await run('simulate', '--params', 'true.json', '--samples', '3', '--out', '-');
    expect(r.out.trim().split('\n')).toHaveLength(3);
    r = await run('simulate', '--params', 'true.json', '--samples', '3', '--out', 's.txt', '--json');
    expect(JSON.parse(r.out).samples).toBe(3);
    expect((await run('simulate', '--params', 'true.json', '--out', '-', '--json')).code).toBe(2);
  });

  it('progress off a terminal: plain lines every few seconds, never \\r frames', () => {
    let clock = 0;
    const realNow = Date.now;
    Date.now = () => clock;
    try {
      const out: string[] = [];
      const p = new Progress({ total: 100, label: 'ple', write: (s) => out.push(s), enabled: true, mode: 'lines', everyMs: 5000 });
      for (let k = 0; k < 100; k++) {
        clock += 200; // 20 s in all
        p.tick(1, `spin ${k}`);
      }
      p.end();
      expect(out.join('')).not.toMatch(/\r|\x1b/);
      expect(out.length).toBe(5); // at 5, 10, 15, 20 s, and the end
      expect(out[0]).toMatch(/^ple: 25\/100 \(25%\), 5\.0\/s, eta 15s, spin 24\n$/);
      expect(out[4]).toMatch(/^ple: 100\/100 done in 20s\n$/);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('messages (category 10)', () => {
  it('a damaged checkpoint curve is named, not a JSON parser position', async () => {
    expect((await run('train', '--data', 'data.txt', '--out', 'c.safetensors', '--iters', '4', '--eval-every', '2', ...tiny)).code).toBe(0);
    const f = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'c.safetensors'))));
    writeFileSync(join(dir, 'c2.safetensors'), encodeSafetensors(f.tensors, { ...f.metadata, curve: '[{"iteration": 2, "ra' }));
    const r = await run('train', '--data', 'data.txt', '--out', 'c3.safetensors', '--resume', 'c2.safetensors', '--iters', '6', ...tiny);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/c2\.safetensors: metadata 'curve' \(the stop rule's history\) is damaged/);
    expect(r.err).not.toMatch(/position|JSON\.parse|Unexpected/);
  });

  it('BOM params are accepted as BOM data are', async () => {
    writeFileSync(join(dir, 'bom.json'), '\uFEFF' + read('true.json'));
    writeFileSync(join(dir, 'bom.txt'), '\uFEFF' + read('data.txt'));
    const r = await run('reconstruct', '--params', 'bom.json', '--data', 'bom.txt', '--hidden', '0', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).total).toBe(300);
  });
});
