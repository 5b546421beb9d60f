// A forward plan: a fixed sequence of fused linear layers over row-major activation buffers,
// for inference loops that run one network thousands of times (the diffusion sampler). Every
// op is row-local (output row i depends only on input row i), so a backend may split the rows
// of a whole plan between threads with no synchronisation between layers, and keep weights and
// activations resident in its own memory (no per-call copies). Concatenation costs nothing: the
// two halves are column regions of one buffer.
//
// The plain-JS runner here, built from the Backend kernels, is the specification; the wasm
// runner (backend/wasm/plan.ts) must agree with it.
import type { Backend } from './types.js';
import { at } from '../../util/checked.js';

/** Columns [col, col + width) of plan buffer `buf` (row stride: that buffer's width). */
export interface PlanRegion { buf: number; col: number; width: number }

/**
 * out = x·Wᵀ + bias (+ out when `accumulate`); then `gelu: 'inplace'` replaces out by
 * gelu(out), and a region `gelu` receives gelu(out) while out keeps the linear value.
 * W is `weights[weight]`, out.width × x.width, PyTorch's Linear layout.
 */
export interface PlanLinear {
  kind: 'linear';
  x: PlanRegion;
  weight: number;
  /** Index into `vectors` (length out.width), or null. */
  bias: number | null;
  out: PlanRegion;
  accumulate: boolean;
  gelu: 'inplace' | PlanRegion | null;
}

export interface PlanCopy { kind: 'copy'; from: PlanRegion; to: PlanRegion }

export type PlanOp = PlanLinear | PlanCopy;

export interface Plan {
  /** Width (columns) of each buffer; every buffer has one row per batch row. */
  buffers: number[];
  /** Weight matrices, row-major [rows = outputs, cols = inputs]. */
  weights: { rows: number; cols: number; data: Float32Array }[];
  /** Vectors (biases); a runner's setVector may replace their values between runs. */
  vectors: Float32Array[];
  ops: PlanOp[];
  input: PlanRegion;
  output: PlanRegion;
}

export interface PlanRunner {
  /** Replace vector i's values (same length) for the following runs. */
  setVector(i: number, values: ArrayLike<number>): void;
  /** Run the plan on `rows` rows of x (rows × input.width); returns rows × output.width. */
  run(x: Float32Array, rows: number): Float32Array;
}

const overlap = (a: PlanRegion, b: PlanRegion): boolean => a.buf === b.buf && a.col < b.col + b.width && b.col < a.col + a.width;

/**
 * Throws unless the plan's regions, weights and vectors have consistent sizes and no op writes
 * the columns it reads. (A region read before any op wrote it in a run holds unspecified values.)
 */
export function validatePlan(p: Plan): void {
  const region = (r: PlanRegion, what: string): void => {
    const w = p.buffers[r.buf];
    if (w === undefined || !(r.col >= 0 && r.width >= 1 && r.col + r.width <= w)) {
      throw new Error(`plan: ${what} region (buffer ${r.buf}, columns ${r.col}..${r.col + r.width}) is outside its buffer`);
    }
  };
  region(p.input, 'input');
  region(p.output, 'output');
  p.ops.forEach((op, i) => {
    if (op.kind === 'copy') {
      region(op.from, `op ${i} copy source`);
      region(op.to, `op ${i} copy target`);
      if (op.from.width !== op.to.width) throw new Error(`plan: op ${i} copies ${op.from.width} columns into ${op.to.width}`);
      if (overlap(op.from, op.to)) throw new Error(`plan: op ${i} copies onto its own columns`);
      return;
    }
    region(op.x, `op ${i} input`);
    region(op.out, `op ${i} output`);
    if (overlap(op.x, op.out)) throw new Error(`plan: op ${i} writes columns it reads (buffer ${op.x.buf})`);
    const w = p.weights[op.weight];
    if (!w || w.rows !== op.out.width || w.cols !== op.x.width || w.data.length !== w.rows * w.cols) {
      throw new Error(`plan: op ${i} weight ${op.weight} must be ${op.out.width}×${op.x.width}`);
    }
    if (op.bias !== null && p.vectors[op.bias]?.length !== op.out.width) throw new Error(`plan: op ${i} bias must have ${op.out.width} values`);
    if (op.gelu !== null && op.gelu !== 'inplace') {
      region(op.gelu, `op ${i} gelu output`);
      if (op.gelu.width !== op.out.width) throw new Error(`plan: op ${i} gelu output must have ${op.out.width} columns`);
      if (overlap(op.gelu, op.x) || overlap(op.gelu, op.out)) throw new Error(`plan: op ${i} gelu output overlaps its input or output`);
    }
  });
}

/** Check a runner's setVector/run arguments. */
export function checkVector(p: Plan, i: number, values: ArrayLike<number>): void {
  const v = p.vectors[i];
  if (!v) throw new Error(`plan: no vector ${i}`);
  if (values.length !== v.length) throw new Error(`plan: vector ${i} has ${v.length} values, got ${values.length}`);
}

export function checkInput(p: Plan, x: Float32Array, rows: number): void {
  if (!(Number.isInteger(rows) && rows >= 0)) throw new Error(`plan: rows must be an integer ≥ 0, got ${rows}`);
  if (x.length < rows * p.input.width) throw new Error(`plan: input has ${x.length} values, need ${rows}×${p.input.width}`);
}

/**
 * The reference runner on any backend's kernels: regions are gathered into contiguous matrices,
 * multiplied with backend.gemm, biased with backend.binary and activated with backend.unary.
 */
export function referencePlanRunner(backend: Backend, plan: Plan): PlanRunner {
  validatePlan(plan);
  const vectors = plan.vectors.map((v) => Float32Array.from(v));
  let rowsCap = 0;
  let bufs: Float32Array[] = [];
  const gather = (r: PlanRegion, rows: number): Float32Array => {
    const w = at(plan.buffers, r.buf, 'plan buffers'), src = at(bufs, r.buf, 'plan buffers'), out = new Float32Array(rows * r.width);
    for (let i = 0; i < rows; i++) out.set(src.subarray(i * w + r.col, i * w + r.col + r.width), i * r.width);
    return out;
  };
  const scatter = (r: PlanRegion, rows: number, m: Float32Array): void => {
    const w = at(plan.buffers, r.buf, 'plan buffers'), dst = at(bufs, r.buf, 'plan buffers');
    for (let i = 0; i < rows; i++) dst.set(m.subarray(i * r.width, (i + 1) * r.width), i * w + r.col);
  };
  return {
    setVector(i, values) {
      checkVector(plan, i, values);
      at(vectors, i, 'plan vectors').set(values);
    },
    run(x, rows) {
      checkInput(plan, x, rows);
      if (rows > rowsCap) {
        rowsCap = rows;
        bufs = plan.buffers.map((w) => new Float32Array(rows * w));
      }
      scatter(plan.input, rows, x.subarray(0, rows * plan.input.width));
      for (const op of plan.ops) {
        if (op.kind === 'copy') { scatter(op.to, rows, gather(op.from, rows)); continue; }
        const w = at(plan.weights, op.weight, 'plan weights');
        const y = op.accumulate ? gather(op.out, rows) : new Float32Array(rows * w.rows);
        backend.gemm(false, true, rows, w.rows, w.cols, gather(op.x, rows), w.data, y, 1, op.accumulate ? 1 : 0);
        if (op.bias !== null) backend.binary('add', [rows, w.rows], y, [w.rows, 1], at(vectors, op.bias, 'plan vectors'), [0, 1], y);
        if (op.gelu === 'inplace') backend.unary('gelu', y, y);
        else if (op.gelu !== null) {
          const g = new Float32Array(y.length);
          backend.unary('gelu', y, g);
          scatter(op.gelu, rows, g);
        }
        scatter(op.out, rows, y);
      }
      return gather(plan.output, rows);
    },
  };
}

/** A runner for this plan on this backend: its own (fused, resident) one where it has one. */
export function compilePlan(backend: Backend, plan: Plan): PlanRunner {
  return backend.compilePlan ? backend.compilePlan(plan) : referencePlanRunner(backend, plan);
}
