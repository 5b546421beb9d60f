/**
 * The ε-objective's forward and backward pass compiled to run resident in the backend's memory
 * (Backend.resident: the wasm and threads backends): parameters, activations and gradients stay
 * there across steps, every GEMM runs on offsets (no operand copies, no allocation per op), and
 * a step copies in the minibatch (x_t, ε, the time-table rows of its steps) and the parameters,
 * and copies out the loss and the parameter gradients.
 *
 * The structure is not restated here: the network's autograd graph of one loss evaluation
 * (NoiseMLP.forward = forwardEmb(x, embedRows(table rows)), then mseLoss) is recorded once, and
 * its nodes, in autograd's own topological order (topoOrder), become the program. Forward runs
 * the nodes in that order; backward runs them in reverse and accumulates each value's gradient
 * contributions in the order autograd's backward() receives them. Each node repeats its autograd
 * op's arithmetic exactly — the same backend GEMM calls (m, n, k, transposes), the bias add as
 * a float32 sum, GELU by the backend's rule (wasm kernel or JS formula by size), bias gradients
 * as float64 column sums, mseLoss in float64 — so losses and gradients are bit-identical to the
 * autograd path (test/diffusion/trainplan.test.ts). A graph with any other op is refused (null).
 *
 * The optimisation step can stay resident too (ResidentUpdate): the parameters come first in the
 * memory, in net.parameters() order, their gradients after them laid out alike, and Adam's
 * moments and the EMA shadow (float64) likewise, so clipGradNorm, Adam and EMA.update each run as
 * one kernel over the whole region (or a serial loop per parameter for the norm), and a step
 * copies in only the minibatch and copies out only the updated parameters.
 */
import { Tensor, fromStorage } from '../tensor/index.js';
import type { ResidentKernels } from '../tensor/index.js';
import type { AdamHyper } from '../tensor/backend/types.js';
import { mseLoss, needsGrad, topoOrder } from '../autograd/index.js';
import type { Node } from '../autograd/index.js';
import type { NoiseMLP } from './network.js';
import { checkMaxNorm, clipScale } from '../nn/index.js';
import { at, last, dims } from '../util/checked.js';

export interface TrainStepPlan {
  /** Rows of a minibatch (fixed at compile time). */
  readonly batch: number;
  /**
   * The loss mseLoss(net.forward(x_t, t), ε).item() with the network's current parameters
   * (copied in; with paramsResident, those already in the backend's memory: see ResidentUpdate);
   * keeps what backward needs.
   */
  forward(xt: Float32Array, t: Int32Array, eps: Float32Array, paramsResident?: boolean): number;
  /** The gradients of the last forward's loss: sets each parameter's .grad, as backward(loss) after zeroGrad. */
  backward(): void;
  /**
   * The optimisation step on the resident buffers; null where some parameter of the network
   * takes no gradient in the graph.
   */
  readonly update: ResidentUpdate | null;
  /** Release the resident memory (the plan is unusable afterwards). */
  dispose(): void;
}

/**
 * The training step's update on buffers resident in the backend's memory, each with the
 * arithmetic of the JS code it stands for (bit-identical). Parameter k is net.parameters()[k].
 * Each parameter, its gradient, its Adam moments and its EMA average are padded alike to a
 * multiple of 16 elements, and the padding stays zero.
 */
export interface ResidentUpdate {
  /** backward() leaving the gradients resident (no parameter's .grad is set). */
  backward(): void;
  /** clipGradNorm(net.parameters(), maxNorm) on the resident gradients; returns the norm before clipping. */
  clipGradNorm(maxNorm: number): number;
  /** Adam's plain update with these hyper-parameters (Adam.plainHyper) on the resident parameters, gradients and moments. */
  adam(h: AdamHyper): void;
  /** EMA.update(net) with this decay on the resident float64 averages and the resident parameters. */
  ema(decay: number): void;
  /** Copy the resident parameters into the network's tensors (the step's one copy out). */
  copyParamsOut(): void;
  /** Copies of parameter k's resident Adam moments. */
  readMoments(k: number): { m: Float64Array; v: Float64Array };
  writeMoments(k: number, m: ArrayLike<number>, v: ArrayLike<number>): void;
  /** A copy of parameter k's resident EMA average. */
  readShadow(k: number): Float64Array;
  writeShadow(k: number, s: ArrayLike<number>): void;
}

/** A value of the recorded graph: its buffers (byte offsets) and shape. */
interface Slot {
  rows: number;
  cols: number;
  size: number;
  /** Forward value. */
  at: number;
  /** Gradient (−1: none reaches it). */
  grad: number;
}

/** One gradient contribution: first (written into the gradient buffer) or later (added to it). */
type Into = { slot: Slot; first: boolean };

type Op =
  | { kind: 'linear'; x: Slot; w: Slot; b: Slot | null; y: Slot; into: (Into | null)[] }
  | { kind: 'gelu'; x: Slot; y: Slot; into: (Into | null)[] }
  | { kind: 'add'; a: Slot; b: Slot; y: Slot; into: (Into | null)[] }
  | { kind: 'concat'; a: Slot; b: Slot; y: Slot; into: (Into | null)[] }
  | { kind: 'mse'; pred: Slot; target: Slot; into: (Into | null)[] };

const FLOAT_ALIGN = 16; // buffers start on 64 bytes and hold a multiple of 4 floats (unary kernels' padding)

/** Why a graph has no compiled form (the trainer then stays on autograd). */
export class NoTrainPlan extends Error {
  /** `noRoom`: the graph compiles, but the backend's memory had no room for it (it may later). */
  constructor(message: string, readonly noRoom = false) {
    super(message);
  }
}

/**
 * Compile the ε-objective's loss for `net` at batch size `batch` on these resident kernels.
 * Throws NoTrainPlan where the recorded graph holds an op without a compiled form, or where the
 * memory has no room.
 */
export function compileTrainStep(net: NoiseMLP, batch: number, rk: ResidentKernels): TrainStepPlan {
  const B = batch;
  const table = net.timeTable();
  const [T, D] = dims(table.shape, 2, 'time table');
  const nIn = net.mlp_in.inFeatures, nOut = net.mlp_out.outFeatures;
  if (!(table.data instanceof Float32Array)) throw new NoTrainPlan('the time table is not float32');
  // Record the graph once, on zero inputs (the values do not matter, the structure does).
  const xt = fromStorage(new Float32Array(B * nIn), [B, nIn]);
  const rowsIn = fromStorage(new Float32Array(B * D), [B, D]);
  const eps = fromStorage(new Float32Array(B * nOut), [B, nOut]);
  const loss = mseLoss(net.forwardEmb(xt, net.embedRows(rowsIn)), eps);
  const order = topoOrder(loss);

  let words = 0;
  const place = (size: number): number => {
    const at = words;
    words += Math.ceil(size / FLOAT_ALIGN) * FLOAT_ALIGN;
    return at;
  };
  const slots = new Map<Tensor, Slot>();
  const params: { p: Tensor; slot: Slot }[] = [];
  const slotOf = (t: Tensor): Slot => {
    let s = slots.get(t);
    if (s) return s;
    if (t.dtype !== 'float32') throw new NoTrainPlan(`a ${t.dtype} tensor`);
    if (t.ndim > 2) throw new NoTrainPlan(`a tensor of shape [${t.shape.join(', ')}]`);
    const rows = t.ndim === 2 ? at(t.shape, 0, 'shape') : 1, cols = t.ndim === 0 ? 1 : last(t.shape, 'shape');
    s = { rows, cols, size: t.size, at: place(t.size), grad: -1 };
    slots.set(t, s);
    if (t.node === null) {
      if (t.requiresGrad) params.push({ p: t, slot: s });
      else if (t !== xt && t !== rowsIn && t !== eps) throw new NoTrainPlan('a constant tensor other than the inputs');
    }
    return s;
  };
  // The parameters first, contiguous and in the network's order (the update's region).
  const netParams = net.parameters();
  for (const p of netParams) slotOf(p);
  for (const t of [xt, rowsIn, eps]) slotOf(t);

  // Forward program, and a dry run of backward()'s accumulation to know, for each contribution,
  // whether it is the first to reach its value.
  const ops: Op[] = [];
  const opOf = new Map<Tensor, Op>();
  for (const t of order) {
    const y = slotOf(t);
    const node = t.node as Node | null;
    if (node === null) continue;
    const ins = node.inputs.map(slotOf);
    const same = (a: Slot, b: Slot): boolean => a.rows === b.rows && a.cols === b.cols;
    let op: Op;
    const [i0, i1, i2] = ins;
    switch (node.op) {
      case 'linear':
        if (!i0 || !i1 || ins.length > 3 || at(node.inputs, 0).ndim !== 2 || at(node.inputs, 1).ndim !== 2) throw new NoTrainPlan('a linear layer on a non-matrix');
        op = { kind: 'linear', x: i0, w: i1, b: i2 ?? null, y, into: [] };
        break;
      case 'gelu':
        if (!i0 || ins.length !== 1) throw new NoTrainPlan('gelu arity');
        op = { kind: 'gelu', x: i0, y, into: [] };
        break;
      case 'add':
        if (!i0 || !i1 || ins.length !== 2 || !same(i0, i1) || !same(i0, y)) throw new NoTrainPlan('an add with broadcasting');
        op = { kind: 'add', a: i0, b: i1, y, into: [] };
        break;
      case 'concat':
        if (!i0 || !i1 || ins.length !== 2 || t.ndim !== 2 || i0.rows !== y.rows || i1.rows !== y.rows || i0.cols + i1.cols !== y.cols) throw new NoTrainPlan('a concatenation other than two matrices by columns');
        op = { kind: 'concat', a: i0, b: i1, y, into: [] };
        break;
      case 'mseLoss':
        if (t !== loss || !i0 || !i1 || node.inputs[1] !== eps) throw new NoTrainPlan('an mseLoss other than the objective\'s');
        op = { kind: 'mse', pred: i0, target: i1, into: [] };
        break;
      default:
        throw new NoTrainPlan(`the op '${node.op}'`);
    }
    ops.push(op);
    opOf.set(t, op);
  }
  // backward(): a value's gradient exists once some contribution reached it; the nodes run in
  // reverse topological order and hand out contributions in input order.
  const reached = new Set<Slot>([slotOf(loss)]);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = at(order, k, 'topological order');
    const op = opOf.get(t);
    if (!op || !reached.has(slotOf(t))) continue;
    const node = t.node as Node;
    op.into = node.inputs.map((inp) => {
      if (!needsGrad(inp)) return null;
      const s = slotOf(inp);
      const first = !reached.has(s);
      reached.add(s);
      return { slot: s, first };
    });
  }
  // Gradients of the parameters first, laid out as the parameters; then the others'.
  for (const { slot } of params) if (reached.has(slot)) slot.grad = place(slot.size);
  for (const s of reached) if (s.grad < 0) s.grad = place(s.size);
  let scratchSize = 0;
  for (const s of slots.values()) scratchSize = Math.max(scratchSize, s.size);
  const scratch = place(scratchSize);
  const grads = params.map(({ p, slot }) => (slot.grad >= 0 ? new Tensor(new Float32Array(slot.size), p.shape) : null));

  // The update's region: the parameters [pStart, pStart + W) words, gradients at the same offsets
  // from gStart; Adam's m, v and the EMA's averages W float64s each. Only where every parameter
  // of the network is one of the graph's, with a gradient.
  const first = params[0];
  const pStart = first ? first.slot.at : 0, gStart = first ? first.slot.grad : 0;
  let W = 0;
  let resident = params.length === netParams.length && params.length > 0;
  for (const [k, { p, slot }] of params.entries()) {
    if (p !== netParams[k] || slot.grad < 0 || slot.at !== pStart + W || slot.grad !== gStart + W) resident = false;
    W += Math.ceil(slot.size / FLOAT_ALIGN) * FLOAT_ALIGN;
  }
  const baseWords = words; // the update's state goes last: without it, the plan still runs
  const mW = resident ? place(2 * W) : 0, vW = resident ? place(2 * W) : 0, sW = resident ? place(2 * W) : 0;

  let block = rk.allocBlock(4 * words);
  if (block < 0 && resident) {
    resident = false;
    words = baseWords;
    block = rk.allocBlock(4 * words);
  }
  if (block < 0) throw new NoTrainPlan(`the backend memory has no room left for this training state (${Math.ceil((4 * words) / 2 ** 20)} MiB; DiffusionTrainer.dispose() frees the state of a trainer that is done)`, true);
  rk.view().fill(0, block >> 2, (block >> 2) + words); // the padding starts (and stays) zero
  const off = (w: number): number => block + 4 * w;
  const word = (w: number): number => (block >> 2) + w;
  const xS = slotOf(xt), rS = slotOf(rowsIn), eS = slotOf(eps);
  const lossSlot = slotOf(loss);
  let disposed = false, ready = false;

  /** Where a contribution is computed: its value's gradient buffer (first) or the scratch. */
  const dst = (c: Into): number => (c.first ? c.slot.grad : scratch);
  /** Add the scratch into the value's gradient where the contribution was a later one. */
  const settle = (c: Into): void => {
    if (!c.first) rk.add(off(c.slot.grad), off(scratch), off(c.slot.grad), c.slot.size);
  };

  return {
    batch: B,
    forward(xIn, t, epsIn, paramsResident = false) {
      if (disposed) throw new Error('train plan: disposed');
      if (xIn.length !== B * nIn || epsIn.length !== B * nOut || t.length !== B) throw new Error(`train plan: a batch of ${B} rows of ${nIn} inputs, ${nOut} targets and ${B} steps`);
      const v = rk.view();
      v.set(xIn, word(xS.at));
      v.set(epsIn, word(eS.at));
      const tab = table.data as Float32Array;
      for (let b = 0; b < B; b++) {
        const s = t[b]!;
        if (!(Number.isInteger(s) && s >= 0 && s < T)) throw new Error(`train plan: step ${s} outside 0..${T - 1}`);
        v.set(tab.subarray(s * D, s * D + D), word(rS.at) + b * D);
      }
      if (!paramsResident) for (const { p, slot } of params) v.set(p.data as Float32Array, word(slot.at));
      let value = NaN;
      for (const op of ops) {
        switch (op.kind) {
          case 'linear': {
            // linear(): one GEMM x·Wᵀ, then the bias row added in float32.
            const { x, w, b, y } = op;
            rk.gemm(false, true, x.rows, w.rows, w.cols, off(x.at), off(w.at), off(y.at), 1, 0, b ? off(b.at) : 0);
            break;
          }
          case 'gelu':
            rk.unary('gelu', off(op.x.at), off(op.y.at), op.x.size);
            break;
          case 'add':
            rk.add(off(op.a.at), off(op.b.at), off(op.y.at), op.y.size);
            break;
          case 'concat': {
            const m = rk.view(), { a, b, y } = op;
            for (let r = 0; r < y.rows; r++) {
              const yr = word(y.at) + r * y.cols;
              m.copyWithin(yr, word(a.at) + r * a.cols, word(a.at) + (r + 1) * a.cols);
              m.copyWithin(yr + a.cols, word(b.at) + r * b.cols, word(b.at) + (r + 1) * b.cols);
            }
            break;
          }
          case 'mse': {
            // mseLoss(): the mean of squared differences in float64, stored as float32.
            const m = rk.view(), p = word(op.pred.at), q = word(op.target.at), n = op.pred.size;
            let s = 0;
            for (let i = 0; i < n; i++) { const d = m[p + i]! - m[q + i]!; s += d * d; }
            value = Math.fround(s / n);
            break;
          }
        }
      }
      ready = true;
      return value;
    },
    backward() {
      runBackward();
      const m = rk.view();
      params.forEach(({ p, slot }, i) => {
        const g = grads[i];
        if (!g) return;
        (g.data as Float32Array).set(m.subarray(word(slot.grad), word(slot.grad) + slot.size));
        p.grad = g;
      });
    },
    update: resident ? residentUpdate() : null,
    dispose() {
      if (disposed) return;
      disposed = true;
      rk.freeBlock(block);
    },
  };

  function residentUpdate(): ResidentUpdate {
    const f64 = (at: number, len: number): Float64Array => new Float64Array(rk.view().buffer, at, len);
    const param = (k: number): Slot => {
      const e = params[k];
      if (!e) throw new Error(`train plan: no parameter ${k}`);
      return e.slot;
    };
    /** Parameter k's elements in one of the float64 regions. */
    const region = (base: number, k: number): Float64Array => {
      const s = param(k);
      return f64(off(base) + 8 * (s.at - pStart), s.size);
    };
    const write = (base: number, k: number, src: ArrayLike<number>): void => {
      const s = param(k);
      if (src.length !== s.size) throw new Error(`train plan: parameter ${k} has ${s.size} values, got ${src.length}`);
      region(base, k).set(src);
    };
    const live = (): void => { if (disposed) throw new Error('train plan: disposed'); };
    return {
      backward() {
        runBackward();
        // colSum may write one column past an odd-sized bias gradient: the padding stays zero.
        const m = rk.view();
        for (const { slot } of params) m.fill(0, word(slot.grad) + slot.size, word(slot.grad) + Math.ceil(slot.size / FLOAT_ALIGN) * FLOAT_ALIGN);
      },
      clipGradNorm(maxNorm) {
        live();
        checkMaxNorm(maxNorm);
        let sq = 0;
        for (const { slot } of params) sq = rk.sumSq(off(slot.grad), slot.size, sq);
        const { total, scale } = clipScale(sq, maxNorm);
        if (scale !== null) rk.scale(off(gStart), W, scale);
        return total;
      },
      adam(h) {
        live();
        rk.adam(off(pStart), off(gStart), off(mW), off(vW), W, h);
      },
      ema(decay) {
        live();
        rk.ema(off(sW), off(pStart), W, decay);
      },
      copyParamsOut() {
        live();
        const m = rk.view();
        for (const { p, slot } of params) (p.data as Float32Array).set(m.subarray(word(slot.at), word(slot.at) + slot.size));
      },
      readMoments: (k) => { live(); return { m: region(mW, k).slice(), v: region(vW, k).slice() }; },
      writeMoments: (k, m, v) => { live(); write(mW, k, m); write(vW, k, v); },
      readShadow: (k) => { live(); return region(sW, k).slice(); },
      writeShadow: (k, sh) => { live(); write(sW, k, sh); },
    };
  }

  function runBackward(): void {
    if (disposed) throw new Error('train plan: disposed');
    if (!ready) throw new Error('train plan: backward before forward');
    ready = false;
    rk.view()[word(lossSlot.grad)] = 1; // backward()'s seed
    for (let k = ops.length - 1; k >= 0; k--) {
      const op = at(ops, k, 'ops');
      const [c0, c1, c2] = op.into;
      switch (op.kind) {
        case 'mse': {
          const m = rk.view(), p = word(op.pred.at), q = word(op.target.at), n = op.pred.size;
          const c = (2 * m[word(lossSlot.grad)]!) / n;
          if (c0) {
            const o = word(dst(c0));
            for (let i = 0; i < n; i++) m[o + i] = c * (m[p + i]! - m[q + i]!);
            settle(c0);
          }
          if (c1) throw new Error('train plan: the target needs no gradient');
          break;
        }
        case 'linear': {
          const { x, w, b, y } = op, rows = x.rows, nI = w.cols, nO = w.rows;
          if (c0) {
            rk.gemm(false, false, rows, nI, nO, off(y.grad), off(w.at), off(dst(c0)), 1, 0);
            settle(c0);
          }
          if (c1) {
            rk.gemm(true, false, nO, nI, rows, off(y.grad), off(x.at), off(dst(c1)), 1, 0);
            settle(c1);
          }
          if (c2 && b) {
            rk.colSum(off(y.grad), rows, nO, off(dst(c2))); // sumTo(g, [nOut])
            settle(c2);
          }
          break;
        }
        case 'gelu':
          if (c0) {
            rk.unaryGrad('gelu', off(op.x.at), off(op.y.at), off(op.y.grad), off(dst(c0)), op.x.size);
            settle(c0);
          }
          break;
        case 'add': {
          for (const c of [c0, c1]) {
            if (!c) continue;
            const g = word(op.y.grad);
            if (c.first) rk.view().copyWithin(word(c.slot.grad), g, g + op.y.size);
            else rk.add(off(c.slot.grad), off(op.y.grad), off(c.slot.grad), op.y.size);
          }
          break;
        }
        case 'concat': {
          const { a, y } = op;
          [c0, c1].forEach((c, part) => {
            if (!c) return;
            const m = rk.view(), s = c.slot, o = word(dst(c)), col = part === 0 ? 0 : a.cols;
            for (let r = 0; r < y.rows; r++) m.copyWithin(o + r * s.cols, word(y.grad) + r * y.cols + col, word(y.grad) + r * y.cols + col + s.cols);
            settle(c);
          });
          break;
        }
      }
    }
  }
}
