import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIn } from './run-in.js';
import { main } from '../../src/cli/main.js';
import { parseSpinText, paramsFromJSON } from '../../src/ising/index.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { checkpointInfo } from '../../src/diffusion/checkpoint.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-diffusion-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]) => runIn(dir, argv);
const bytes = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
const noTemp = () => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
// A tiny network and run, so the whole file takes seconds.
const small = ['--widths', '8,16', '--time-dim', '8', '--batch', '16', '--eval-samples', '40', '--steps', '5'];

describe('spindiff train / sample / augment', () => {
  it('train writes a safetensors checkpoint with the config in its metadata', async () => {
    expect((await run('sk', '--n', '6', '--g', '1', '--seed', '1', '--out', 'true.json')).code).toBe(0);
    expect((await run('simulate', '--params', 'true.json', '--samples', '400', '--seed', '2', '--out', 'data.txt')).code).toBe(0);
    const r = await run('train', '--data', 'data.txt', '--out', 'm.safetensors', '--iters', '40', '--eval-every', '10', ...small, '--json');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/split data\.txt into 200 train \/ 200 test/);
    const s = JSON.parse(r.out);
    expect(s.curve.length).toBeGreaterThanOrEqual(1);
    expect(s.step).toBe('compiled, update resident'); // the CLI's default backend (wasm) compiles the step
    expect(r.err).not.toMatch(/ran through autograd/);
    const info = checkpointInfo(bytes('m.safetensors'));
    expect(info.network.widths).toEqual([8, 16]);
    expect(info.iteration).toBe(s.iterations);
    noTemp();
  });

  it('--resume continues to the same loss trajectory as one uninterrupted run', async () => {
    // A constant learning rate, so that a 12-iteration run is a prefix of the 30-iteration one
    // (with the cosine schedule the total sets the rate; --resume then extends the schedule).
    const common = ['--data', 'data.txt', '--stop', 'none', '--lr-schedule', 'constant', ...small];
    expect((await run('train', ...common, '--iters', '30', '--out', 'full.safetensors')).code).toBe(0);
    expect((await run('train', ...common, '--iters', '12', '--out', 'a.safetensors')).code).toBe(0);
    const r = await run('train', ...common, '--iters', '30', '--resume', 'a.safetensors', '--out', 'b.safetensors');
    expect(r.code).toBe(0);
    const full = decodeSafetensors(bytes('full.safetensors')).tensors['train.losses']!;
    const resumed = decodeSafetensors(bytes('b.safetensors')).tensors['train.losses']!;
    expect(full.size).toBe(30);
    expect(Array.from(resumed.data)).toEqual(Array.from(full.data));
    // And the final sampling weights agree bit for bit.
    const fa = decodeSafetensors(bytes('full.safetensors')).tensors['mlp_out.weight']!;
    const fb = decodeSafetensors(bytes('b.safetensors')).tensors['mlp_out.weight']!;
    expect(Array.from(fb.data)).toEqual(Array.from(fa.data));
  });

  it('interrupted and resumed with the energy-variance stop: the same file as an uninterrupted run (issue #13, 7)', async () => {
    // The evaluations draw from streams named by their iteration, so the resumed run's curve, stop
    // decision and chosen weights are the uninterrupted run's. The "Ctrl-C" is a signal that turns
    // on once the first periodic checkpoint (iteration 25, between evaluations) is on disk.
    const common = ['--data', 'data.txt', '--iters', '60', '--eval-every', '10', '--checkpoint-every', '25', ...small];
    expect((await run('train', ...common, '--out', 'full-ev.safetensors')).code).toBe(0);
    const out = join(dir, 'cut-ev.safetensors');
    const signal = { get aborted() { return existsSync(out); } };
    const code = await main(['train', ...common, '--out', 'cut-ev.safetensors'], { stdout: () => {}, stderr: () => {}, isTTY: false, cwd: dir, signal });
    expect(code).toBe(130);
    expect(checkpointInfo(bytes('cut-ev.safetensors')).iteration).toBe(25);
    expect((await run('train', ...common, '--resume', 'cut-ev.safetensors', '--out', 'resumed-ev.safetensors')).code).toBe(0);
    const full = bytes('full-ev.safetensors');
    expect(decodeSafetensors(full).metadata['curve']).toBe(decodeSafetensors(bytes('resumed-ev.safetensors')).metadata['curve']);
    expect(Buffer.from(bytes('resumed-ev.safetensors')).equals(Buffer.from(full))).toBe(true);
  });

  it('sample generates ±1 configurations from a checkpoint', async () => {
    const r = await run('sample', '--model', 'm.safetensors', '--samples', '50', '--steps', '5', '--out', 'gen.txt');
    expect(r.code).toBe(0);
    const d = parseSpinText(readFileSync(join(dir, 'gen.txt'), 'utf8'), 'gen.txt');
    expect([d.m, d.n]).toEqual([50, 6]);
    noTemp();
  });

  it('sample gives the same configurations on every backend (same kernels, same seed)', async () => {
    const files: string[] = [];
    for (const be of [['--backend', 'js'], ['--backend', 'wasm'], ['--backend', 'threads', '--threads', '3']]) {
      const out = `gen-${be[1]}.txt`;
      const r = await run('sample', '--model', 'm.safetensors', '--samples', '300', '--steps', '5', '--out', out, ...be);
      expect(r.code).toBe(0);
      files.push(readFileSync(join(dir, out), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n'));
    }
    // wasm and threads run identical kernels (row chunks do not change any sum); js sums in
    // another order, so a rare value within rounding of 0 may flip sign: allow 1% of the spins.
    expect(files[2]).toBe(files[1]);
    const a = files[0]!.split(/\s+/), b = files[1]!.split(/\s+/);
    expect(a.length).toBe(b.length);
    expect(a.filter((v, i) => v !== b[i]).length).toBeLessThanOrEqual(Math.ceil(0.01 * a.length));
    const r = await run('sample', '--model', 'm.safetensors', '--samples', '5', '--out', 'z.txt', '--threads', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--threads/);
    expect(existsSync(join(dir, 'z.txt'))).toBe(false);
  });

  it('sample on two threads runs long enough runs by row shards on two workers: the file of --backend wasm', async () => {
    // 2000 rows × 10 steps: the pool's threshold (MIN_ROW_STEPS); 300 × 5 above stays on this thread.
    const outs: string[] = [];
    for (const be of [['--backend', 'wasm'], ['--backend', 'threads', '--threads', '2']]) {
      const out = `gen-long-${be[1]}.txt`;
      const r = await run('sample', '--model', 'm.safetensors', '--samples', '2000', '--steps', '10', '--seed', '4', '--out', out, '--json', ...be);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).shards).toBe(be[1] === 'wasm' ? 0 : 2);
      outs.push(readFileSync(join(dir, out), 'utf8'));
    }
    expect(outs[1]).toBe(outs[0]);
    const short = await run('sample', '--model', 'm.safetensors', '--samples', '300', '--steps', '5', '--out', 'gen-short.txt', '--json', '--backend', 'threads', '--threads', '2');
    expect(JSON.parse(short.out).shards).toBe(0);
  });

  it('augment writes params, the observed-only comparison and a report', async () => {
    const r = await run('augment', '--data', 'data.txt', '--samples', '100', '--out', 'aug.json', '--report', 'rep', '--true', 'true.json', '--iters', '30', '--eval-every', '10', ...small, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.generated).toBe(100);
    expect(s.mse.observed.mse).toBeGreaterThan(0);
    expect(Object.keys(s.compare).sort()).toEqual(['mle', 'ple']); // exact MLE and PLE beside EM
    expect(readFileSync(join(dir, 'rep', 'report.md'), 'utf8')).toMatch(/\| mle \|/);
    expect(paramsFromJSON(readFileSync(join(dir, 'aug.json'), 'utf8'), 'aug.json').n).toBe(6);
    for (const f of ['report.md', 'variance-curve.svg', 'loss.svg', 'report.json', 'observed-only.json']) expect(existsSync(join(dir, 'rep', f))).toBe(true);
    expect(readFileSync(join(dir, 'rep', 'variance-curve.svg'), 'utf8')).toMatch(/^<svg|<\?xml/);
  });

  it('bad input: clear errors, non-zero exit, no output file', async () => {
    let r = await run('sample', '--model', 'data.txt', '--samples', '5', '--out', 'x.txt');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/data\.txt/);
    expect(existsSync(join(dir, 'x.txt'))).toBe(false);
    r = await run('train', '--data', 'nope.txt', '--out', 'y.safetensors');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope\.txt/);
    r = await run('train', '--data', 'data.txt', '--out', 'y.safetensors', '--widths', '8');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--widths/);
    expect(existsSync(join(dir, 'y.safetensors'))).toBe(false);
  });
});
