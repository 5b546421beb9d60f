// Adam with its moments resident in a backend (Backend.adamKernel: wasm, threads) against the JS
// loop: parameters and moments bit-identical over several steps — plain Adam and AdamW in the
// kernel, Adam with an L2 term and a step with a missing gradient on the fallback path, and a
// state dict saved from one and loaded into the other.
import { describe, it, expect, afterAll } from 'vitest';
import { Adam, AdamW } from '../../src/nn/index.js';
import { fromStorage, withBackend } from '../../src/tensor/index.js';
import type { Backend, Tensor } from '../../src/tensor/index.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { Rng } from '../../src/random/index.js';

const backends: { name: string; backend: Backend }[] = [];
let threads: ThreadsBackend | null = null;
if (wasmSimdSupported()) {
  backends.push({ name: 'wasm', backend: await loadWasmBackend() });
  threads = await loadThreadsBackend({ threads: 3 });
  backends.push({ name: 'threads-3', backend: threads });
}
afterAll(async () => { await threads?.terminate(); });

const SIZES = [5, 1, 37, 1000, 40000];

function params(rng: Rng): Tensor[] {
  return SIZES.map((s) => fromStorage(new Float32Array(s).map(() => rng.uniform() * 2 - 1), [s]).requireGrad());
}

function setGrads(ps: Tensor[], rng: Rng, skip = -1): void {
  ps.forEach((p, i) => { p.grad = i === skip ? null : fromStorage(new Float32Array(p.size).map(() => (rng.uniform() - 0.5) * 0.1), p.shape); });
}

type Make = (ps: Tensor[], kernel: boolean) => Adam;

function run(backend: Backend, make: Make, skipAt: number): { js: Tensor[]; kernel: Tensor[]; optJs: Adam; optK: Adam } {
  const a = params(new Rng(1)), b = params(new Rng(1));
  const optJs = make(a, false);
  const optK = withBackend(backend, () => make(b, true));
  for (let step = 0; step < 6; step++) {
    setGrads(a, new Rng(100 + step), step === skipAt ? 2 : -1);
    setGrads(b, new Rng(100 + step), step === skipAt ? 2 : -1);
    optJs.lr = optK.lr = 1e-3 * (1 + step);
    optJs.step();
    optK.step();
  }
  return { js: a, kernel: b, optJs, optK };
}

describe.each(backends)('Adam kernel on $name', ({ backend }) => {
  // The last entry: whether the kernel is taken (an L2 term never takes the plain update, so its
  // moments stay in JS; a missing gradient comes after the kernel was taken: the fallback loop
  // then runs over the kernel's moments).
  const cases: [string, Make, number, boolean][] = [
    ['Adam', (ps, k) => new Adam(ps, { backendKernel: k }), -1, true],
    ['AdamW (decoupled decay)', (ps, k) => new AdamW(ps, { weightDecay: 0.1, backendKernel: k }), -1, true],
    ['Adam with an L2 term (never the plain update: no kernel taken)', (ps, k) => new Adam(ps, { weightDecay: 0.01, backendKernel: k }), -1, false],
    ['Adam with a missing gradient at step 3 (fallback over the kernel\'s moments, then unequal steps)', (ps, k) => new Adam(ps, { backendKernel: k }), 3, true],
  ];
  it.each(cases)('%s: parameters and moments bit-identical to the JS loop', (_, make, skipAt, taken) => {
    const { js, kernel, optJs, optK } = run(backend, make, skipAt);
    expect([optJs.residentMoments, optK.residentMoments]).toEqual([false, taken]);
    js.forEach((p, i) => expect(Array.from(kernel[i]!.data)).toEqual(Array.from(p.data)));
    const sj = optJs.stateDict(), sk = optK.stateDict();
    expect(sk.steps).toEqual(sj.steps);
    expect(Object.keys(sk.buffers).sort()).toEqual(Object.keys(sj.buffers).sort());
    for (const key of Object.keys(sj.buffers)) expect(Array.from(sk.buffers[key]!.data)).toEqual(Array.from(sj.buffers[key]!.data));
  });

  it('a state dict moves between the JS loop and the kernel both ways', () => {
    const { js, optJs } = run(backend, (ps, k) => new Adam(ps, { backendKernel: k }), -1);
    const twin = js.map((p) => fromStorage(p.data.slice(), p.shape).requireGrad());
    const optK = withBackend(backend, () => new Adam(twin, {}));
    expect(optK.residentMoments).toBe(false); // the kernel is taken at the first step
    expect(new Adam(twin, { amsgrad: true }).residentMoments).toBe(false); // JS backend: no kernel
    optK.loadStateDict(optJs.stateDict());
    setGrads(js, new Rng(7));
    setGrads(twin, new Rng(7));
    optJs.step();
    optK.step();
    expect(optK.residentMoments).toBe(true);
    js.forEach((p, i) => expect(Array.from(twin[i]!.data)).toEqual(Array.from(p.data)));
    const back = new Adam(js.map((p) => fromStorage(p.data.slice(), p.shape).requireGrad()), { backendKernel: false });
    back.loadStateDict(optK.stateDict());
    expect(back.stateDict().buffers['3.exp_avg_sq']!.data).toEqual(optJs.stateDict().buffers['3.exp_avg_sq']!.data);
  });

  it('releaseKernel() moves the moments back and frees the memory; the next step takes a kernel again, same numbers', () => {
    const a = params(new Rng(1)), b = params(new Rng(1));
    const optJs = new Adam(a, { backendKernel: false });
    // The backend with its blocks counted, to see the kernel's memory come back.
    let live = 0;
    const counted: Backend = { ...backend, adamKernel: (sizes) => {
      const k = backend.adamKernel!(sizes);
      if (!k) return null;
      live++;
      return { ...k, free: () => { live--; k.free(); } };
    } };
    const optK = withBackend(counted, () => new Adam(b, {}));
    expect(live).toBe(0); // nothing taken before the first step
    for (let step = 0; step < 6; step++) {
      setGrads(a, new Rng(200 + step));
      setGrads(b, new Rng(200 + step));
      optJs.step();
      optK.step();
      expect(live).toBe(1);
      expect(optK.residentMoments).toBe(true);
      if (step % 2 === 1) {
        optK.releaseKernel();
        expect([live, optK.residentMoments]).toEqual([0, false]);
        // Read and changed while out of the kernel: the next step carries the change in.
        const { m, v } = optK.readMoments(3), j = optJs.readMoments(3);
        expect(Array.from(m)).toEqual(Array.from(j.m));
        m[0] = m[0]! * 0.5;
        j.m[0] = j.m[0]! * 0.5;
        optK.writeMoments(3, m, v);
      }
    }
    a.forEach((p, i) => expect(Array.from(b[i]!.data)).toEqual(Array.from(p.data)));
    optK.releaseKernel();
    optK.releaseKernel(); // twice: nothing more to free
    expect(live).toBe(0);
  });
});
