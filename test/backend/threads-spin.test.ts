// Spin-then-wait in the threads backend: the Spinner's bound and its preemption back-off (on a
// clock the test drives), exact equality of products and plans whatever the spin budget (the
// split never changes an element's summation order; only who waits how), and an idle backend
// that sleeps again after its budget (no CPU while nothing runs).
import { afterAll, describe, expect, it } from 'vitest';
import { PREEMPTED_MS, SPIN_BACKOFF_MS, SPIN_CHECK, Spinner } from '../../src/tensor/backend/threads-worker.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { compilePlan } from '../../src/tensor/backend/plan.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { noisePlan } from '../../src/diffusion/plan.js';
import { Rng } from '../../src/random/index.js';

describe('Spinner', () => {
  it('answers at once when ready, and never spins with a zero budget', () => {
    let reads = 0;
    const clock = (): number => { reads++; return 0; };
    expect(new Spinner(1, clock).until(() => true)).toBe(true);
    let polls = 0;
    expect(new Spinner(0, clock).until(() => (polls++, false))).toBe(false);
    expect(polls).toBe(1);
    expect(reads).toBe(0);
  });

  it('stops at its budget, and sees a condition that turns true while it spins', () => {
    let t = 0;
    const clock = (): number => (t += 0.01); // 10 µs per SPIN_CHECK polls: never "preempted"
    let polls = 0;
    expect(new Spinner(0.1, clock).until(() => (polls++, false))).toBe(false);
    // 0.1 ms at 0.01 ms per round of SPIN_CHECK polls: about ten rounds.
    expect(polls).toBeGreaterThanOrEqual(9 * SPIN_CHECK);
    expect(polls).toBeLessThanOrEqual(12 * SPIN_CHECK + 2);
    polls = 0;
    expect(new Spinner(0.1, clock).until(() => ++polls > 3 * SPIN_CHECK)).toBe(true);
  });

  it('backs off for SPIN_BACKOFF_MS after losing its core, then spins again', () => {
    let t = 0, step = 0.01;
    const clock = (): number => (t += step);
    const s = new Spinner(0.1, clock);
    let polls = 0;
    step = 2 * PREEMPTED_MS; // the first gap between clock reads looks like a preemption
    expect(s.until(() => (polls++, false))).toBe(false);
    expect(polls).toBe(1 + SPIN_CHECK + 1); // the first poll, one round, the final poll
    step = 0.01;
    polls = 0;
    expect(s.until(() => (polls++, false))).toBe(false); // backing off: no spinning
    expect(polls).toBe(1);
    t += SPIN_BACKOFF_MS;
    polls = 0;
    expect(s.until(() => (polls++, false))).toBe(false);
    expect(polls).toBeGreaterThan(5 * SPIN_CHECK);
  });
});

const ok = wasmSimdSupported();
const backends: ThreadsBackend[] = [];
afterAll(async () => { for (const b of backends) await b.terminate(); });

describe.runIf(ok)('threads backend: spin budgets', () => {
  it('gives the same bits with no spinning, the default, and a long spin (row and column splits, a plan)', async () => {
    for (const spinMs of [0, undefined, 2]) backends.push(await loadThreadsBackend({ threads: 3, minFlopsPerThread: 1, spinMs }));
    const rng = new Rng(5);
    for (let r = 0; r < 40; r++) {
      const m = 1 + rng.int(70), n = 1 + rng.int(70), k = 1 + rng.int(40);
      const a = rng.fillNormal(new Float32Array(m * k)), b = rng.fillNormal(new Float32Array(k * n));
      const outs = backends.map((be) => { const c = new Float32Array(m * n); be.gemm(false, r % 2 === 1, m, n, k, a, b, c, 1, 0); return c; });
      for (const c of outs.slice(1)) expect(c).toEqual(outs[0]);
    }
    const net = new NoiseMLP({ n: 6, widths: [16, 24], timeDim: 8, T: 20, residual: true }, new Rng(2));
    const { plan, stepVectors } = noisePlan(net);
    const x = new Rng(3).fillNormal(new Float32Array(900 * 6));
    const outs = backends.map((be) => {
      const runner = compilePlan(be, plan);
      for (const [i, v] of stepVectors(4)) runner.setVector(i, v);
      return runner.run(x, 900).slice();
    });
    for (const o of outs.slice(1)) expect(o).toEqual(outs[0]);
  });

  it('refuses a spin budget that is negative or not finite', async () => {
    for (const spinMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) await expect(loadThreadsBackend({ threads: 2, spinMs })).rejects.toThrow(/spinMs must be a finite number/);
  });

  it('an idle backend sleeps once its spin budget is spent', async () => {
    const be = await loadThreadsBackend({ threads: 2, minFlopsPerThread: 1, spinMs: 5 });
    backends.push(be);
    const a = new Float32Array(64 * 64).fill(1), c = new Float32Array(64 * 64);
    be.gemm(false, false, 64, 64, 64, a, a, c, 1, 0);
    expect(c[0]).toBe(64);
    await new Promise((r) => setTimeout(r, 30)); // past the 5 ms budget
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 200));
    const used = process.cpuUsage(c0);
    // A worker still spinning would use ~200 ms of CPU here; a sleeping one ~0.
    expect((used.user + used.system) / 1000).toBeLessThan(60);
  });
});
