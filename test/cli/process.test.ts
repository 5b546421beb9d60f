/**
 * The built command line as a real process (issue 13): Ctrl-C stops `train` within 2 s with exit
 * 130 and a checkpoint that resumes to the same final file as an uninterrupted run; a second
 * Ctrl-C exits at once; a closed stdout pipe ends quietly; `-` pipes data between commands.
 * Each node start costs ~0.3 s, so the cases share a few processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import { checkpointInfo } from '../../src/diffusion/checkpoint.js';

const CLI = resolve('dist/node/cli.js');
let dir: string;

beforeAll(async () => {
  // npm test builds first; a lone `vitest run` of this file builds here.
  if (!existsSync(CLI)) expect(spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'spindiff-proc-'));
  expect(await runIn('sk', '--n', '6', '--out', 'true.json')).toBe(0);
  expect(await runIn('simulate', '--params', 'true.json', '--samples', '200', '--out', 'data.txt')).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runIn(...argv: string[]): Promise<number> {
  return main(argv, { stdout: () => {}, stderr: () => {}, isTTY: false, cwd: dir, signal: { aborted: false } });
}

interface Proc {
  /** The exit status as a shell reports it (128 + n for death by signal n). */
  code: Promise<number | null>;
  out: () => string;
  err: () => string;
  kill: (sig: NodeJS.Signals) => void;
  child: ReturnType<typeof spawn>;
}
function start(args: string[], shellLine?: string): Proc {
  const child = shellLine ? spawn('sh', ['-c', shellLine], { cwd: dir }) : spawn(process.execPath, [CLI, ...args], { cwd: dir });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (err += b));
  const code = new Promise<number | null>((res) => child.on('close', (c, sig) => res(sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : c)));
  return { code, out: () => out, err: () => err, kill: (s) => child.kill(s), child };
}
async function until(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Constant learning rate: the run's total does not enter the updates, so a long run stopped at
// iteration k and resumed to k + 10 must equal a fresh run of k + 10 iterations, byte for byte.
const trainArgs = ['train', '--data', 'data.txt', '--stop', 'none', '--lr-schedule', 'constant', '--widths', '8,16', '--time-dim', '8', '--batch', '16', '--backend', 'js'];

describe('Ctrl-C (category 1)', () => {
  it('SIGINT stops train within 2 s with exit 130 and a checkpoint that resumes to the uninterrupted file', async () => {
    const p = start([...trainArgs, '--iters', '1000000', '--checkpoint-every', '5', '--out', 'int.safetensors']);
    await until(() => existsSync(join(dir, 'int.safetensors')), 60_000);
    const t0 = Date.now();
    p.kill('SIGINT');
    const code = await p.code;
    const seconds = (Date.now() - t0) / 1000;
    expect(code).toBe(130);
    expect(seconds).toBeLessThan(2);
    expect(p.err()).toMatch(/interrupted at iteration \d+; continue with --resume int\.safetensors/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const k = checkpointInfo(new Uint8Array(readFileSync(join(dir, 'int.safetensors'))), 'int').iteration;
    expect(k).toBeGreaterThanOrEqual(5);
    const total = String(k + 10);
    expect(await runIn(...trainArgs, '--iters', total, '--resume', 'int.safetensors', '--out', 'resumed.safetensors')).toBe(0);
    expect(await runIn(...trainArgs, '--iters', total, '--out', 'straight.safetensors')).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'resumed.safetensors')), readFileSync(join(dir, 'straight.safetensors')))).toBe(0);
  });

  it('a second SIGINT ends the process at once (status 130), even while the command is blocked', async () => {
    // `--data -` with a stdin that never closes: the command is stuck in a read the first Ctrl-C
    // cannot end; the second exits at once, and no output file appears.
    const p = start(['infer', '--data', '-', '--out', 'never.json']);
    await new Promise((r) => setTimeout(r, 1500));
    p.kill('SIGINT');
    await until(() => /interrupted; stopping at the next step/.test(p.err()), 10_000);
    const t0 = Date.now();
    p.kill('SIGINT');
    expect(await p.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(p.err()).toMatch(/spindiff: aborted/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
  });
});

describe('pipes (category 9)', () => {
  it('EPIPE ends quietly; `-` reads stdin and writes stdout', async () => {
    const node = `"${process.execPath}" "${CLI}"`;
    const p = start([], `(${node} sk --n 400; echo "sk exit $?" >&2) | head -c 20; echo; ${node} simulate --params true.json --samples 50 --out - | ${node} infer --data - --method ple --json`);
    expect(await p.code).toBe(0);
    expect(p.err()).toMatch(/^sk exit 0\n/);
    expect(p.err()).not.toMatch(/EPIPE|Error|at /);
    const lines = p.out().split('\n');
    expect(lines[0]).toBe('{');
    expect(lines[1]).toMatch(/^ {2}"n": 400/);
    const r = JSON.parse(lines.at(-2)!);
    expect([r.n, r.samples]).toEqual([6, 50]);
    expect(existsSync(join(dir, '-'))).toBe(false);
    expect(statSync(join(dir, 'data.txt')).size).toBeGreaterThan(0);
  });
});
