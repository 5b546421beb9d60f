import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIn } from './run-in.js';
import { parseSpinText } from '../../src/ising/index.js';
import { checkpointInfo } from '../../src/diffusion/checkpoint.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-discrete-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]) => runIn(dir, argv);
const small = ['--widths', '8,16', '--time-dim', '8', '--batch', '16', '--eval-samples', '40', '--steps', '5'];

describe('spindiff train / sample --generator masked|d3pm', () => {
  it.each(['masked', 'd3pm'])('%s: train records the generator, sample reads it', async (g) => {
    expect((await run('sk', '--n', '6', '--g', '1', '--seed', '1', '--out', 'true.json')).code).toBe(0);
    expect((await run('simulate', '--params', 'true.json', '--samples', '200', '--seed', '2', '--out', 'data.txt')).code).toBe(0);
    const r = await run('train', '--data', 'data.txt', '--out', `${g}.safetensors`, '--generator', g, '--iters', '20', '--eval-every', '10', ...small);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/ran through autograd/); // nothing faster exists for these objectives: no warning
    const info = checkpointInfo(new Uint8Array(readFileSync(join(dir, `${g}.safetensors`))));
    expect(info.generator.kind).toBe(g);
    expect(info.network.outputChannels).toBe(2);
    const s = await run('sample', '--model', `${g}.safetensors`, '--samples', '30', '--steps', '5', '--out', `${g}.txt`);
    expect(s.code).toBe(0);
    const text = readFileSync(join(dir, `${g}.txt`), 'utf8');
    expect(text).toContain(`generator ${g}`);
    const d = parseSpinText(text, `${g}.txt`);
    expect([d.m, d.n]).toEqual([30, 6]);
  });

  it('rejects an unknown generator as a usage error', async () => {
    const r = await run('train', '--data', 'data.txt', '--out', 'x.safetensors', '--generator', 'sedd');
    expect(r.code).toBe(2);
  });
});
