// Forward plans: the reference runner against a direct float64 evaluation, every backend's
// runner against the reference runner on random plans (odd widths, column regions, copies,
// accumulation, both GELU outputs, row counts that split into uneven chunks), residence
// displacement between two runners, and the noise network's plan against its autograd forward.
//
// Tolerance: one linear op has the GEMM bound (k + 4)·ε·|x||W| (see conformance.test.ts); a
// chain of q ops with weights of norm ≲ 1 accumulates at most q times that, so runners agree
// within 2·q·(kmax + 4)·ε·(1 + |y|) (both sides carry their own error; |y| scales it).
import { describe, it, expect, afterAll } from 'vitest';
import { jsBackend } from '../../src/tensor/backend/js.js';
import type { Backend } from '../../src/tensor/backend/types.js';
import { compilePlan, referencePlanRunner, validatePlan } from '../../src/tensor/backend/plan.js';
import type { Plan, PlanOp, PlanRegion } from '../../src/tensor/backend/plan.js';
import { loadWasmBackend, wasmSimdSupported, relaxedSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { defaultGeometry } from '../../src/tensor/backend/wasm/gemm.js';
import { MAX_RESIDENT_ROWS } from '../../src/tensor/backend/wasm/plan.js';
import { enableRelaxedSimd } from '../../src/tensor/backend/wasm/node-flags.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import type { ThreadsBackend } from '../../src/tensor/backend/threads.js';
import { geluScalar } from '../../src/tensor/index.js';
import { Rng } from '../../src/random/index.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import type { BlockWiring } from '../../src/diffusion/network.js';
import { noisePlan } from '../../src/diffusion/plan.js';
import { fromStorage, withBackend } from '../../src/tensor/index.js';
import { noGrad } from '../../src/autograd/index.js';

const EPS32 = 2 ** -23;

const backends: { name: string; backend: Backend }[] = [{ name: 'js', backend: jsBackend }];
let threads: ThreadsBackend | null = null;
if (wasmSimdSupported()) {
  backends.push({ name: 'wasm', backend: await loadWasmBackend({ geometry: { ...defaultGeometry, fma: false } }) });
  if (await enableRelaxedSimd() && relaxedSimdSupported()) {
    backends.push({ name: 'wasm-fma', backend: await loadWasmBackend({ geometry: { ...defaultGeometry, fma: true } }) });
  }
  threads = await loadThreadsBackend({ threads: 3 });
  backends.push({ name: 'threads-3', backend: threads });
}
afterAll(async () => { await threads?.terminate(); });

/** A random plan: each op reads regions written before it and writes fresh (padded) regions. */
function randomPlan(rng: Rng): { plan: Plan; kmax: number } {
  const buffers: number[] = [];
  const fresh = (width: number): PlanRegion => {
    const padL = rng.int(3), padR = rng.int(3);
    return { buf: buffers.push(padL + width + padR) - 1, col: padL, width };
  };
  const nIn = 1 + rng.int(13);
  const input = fresh(nIn);
  const written: PlanRegion[] = [input];
  const weights: Plan['weights'] = [], vectors: Float32Array[] = [], ops: PlanOp[] = [];
  const pick = (): PlanRegion => written[rng.int(written.length)]!;
  let kmax = 1;
  const nOps = 2 + rng.int(5);
  for (let q = 0; q < nOps; q++) {
    if (rng.uniform() < 0.2) {
      const from = pick(), to = fresh(from.width);
      ops.push({ kind: 'copy', from, to });
      written.push(to);
      continue;
    }
    const x = pick();
    kmax = Math.max(kmax, x.width);
    // Accumulate onto an earlier output when one does not overlap x.
    const targets = written.filter((r) => r !== input && !(r.buf === x.buf));
    const accumulate = targets.length > 0 && rng.uniform() < 0.3;
    const out = accumulate ? targets[rng.int(targets.length)]! : fresh(1 + rng.int(21));
    const w = new Float32Array(out.width * x.width).map(() => (rng.uniform() * 2 - 1) / Math.sqrt(x.width));
    const weight = weights.push({ rows: out.width, cols: x.width, data: w }) - 1;
    const bias = rng.uniform() < 0.7 ? vectors.push(new Float32Array(out.width).map(() => rng.uniform() - 0.5)) - 1 : null;
    const r = rng.uniform();
    const gelu = r < 0.3 ? null : r < 0.6 ? 'inplace' as const : fresh(out.width);
    ops.push({ kind: 'linear', x, weight, bias, out, accumulate, gelu });
    if (!accumulate) written.push(out);
    if (gelu !== null && gelu !== 'inplace') written.push(gelu);
  }
  return { plan: { buffers, weights, vectors, ops, input, output: written[written.length - 1]! }, kmax };
}

/** The plan evaluated directly, row by row, in float64. */
function evaluate64(p: Plan, x: Float32Array, rows: number): Float64Array {
  const bufs = p.buffers.map((w) => new Float64Array(rows * w));
  const get = (r: PlanRegion, i: number, c: number): number => bufs[r.buf]![i * p.buffers[r.buf]! + r.col + c]!;
  const put = (r: PlanRegion, i: number, c: number, v: number): void => { bufs[r.buf]![i * p.buffers[r.buf]! + r.col + c] = v; };
  for (let i = 0; i < rows; i++) for (let c = 0; c < p.input.width; c++) put(p.input, i, c, x[i * p.input.width + c]!);
  for (const op of p.ops) {
    for (let i = 0; i < rows; i++) {
      if (op.kind === 'copy') { for (let c = 0; c < op.from.width; c++) put(op.to, i, c, get(op.from, i, c)); continue; }
      const w = p.weights[op.weight]!;
      for (let j = 0; j < w.rows; j++) {
        let s = op.accumulate ? get(op.out, i, j) : 0;
        for (let c = 0; c < w.cols; c++) s += w.data[j * w.cols + c]! * get(op.x, i, c);
        if (op.bias !== null) s += p.vectors[op.bias]![j]!;
        if (op.gelu === 'inplace') put(op.out, i, j, geluScalar(s));
        else {
          put(op.out, i, j, s);
          if (op.gelu !== null) put(op.gelu, i, j, geluScalar(s));
        }
      }
    }
  }
  const out = new Float64Array(rows * p.output.width);
  for (let i = 0; i < rows; i++) for (let c = 0; c < p.output.width; c++) out[i * p.output.width + c] = get(p.output, i, c);
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: (v: number) => number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol(want[i]!))) expect.fail(`${what}[${i}] = ${got[i]}, expected ${want[i]} (±${tol(want[i]!)})`);
  }
}

describe('plan validation', () => {
  const base = (): Plan => ({
    buffers: [3, 4], weights: [{ rows: 4, cols: 3, data: new Float32Array(12) }], vectors: [new Float32Array(4)],
    ops: [{ kind: 'linear', x: { buf: 0, col: 0, width: 3 }, weight: 0, bias: 0, out: { buf: 1, col: 0, width: 4 }, accumulate: false, gelu: null }],
    input: { buf: 0, col: 0, width: 3 }, output: { buf: 1, col: 0, width: 4 },
  });
  it('accepts a consistent plan and names what is wrong in an inconsistent one', () => {
    expect(() => validatePlan(base())).not.toThrow();
    const p1 = base(); p1.output = { buf: 1, col: 2, width: 3 };
    expect(() => validatePlan(p1)).toThrow(/output region \(buffer 1, columns 2..5\) is outside its buffer/);
    const p2 = base(); p2.weights[0] = { rows: 3, cols: 4, data: new Float32Array(12) };
    expect(() => validatePlan(p2)).toThrow(/op 0 weight 0 must be 4×3/);
    const p3 = base(); p3.vectors[0] = new Float32Array(2);
    expect(() => validatePlan(p3)).toThrow(/op 0 bias must have 4 values/);
    const p4 = base(); p4.buffers = [7]; p4.output = { buf: 0, col: 3, width: 4 };
    (p4.ops[0] as { out: PlanRegion }).out = { buf: 0, col: 2, width: 4 };
    expect(() => validatePlan(p4)).toThrow(/op 0 writes columns it reads/);
    const r = referencePlanRunner(jsBackend, base());
    expect(() => r.setVector(0, [1, 2])).toThrow(/vector 0 has 4 values, got 2/);
    expect(() => r.run(new Float32Array(5), 2)).toThrow(/input has 5 values, need 2×3/);
  });
});

describe('reference plan runner', () => {
  it('equals a direct float64 evaluation of random plans within the chained GEMM bound', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 30; trial++) {
      const { plan, kmax } = randomPlan(rng);
      const rows = 1 + rng.int(9);
      const x = new Float32Array(rows * plan.input.width).map(() => rng.uniform() * 2 - 1);
      const got = referencePlanRunner(jsBackend, plan).run(x, rows);
      const tol = 2 * plan.ops.length * (kmax + 4) * EPS32;
      expectClose(got, evaluate64(plan, x, rows), (v) => tol * (1 + Math.abs(v)), `trial ${trial}`);
    }
  });
});

describe.each(backends)('backend $name: plan runner conformance', ({ name, backend }) => {
  it('random plans, uneven row chunks: equal to the reference runner', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 25; trial++) {
      const { plan, kmax } = randomPlan(rng);
      const rows = trial % 5 === 0 ? 1 : 1 + rng.int(700);
      const x = new Float32Array(rows * plan.input.width).map(() => rng.uniform() * 2 - 1);
      const want = referencePlanRunner(jsBackend, plan).run(x, rows);
      const got = compilePlan(backend, plan).run(x, rows);
      const tol = 4 * plan.ops.length * (kmax + 4) * EPS32;
      expectClose(got, want, (v) => tol * (1 + Math.abs(v)), `${name} trial ${trial} (${rows} rows)`);
    }
  });

  it('two runners alternate on one backend (the resident plan is re-uploaded), setVector applies to later runs', () => {
    const rng = new Rng(9);
    const a = randomPlan(rng), b = randomPlan(rng);
    const rows = 300;
    const xa = new Float32Array(rows * a.plan.input.width).map(() => rng.uniform() - 0.5);
    const xb = new Float32Array(rows * b.plan.input.width).map(() => rng.uniform() - 0.5);
    const ra = compilePlan(backend, a.plan), rb = compilePlan(backend, b.plan);
    const refA = referencePlanRunner(jsBackend, a.plan), refB = referencePlanRunner(jsBackend, b.plan);
    const tol = (k: number, q: number) => (v: number): number => 4 * q * (k + 4) * EPS32 * (1 + Math.abs(v));
    for (let round = 0; round < 3; round++) {
      if (a.plan.vectors.length > 0) {
        const v = new Float32Array(a.plan.vectors[0]!.length).fill(round - 1);
        ra.setVector(0, v);
        refA.setVector(0, v);
      }
      expectClose(ra.run(xa, rows), refA.run(xa, rows), tol(a.kmax, a.plan.ops.length), `${name} plan a, round ${round}`);
      expectClose(rb.run(xb, rows - round), refB.run(xb, rows - round), tol(b.kmax, b.plan.ops.length), `${name} plan b, round ${round}`);
    }
  });

  it('ops wider and deeper than one GEMM block (k > KC, n > NC, rows > MC): epilogue after the last k block only', () => {
    const rng = new Rng(17);
    for (const [k, n, rows, accumulate, dual] of [[300, 601, 150, true, true], [530, 1030, 133, false, false], [257, 515, 7, true, false]] as const) {
      const w = (): Float32Array => new Float32Array(n * k).map(() => (rng.uniform() - 0.5) / 10);
      const gelu = dual ? { buf: 2, col: 1, width: n } : 'inplace' as const;
      const plan: Plan = {
        buffers: [k + 2, n + 3, n + 1],
        weights: [{ rows: n, cols: k, data: w() }, { rows: n, cols: k, data: w() }],
        vectors: [new Float32Array(n).map(() => rng.uniform() - 0.5)],
        ops: [
          { kind: 'linear', x: { buf: 0, col: 1, width: k }, weight: 1, bias: null, out: { buf: 1, col: 2, width: n }, accumulate: false, gelu: null },
          { kind: 'linear', x: { buf: 0, col: 1, width: k }, weight: 0, bias: 0, out: { buf: 1, col: 2, width: n }, accumulate, gelu },
        ],
        input: { buf: 0, col: 1, width: k }, output: dual ? { buf: 2, col: 1, width: n } : { buf: 1, col: 2, width: n },
      };
      const x = new Float32Array(rows * k).map(() => rng.uniform() - 0.5);
      const tol = 4 * 2 * (k + 4) * EPS32;
      expectClose(compilePlan(backend, plan).run(x, rows), referencePlanRunner(jsBackend, plan).run(x, rows), (v) => tol * (1 + Math.abs(v)), `${name} k=${k} n=${n} rows=${rows}`);
    }
  });

  it('a run of more rows than stay resident is sliced and still equals the reference runner', () => {
    const rng = new Rng(13);
    const { plan, kmax } = randomPlan(rng);
    const rows = MAX_RESIDENT_ROWS + 37;
    const x = new Float32Array(rows * plan.input.width).map(() => rng.uniform() * 2 - 1);
    const tol = 4 * plan.ops.length * (kmax + 4) * EPS32;
    expectClose(compilePlan(backend, plan).run(x, rows), referencePlanRunner(jsBackend, plan).run(x, rows), (v) => tol * (1 + Math.abs(v)), `${name} ${rows} rows`);
  });

  it('the noise network plan equals its autograd forward (residual and not, 2 and 3 widths)', () => {
    for (const [widths, residual] of [[[8, 12], true], [[8, 12, 20], true], [[12, 8, 16], false]] as [number[], boolean][]) {
      const cfg = { n: 6, widths, timeDim: 8, T: 50, residual };
      const net = new NoiseMLP(cfg, new Rng(widths.length));
      const B = 257;
      const x = new Rng(3).fillNormal(new Float32Array(B * 6));
      for (const t of [0, 17, 49]) {
        const want = withBackend(jsBackend, () => noGrad(() => net.forward(fromStorage(x.slice(), [B, 6]), new Int32Array(B).fill(t))).data);
        const { plan, stepVectors } = noisePlan(net);
        const runner = compilePlan(backend, plan);
        for (const [i, v] of stepVectors(t)) runner.setVector(i, v);
        const got = runner.run(x, B);
        // ~20 chained layers of width ≤ 40: the chained bound with q = 20, k = 40.
        const tol = 2 * 20 * (40 + 4) * EPS32;
        expectClose(got, want, (v) => tol * (1 + Math.abs(v)), `${name} widths ${widths} t=${t}`);
      }
    }
  });
});

describe('noisePlan reads each block from its wiring (ResNetBlock.wire)', () => {
  it('a block wired other than the fused form is refused, while forward follows the new wiring', () => {
    const cfg = { n: 6, widths: [8, 12], timeDim: 8, T: 50, residual: true };
    const net = new NoiseMLP(cfg, new Rng(1));
    const x = fromStorage(new Rng(3).fillNormal(new Float32Array(4 * 6)), [4, 6]);
    const t = new Int32Array(4).fill(7);
    const before = noGrad(() => net.forward(x, t)).data.slice();
    expect(() => noisePlan(net)).not.toThrow();
    // Drop the block's first GELU: forward changes with it, and the plan has no fused form for it.
    net.mid.wire = function <V>(this: typeof net.mid, v: V, w: BlockWiring<V>): V {
      return w.add(v, w.linear(this.mlp2, w.gelu(w.addTime(this.temb_proj, w.linear(this.mlp1, v)))));
    };
    const after = noGrad(() => net.forward(x, t)).data;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    expect(() => noisePlan(net)).toThrow(/no fused form/);
  });
});
