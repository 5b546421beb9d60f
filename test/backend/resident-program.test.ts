// ResidentKernels.program (wasm, threads): a program gives bit for bit what its calls give made one
// by one through the same kernels, and what the single-threaded wasm backend's calls give:
// - row programs (gemm with the epilogue bias, GELU and its derivative, add, strided copies) on row
//   counts that split into uneven chunks, with row widths that are not multiples of 4 (5, 33), so a
//   chunk's rows start inside a 4-float vector's worth of the previous row's data;
// - programs of independent calls (gemm split by rows and by columns of C, the latter with a bias,
//   column sums with an odd count, an add and a GELU as one piece each), whose pieces carry their
//   own ranges; calls on nothing (0 elements, rows or columns) write nothing in either kind; more
//   pieces than one threads job can count (its chunk word: 16 bits) run, in several jobs;
// on the threads backend with every call split (minFlopsPerThread 1, minVecWorkPerThread 1) over 2
// and 3 threads; a program with a GELU below the wasm kernel's size runs call by call (records 0)
// with the same bits; a call that breaks a row program's contract is refused; free() ends it.
// The GELU that keeps Φ(x) for its backward (ResidentKernels.keepsPhi), in row programs and as a
// piece, gives the plain calls' bits; a Φ buffer where the kernels keep none is refused.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import type { Backend, ResidentKernels } from '../../src/tensor/index.js';
import type { ResidentCall } from '../../src/tensor/backend/types.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { runCalls } from '../../src/tensor/backend/wasm/resident.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';

const ok = wasmSimdSupported();
const wasm: Backend | null = ok ? await loadWasmBackend() : null;
const threads: ThreadsBackend[] = ok ? [
  await loadThreadsBackend({ threads: 2, minFlopsPerThread: 1, minVecWorkPerThread: 1 }),
  await loadThreadsBackend({ threads: 3, minFlopsPerThread: 1, minVecWorkPerThread: 1 }),
  await loadThreadsBackend({ threads: 2 }),
] : [];
afterAll(async () => { for (const t of threads) await t.terminate(); });
const backends = (): { name: string; be: Backend }[] => [
  { name: 'wasm', be: wasm! },
  ...threads.map((t, i) => ({ name: `${t.name}${i < 2 ? ' (every call split)' : ''}`, be: t as Backend })),
];

/** The calls one at a time through the kernels (what a program must equal). */
const oneByOne = runCalls;

/**
 * A network-like program on R rows in fresh buffers of `rk`: inputs from `seed`, outputs NaN.
 * `kind` 'rows': forward and backward calls, row by row; 'pieces': the parameter-gradient calls.
 */
function scenario(rk: ResidentKernels, R: number, kind: 'rows' | 'pieces', seed: number, keepPhi = false) {
  const rng = new Rng(seed);
  const block = rk.allocBlock(4 * (400 * R + 8192));
  if (block < 0) throw new Error('no room');
  let next = block;
  const bufs: { at: number; len: number; out: boolean }[] = [];
  const take = (len: number, out: boolean): number => {
    const at = next;
    next += 4 * (Math.ceil(len / 16) * 16 + 16);
    bufs.push({ at, len, out });
    return at;
  };
  const input = (len: number): number => { const at = take(len, false); const v = rk.view(); for (let i = 0; i < len; i++) v[(at >> 2) + i] = 2 * rng.normal(); return at; };
  const output = (len: number): number => take(len, true); // take() pads: an odd column sum writes one float past len there
  /** With keepPhi, a buffer for the GELU's Φ(x) where the kernels keep it (not an output: the plain calls leave it alone). */
  const phiOf = (len: number): { phi?: number } => (keepPhi && rk.keepsPhi('gelu', len) ? { phi: take(len, false) } : {});
  const nIn = 5, h = 20, o = 33;
  const x = input(R * nIn), w1 = input(h * nIn), b1 = input(h), w2 = input(o * h), z = input(R * o), dY = input(R * h), dY2 = input(R * o);
  const y1 = output(R * h), g1 = output(R * h), y2 = output(R * o), a = output(R * o), cat = output(R * (o + nIn)), gg = output(R * h), dX = output(R * h);
  const calls: ResidentCall[] = [];
  if (kind === 'rows') {
    const p1 = phiOf(R * h);
    calls.push(
      { kind: 'gemm', transA: false, transB: true, m: R, n: h, k: nIn, a: x, b: w1, c: y1, alpha: 1, beta: 0, bias: b1 },
      { kind: 'unary', op: 'gelu', x: y1, out: g1, len: R * h, ...p1 },
      { kind: 'gemm', transA: false, transB: true, m: R, n: o, k: h, a: g1, b: w2, c: y2, alpha: 1, beta: 0, bias: 0 },
      { kind: 'add', a: y2, b: z, out: a, len: R * o },
      { kind: 'copy', src: a, lds: o, dst: cat, ldd: o + nIn, width: o, rows: R },
      { kind: 'copy', src: x, lds: nIn, dst: cat + 4 * o, ldd: o + nIn, width: nIn, rows: R },
      { kind: 'unaryGrad', op: 'gelu', x: y1, y: g1, g: dY, out: gg, len: R * h, ...p1 },
      { kind: 'gemm', transA: false, transB: false, m: R, n: h, k: o, a: dY2, b: w2, c: dX, alpha: 1, beta: 0, bias: 0 },
      { kind: 'add', a: dX, b: gg, out: dX, len: R * h }, // in place, as a later gradient contribution
    );
  } else {
    const bo = input(o);
    const dW2 = output(o * h), dW1 = output(h * nIn), dXt = output(nIn * o), db2 = output(o), db1 = output(h), s = output(R * o), u = output(R * h), hb = output(h * o);
    calls.push(
      { kind: 'gemm', transA: true, transB: false, m: h, n: o, k: R, a: dY, b: dY2, c: hb, alpha: 1, beta: 0, bias: bo }, // m < n with a bias: by columns, the bias offset per piece
      { kind: 'gemm', transA: true, transB: false, m: o, n: h, k: R, a: dY2, b: dY, c: dW2, alpha: 1, beta: 0, bias: 0 }, // m ≥ n: by rows
      { kind: 'gemm', transA: true, transB: false, m: h, n: nIn, k: R, a: dY, b: x, c: dW1, alpha: 1, beta: 0, bias: 0 },
      { kind: 'gemm', transA: true, transB: false, m: nIn, n: o, k: R, a: x, b: dY2, c: dXt, alpha: 1, beta: 0, bias: 0 }, // m < n: by columns
      { kind: 'colSum', x: dY2, rows: R, n: o, out: db2 },
      { kind: 'colSum', x: dY, rows: R, n: h, out: db1 },
      { kind: 'add', a: dY2, b: z, out: s, len: R * o },
      { kind: 'unary', op: 'gelu', x: dY, out: u, len: R * h, ...phiOf(R * h) },
    );
  }
  const outs = bufs.filter((b) => b.out);
  return {
    calls,
    /** Whether some call keeps Φ. */
    keepsPhi: calls.some((c) => (c.kind === 'unary' || c.kind === 'unaryGrad') && c.phi !== undefined),
    /** Outputs to NaN (before each run). */
    clear() { const v = rk.view(); for (const b of outs) v.fill(NaN, b.at >> 2, (b.at >> 2) + b.len); },
    /** Copies of the outputs (a buffer no call writes keeps its NaNs, everywhere alike). */
    read(): Float32Array[] { const v = rk.view(); return outs.map((b) => v.slice(b.at >> 2, (b.at >> 2) + b.len)); },
    free() { rk.freeBlock(block); },
  };
}

/** Where two runs' outputs first differ in their bits ('' where they do not). */
function firstDiff(a: Float32Array[], b: Float32Array[]): string {
  const bits = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let k = 0; k < a.length; k++) {
    const x = bits(a[k]!), y = bits(b[k]!);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `output ${k} element ${i}: ${a[k]![i]} vs ${b[k]![i]}`;
  }
  return '';
}

/**
 * The program's and the one-by-one results on `rk`, and the reference (wasm, one by one, the GELU
 * without Φ kept: the plain calls); with keepPhi, `rk`'s GELU keeps Φ for its backward.
 */
function compare(rk: ResidentKernels, R: number, kind: 'rows' | 'pieces', keepPhi = false) {
  const ref = wasm!.resident!()!;
  const r = scenario(ref, R, kind, 9);
  r.clear();
  oneByOne(ref, r.calls);
  const want = r.read();
  r.free();
  const s = scenario(rk, R, kind, 9, keepPhi);
  const prog = rk.program(s.calls, kind === 'rows' ? R : null);
  s.clear();
  prog.run();
  const got = s.read();
  s.clear();
  prog.run(); // a second run: the records stay
  const again = s.read();
  s.clear();
  oneByOne(rk, s.calls);
  const calls = s.read();
  prog.free();
  s.free();
  return { records: prog.records, want, got, again, calls, keptPhi: s.keepsPhi };
}

describe.skipIf(!ok)('resident programs = their calls one by one, bit for bit', () => {
  it('row programs: uneven chunks, rows of 5 and 33 floats', () => {
    for (const { name, be } of backends()) {
      const rk = be.resident!()!;
      for (const R of [13, 37, 64, 128, 130]) {
        const { records, want, got, again, calls } = compare(rk, R, 'rows');
        expect(records, `${name}, ${R} rows`).toBe(9);
        expect(firstDiff(got, want), `${name}, ${R} rows: program vs wasm one by one`).toBe('');
        expect(firstDiff(again, want), `${name}, ${R} rows: second run`).toBe('');
        expect(firstDiff(calls, want), `${name}, ${R} rows: one by one here`).toBe('');
      }
    }
  });

  it('row programs with the GELU keeping Φ for its backward = the plain calls (uneven chunks, 260 elements and up)', () => {
    for (const { name, be } of backends()) {
      const rk = be.resident!()!;
      for (const R of [13, 37, 64, 130]) {
        const { records, want, got, again, calls, keptPhi } = compare(rk, R, 'rows', true);
        expect(keptPhi, `${name}, ${R} rows`).toBe(true);
        expect(records, `${name}, ${R} rows`).toBe(9);
        expect(firstDiff(got, want), `${name}, ${R} rows: program vs the plain calls`).toBe('');
        expect(firstDiff(again, want), `${name}, ${R} rows: second run`).toBe('');
        expect(firstDiff(calls, want), `${name}, ${R} rows: one by one, keeping Φ`).toBe('');
      }
      const small = compare(rk, 6, 'rows', true); // 120 elements: the JS formula, no Φ kept
      expect(small.keptPhi, name).toBe(false);
      expect(firstDiff(small.got, small.want), name).toBe('');
      expect(() => rk.program([{ kind: 'unary', op: 'gelu', x: 0, out: 0, len: 120, phi: 0 }], 6)).toThrow(/keepsPhi is false/);
    }
  });

  it('independent calls as pieces: gemm by rows and by columns, odd column sums', () => {
    for (const { name, be } of backends()) {
      const rk = be.resident!()!;
      for (const R of [13, 64, 131]) {
        for (const keepPhi of [false, true]) {
          const { records, want, got, again, keptPhi } = compare(rk, R, 'pieces', keepPhi);
          const what = `${name}, ${R} rows${keepPhi ? ', Φ kept' : ''}`;
          expect(keptPhi, what).toBe(keepPhi);
          expect(records, what).toBeGreaterThanOrEqual(7);
          expect(firstDiff(got, want), what).toBe('');
          expect(firstDiff(again, want), `${what}: second run`).toBe('');
        }
      }
    }
  });

  it('a GELU below the wasm kernel\'s size: call by call, the same bits', () => {
    for (const { name, be } of backends()) {
      const { records, want, got } = compare(be.resident!()!, 6, 'rows'); // 6 × 20 elements
      expect(records, name).toBe(0);
      expect(firstDiff(got, want), name).toBe('');
    }
  });

  it('calls on nothing (0 elements, rows or columns) write nothing, in row programs and as pieces', () => {
    for (const { name, be } of backends()) {
      const rk = be.resident!()!;
      const block = rk.allocBlock(4 * 1024);
      const v = rk.view(), w = block >> 2;
      v.fill(2, w, w + 1024);
      const a = block, b = block + 1024, out = block + 2048, out2 = block + 3072; // 256 floats each
      const empties: ResidentCall[] = [
        { kind: 'add', a, b, out, len: 0 },
        { kind: 'copy', src: a, lds: 4, dst: out, ldd: 4, width: 0, rows: 8 },
      ];
      const real: ResidentCall = { kind: 'add', a, b, out: out2, len: 8 * 32 };
      const rowProg = rk.program([...empties, real], 8);
      rowProg.run();
      expect(Array.from(v.subarray(out >> 2, (out >> 2) + 64)).every((x) => x === 2), `${name}: row program`).toBe(true);
      expect(Array.from(v.subarray(out2 >> 2, (out2 >> 2) + 256)).every((x) => x === 4), `${name}: row program`).toBe(true);
      rowProg.free();
      const pieces = rk.program([
        ...empties,
        { kind: 'copy', src: a, lds: 4, dst: out, ldd: 4, width: 4, rows: 0 },
        { kind: 'colSum', x: a, rows: 4, n: 0, out },
        { kind: 'gemm', transA: true, transB: false, m: 0, n: 4, k: 4, a, b, c: out, alpha: 1, beta: 0, bias: 0 },
        { kind: 'colSum', x: a, rows: 3, n: 8, out: out2 },
      ], null);
      pieces.run();
      expect(Array.from(v.subarray(out >> 2, (out >> 2) + 64)).every((x) => x === 2), `${name}: pieces`).toBe(true);
      expect(Array.from(v.subarray(out2 >> 2, (out2 >> 2) + 8)), `${name}: pieces`).toEqual(new Array(8).fill(6));
      pieces.free();
      rk.freeBlock(block);
    }
  });

  it('a program of more pieces than one job can count (70,000 one-float copies)', () => {
    const N = 70_000; // a job's chunk word counts 0xffff chunks
    for (const { name, be } of backends()) {
      const rk = be.resident!()!;
      const block = rk.allocBlock(4 * 2 * N);
      const src = block >> 2, dst = src + N;
      const v = rk.view();
      for (let i = 0; i < N; i++) { v[src + i] = i + 1; v[dst + i] = 0; }
      const calls: ResidentCall[] = Array.from({ length: N }, (_, i) => ({ kind: 'copy', src: block + 4 * i, lds: 1, dst: block + 4 * (N + i), ldd: 1, width: 1, rows: 1 }));
      const p = rk.program(calls, null);
      expect(p.records, name).toBe(N);
      p.run();
      const w = rk.view();
      let wrong = 0;
      for (let i = 0; i < N; i++) if (w[dst + i] !== i + 1) wrong++;
      expect(wrong, name).toBe(0);
      p.free();
      rk.freeBlock(block);
    }
  });

  it('refuses calls that break a row program\'s contract; a freed program does not run', () => {
    const rk = wasm!.resident!()!;
    const g: ResidentCall = { kind: 'gemm', transA: false, transB: false, m: 8, n: 4, k: 4, a: 0, b: 0, c: 0, alpha: 1, beta: 0, bias: 0 };
    expect(() => rk.program([{ ...g, transA: true }], 8)).toThrow(/op\(A\) transposed/);
    expect(() => rk.program([{ ...g, m: 4 }], 8)).toThrow(/m = 4/);
    expect(() => rk.program([{ kind: 'colSum', x: 0, rows: 8, n: 4, out: 0 }], 8)).toThrow(/sum over rows/);
    expect(() => rk.program([{ kind: 'add', a: 0, b: 0, out: 0, len: 12 }], 8)).toThrow(/12 elements/);
    // Negative sizes, in either kind of program, with no block left behind.
    const before = rk.allocBlock(64);
    rk.freeBlock(before);
    expect(() => rk.program([{ kind: 'add', a: 0, b: 0, out: 0, len: -8 }], 8)).toThrow(/integers ≥ 0/);
    expect(() => rk.program([{ kind: 'copy', src: 0, lds: 4, dst: 0, ldd: 4, width: 4, rows: -1 }], null)).toThrow(/integers ≥ 0/);
    const after = rk.allocBlock(64);
    rk.freeBlock(after);
    expect(after).toBe(before);
    const s = scenario(rk, 16, 'rows', 1);
    const p = rk.program(s.calls, 16);
    p.free();
    expect(() => p.run()).toThrow(/freed/);
    s.free();
  });
});
