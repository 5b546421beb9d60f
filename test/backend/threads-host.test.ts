// The threads backend's platform seam: a host whose caller may not block (a browser page's
// main thread, where Atomics.wait throws) must still give exact results — the caller spins —
// and the module must bundle for browsers with Node built-ins only behind dynamic imports.
import { describe, it, expect, afterAll } from 'vitest';
import { build } from 'esbuild';
import { jsBackend } from '../../src/tensor/backend/js.js';
import { loadThreadsBackend, nodeThreadHost } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { compilePlan, referencePlanRunner } from '../../src/tensor/backend/plan.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { noisePlan } from '../../src/diffusion/plan.js';
import { Rng } from '../../src/random/index.js';

const EPS32 = 2 ** -23;
let spinning: ThreadsBackend | null = null;
afterAll(async () => { await spinning?.terminate(); });

describe.runIf(wasmSimdSupported())('threads backend on a host that cannot block', () => {
  it('GEMMs (row and column splits) and a network plan match the JS backend', async () => {
    spinning = await loadThreadsBackend({ threads: 3, minFlopsPerThread: 1, host: { ...(await nodeThreadHost()), canBlock: false } });
    const rng = new Rng(21);
    for (let r = 0; r < 100; r++) {
      const m = 1 + rng.int(60), n = 1 + rng.int(60), k = 1 + rng.int(30);
      const a = new Float32Array(m * k).map(() => rng.uniform() - 0.5), b = new Float32Array(k * n).map(() => rng.uniform() - 0.5);
      const c = new Float32Array(m * n), cjs = new Float32Array(m * n);
      spinning.gemm(false, false, m, n, k, a, b, c, 1, 0);
      jsBackend.gemm(false, false, m, n, k, a, b, cjs, 1, 0);
      for (let i = 0; i < m * n; i++) if (!(Math.abs(c[i]! - cjs[i]!) <= 2 * (k + 4) * EPS32 * k)) expect.fail(`product ${r} (${m}×${n}×${k}) C[${i}]: ${c[i]} vs ${cjs[i]}`);
    }
    const net = new NoiseMLP({ n: 5, widths: [8, 12], timeDim: 8, T: 20, residual: true }, new Rng(2));
    const { plan, stepVectors } = noisePlan(net);
    const x = new Rng(3).fillNormal(new Float32Array(700 * 5));
    const [got, want] = [compilePlan(spinning, plan), referencePlanRunner(jsBackend, plan)].map((runner) => {
      for (const [i, v] of stepVectors(7)) runner.setVector(i, v);
      return runner.run(x, 700);
    });
    for (let i = 0; i < want!.length; i++) expect(Math.abs(got![i]! - want![i]!)).toBeLessThanOrEqual(2 * 20 * 24 * EPS32 * (1 + Math.abs(want![i]!)));
  });
});

describe('threads backend bundle for browsers', () => {
  it('bundles with platform "browser"; Node built-ins appear only in dynamic imports', async () => {
    const r = await build({
      entryPoints: ['src/tensor/backend/threads.ts'], bundle: true, format: 'esm', platform: 'browser', write: false,
      external: ['node:*'], logLevel: 'silent',
    });
    const code = r.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bimport\s+[\w*{}\s,$]*\s*from\s*["']node:/);
    expect(code).toMatch(/import\(\s*["']node:worker_threads["']\s*\)/);
    expect(code).toMatch(/createObjectURL/);
  });
});
