// The packed package as a user gets it: `npm pack`, install the tarball into an empty project,
// type-check a file that uses every public entry (root, backends, parallel, node, worker) with the repo's
// own tsc, and run it; the README's ```ts blocks are type-checked and run the same way, and its
// ```sh blocks (those not marked <!-- not-run -->) run in that project with `spindiff` = the
// built CLI, comparing the output lines the README shows. Failures name the README line.
import { beforeAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeBlocks, commands, installPacked, readme, sh, TSC } from './packed.js';

let proj = '';
let tscOut: string[] = [];
const tsBlocks = codeBlocks(readme()).filter((b) => b.lang === 'ts' && !b.notRun);
// One tsc run for the consumer and the README blocks (tsc is the slow part).
beforeAll(async () => {
  proj = await installPacked();
  writeFileSync(join(proj, 'consumer.ts'), CONSUMER);
  for (const b of tsBlocks) writeFileSync(join(proj, `readme-${b.line}.ts`), b.code + '\nexport {};\n');
  const t = await sh(process.execPath, [TSC, '-p', '.'], proj);
  tscOut = (t.out + t.err).split('\n').filter(Boolean);
}, 240_000);

const CONSUMER = `
import { Rng, skParams, sampleExact, erasureMachine, inferPLE, enumerate, mse, setBackend, getBackend, jsBackend, tensor, chart } from 'spindiff';
import type { IsingParams, SpinData, AugmentOptions } from 'spindiff';
import { loadBackend, BACKEND_NAMES } from 'spindiff/backends';
import type { Backend } from 'spindiff/backends';
import { writeParamsFile, readParamsFile } from 'spindiff/node';
import { createWorker } from 'spindiff/worker';
import { inferPLEParallel, SamplePool } from 'spindiff/parallel';
import type { SamplePoolOptions } from 'spindiff/parallel';
import { Worker } from 'node:worker_threads';
import * as root from 'spindiff';
const fail = (m: string): never => { throw new Error(m); };
const rng = new Rng(1);
const truth: IsingParams = skParams(6, 1, rng);
const data: SpinData = sampleExact(truth, 400, rng);
const opts: AugmentOptions = { samples: 10 };
void opts;
// internals stay out of the root
for (const name of ['escapeXml', 'gemmReference', 'axpyInPlace']) if (name in root) fail('root exports ' + name);
const wasm: Backend = await loadBackend('wasm');
setBackend(wasm);
if (getBackend() === jsBackend || BACKEND_NAMES.length !== 4) fail('backend not set');
const y = tensor([1, 2, 3]);
if (y.shape[0] !== 3) fail('tensor');
setBackend(jsBackend);
const em = erasureMachine(data), ple = inferPLE(data);
if (!(mse(truth, ple.params).mse < 0.2)) fail('ple mse ' + mse(truth, ple.params).mse);
writeParamsFile('p.json', em.params);
if (readParamsFile('p.json').n !== 6) fail('params file');
if (!chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 's', x: [1, 2], y: [1, 2] }] }).startsWith('<svg')) fail('chart');
// the worker gives what the same call gives in-thread
const w = createWorker({ NodeWorker: Worker });
const viaWorker = await w.infer(data, 'ple');
w.terminate();
if (viaWorker.params.w.join() !== ple.params.w.join()) fail('worker PLE differs from in-thread PLE');
// the parallel entry: PLE over two worker threads gives the one-thread result
const parallel = await inferPLEParallel(data, { threads: 2 });
if (parallel.params.w.join() !== ple.params.w.join()) fail('parallel PLE differs from in-thread PLE');
const poolOpts: SamplePoolOptions = { minRowSteps: 0 };
(await SamplePool.start(2, poolOpts)).close();
console.log('ok', enumerate(truth).logZ.toFixed(6));
`;

describe('the packed package', () => {
  test('a consumer type-checks against the .d.ts of every entry and runs', async () => {
    expect(tscOut.filter((l) => !l.startsWith('readme-')), 'tsc on a consumer of the packed package').toEqual([]);
    const r = await sh(process.execPath, ['out/consumer.js'], proj);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^ok -?\d/);
  }, 180_000);

  test('every ```ts block of the README type-checks and runs against the installed package', async () => {
    const blocks = tsBlocks;
    expect(blocks.length).toBeGreaterThan(0);
    // tsc prints "readme-<line>.ts(row,col): error …": say which README line that is.
    const errors = tscOut.filter((l) => l.startsWith('readme-')).map((l) => l.replace(/^readme-(\d+)\.ts\((\d+),(\d+)\)/, (_m, fence: string, row: string) => `README.md line ${Number(fence) + Number(row)}`));
    expect(errors, 'type errors in README ts blocks').toEqual([]);
    for (const b of blocks) {
      const r = await sh(process.execPath, [`out/readme-${b.line}.js`], proj);
      expect(r.code, `README.md ts block at line ${b.line} failed:\n${r.err}`).toBe(0);
    }
  }, 180_000);

  test('every ```sh block of the README not marked <!-- not-run --> runs, printing what the README shows', async () => {
    const env = { ...process.env, PATH: `${join(proj, 'node_modules/.bin')}:${process.env['PATH']}`, NO_COLOR: '1' };
    const blocks = codeBlocks(readme()).filter((b) => b.lang === 'sh' && !b.notRun);
    for (const b of blocks) {
      for (const c of commands(b.code)) {
        const r = await sh('bash', ['-euo', 'pipefail', '-c', c.cmd], proj, env);
        expect(r.code, `README.md sh block at line ${b.line}: \`${c.cmd}\` failed:\n${r.err}`).toBe(0);
        if (c.expect.length) expect(r.out.trim().split('\n'), `README.md sh block at line ${b.line}: output of \`${c.cmd}\``).toEqual(c.expect);
      }
    }
  }, 300_000);
});
