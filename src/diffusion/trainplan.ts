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
 * a float32 sum, GELU by the backend's rule (wasm kernel or JS formula by size; where the wasm
 * kernel runs, the forward stores Φ(x) for the backward to reuse: ResidentKernels.keepsPhi), bias gradients
 * as float64 column sums, mseLoss in float64 — so losses and gradients are bit-identical to the
 * autograd path (test/diffusion/trainplan.test.ts). A graph with any other op is refused
 * (NoTrainPlan), as is one with a value off the minibatch's rows or a weight or bias that is
 * not a parameter used only there (see stepPrograms).
 * The calls go to the backend as three programs (ResidentKernels.program; stepPrograms below):
 * forward, and backward through the activations, run row by row — one job each on the threads
 * backend, in chunks of rows — and the parameters' gradients as independent pieces.
 *
 * The optimisation step can stay resident too (ResidentUpdate): the parameters come first in the
 * memory, in net.parameters() order, their gradients after them laid out alike, and Adam's
 * moments and the EMA shadow (float64) likewise, so clipGradNorm, Adam and EMA.update each run as
 * one kernel over the whole region (or a serial loop per parameter for the norm), and a step
 * copies in only the minibatch; the parameters are copied out when the trainer's network is read
 * (copyParamsOut), not by every step.
 */
import { Tensor, fromStorage } from '../tensor/index.js';
import type { ResidentKernels } from '../tensor/index.js';
import type { ResidentCall, ResidentProgram } from '../tensor/backend/types.js';
import type { AdamHyper } from '../tensor/backend/types.js';
import { mseLoss, needsGrad, topoOrder } from '../autograd/index.js';
import type { Node } from '../autograd/index.js';
import type { NoiseMLP } from './network.js';
import { checkMaxNorm, clipScale, clipSurelyIdle } from '../nn/index.js';
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
  /**
   * clipGradNorm(net.parameters(), maxNorm) on the resident gradients (the same bits); returns
   * whether it scaled them. Where an any-order sum of squares shows the norm well under maxNorm
   * (clipSurelyIdle), the serial in-order sum is skipped: nothing would have been scaled.
   */
  clipGradNorm(maxNorm: number): boolean;
  /**
   * Adam's plain update with these hyper-parameters (Adam.plainHyper) on the resident parameters,
   * gradients and moments; with `emaDecay`, then EMA.update(net) with that decay on the resident
   * float64 averages and the new parameters, in the same pass.
   */
  adam(h: AdamHyper, emaDecay?: number): void;
  /** Copy the resident parameters into the network's tensors (the trainer does when its network is read). */
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

/**
 * One gradient contribution: first (written into the gradient buffer) or later (computed into its
 * own buffer `tmp`, then added to it).
 */
type Into = { slot: Slot; first: boolean; tmp: number };

type Op =
  | { kind: 'linear'; x: Slot; w: Slot; b: Slot | null; y: Slot; into: (Into | null)[] }
  /** phi: the buffer of Φ(x) that the forward keeps for the backward (−1: none). */
  | { kind: 'gelu'; x: Slot; y: Slot; phi: number; into: (Into | null)[] }
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
        op = { kind: 'gelu', x: i0, y, phi: -1, into: [] };
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
  const lastOp = last(ops, 'ops');
  if (lastOp.kind !== 'mse') throw new NoTrainPlan('a graph that does not end in the loss');
  const mseOp: Extract<Op, { kind: 'mse' }> = lastOp;
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
      return { slot: s, first, tmp: -1 };
    });
  }
  // Gradients of the parameters first, laid out as the parameters; then the others'.
  for (const { slot } of params) if (reached.has(slot)) slot.grad = place(slot.size);
  for (const s of reached) if (s.grad < 0) s.grad = place(s.size);
  // A later contribution gets a buffer of its own (not one shared scratch): the backward program
  // runs in chunks of rows on several threads at once, each through every call.
  for (const op of ops) for (const c of op.into) if (c && !c.first) c.tmp = place(c.slot.size);
  // A GELU whose input takes a gradient keeps Φ(x) for its backward, where the kernels do.
  for (const op of ops) if (op.kind === 'gelu' && op.into[0] && rk.keepsPhi('gelu', op.x.size)) op.phi = place(op.x.size);
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

  /** Where a contribution is computed: its value's gradient buffer (first) or its own buffer. */
  const dst = (c: Into): number => (c.first ? c.slot.grad : c.tmp);
  let programs: Record<'forward' | 'backward' | 'paramGrads', ResidentProgram>;
  try {
    programs = stepPrograms();
  } catch (e) {
    rk.freeBlock(block);
    throw e;
  }

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
      programs.forward.run();
      // mseLoss(): the mean of squared differences in float64, stored as float32.
      const m = rk.view(), p = word(mseOp.pred.at), q = word(mseOp.target.at), n = mseOp.pred.size;
      let sum = 0;
      for (let i = 0; i < n; i++) { const d = m[p + i]! - m[q + i]!; sum += d * d; }
      const value = Math.fround(sum / n);
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
      for (const pr of Object.values(programs)) pr.free();
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
        // All W words: the gradients and their padding, which backward() zeroes (were it not zero,
        // its squares would only add to sqAny, never making clipSurelyIdle true; a non-finite one
        // makes it false, and the in-order sum over the gradients alone decides).
        if (clipSurelyIdle(rk.sumSqAny(off(gStart), W), W, maxNorm)) return false;
        const { scale } = clipScale(inOrderSumSq(), maxNorm);
        if (scale !== null) rk.scale(off(gStart), W, scale);
        return scale !== null;
      },
      adam(h, emaDecay) {
        live();
        rk.adam(off(pStart), off(gStart), off(mW), off(vW), W, h, emaDecay === undefined ? undefined : { s: off(sW), decay: emaDecay });
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

  /** clipGradNorm's sum of squares: one float64 running sum over the gradients in order. */
  function inOrderSumSq(): number {
    let sq = 0;
    for (const { slot } of params) sq = rk.sumSq(off(slot.grad), slot.size, sq);
    return sq;
  }

  function runBackward(): void {
    if (disposed) throw new Error('train plan: disposed');
    if (!ready) throw new Error('train plan: backward before forward');
    ready = false;
    rk.view()[word(lossSlot.grad)] = 1; // backward()'s seed
    // mseLoss's gradient, as its backward computes it: c·(pred − target), c = 2·seed/n in float64.
    const [c0, c1] = mseOp.into;
    if (c1) throw new Error('train plan: the target needs no gradient');
    if (c0) {
      const m = rk.view(), p = word(mseOp.pred.at), q = word(mseOp.target.at), n = mseOp.pred.size;
      const c = (2 * m[word(lossSlot.grad)]!) / n;
      const o = word(dst(c0));
      for (let i = 0; i < n; i++) m[o + i] = c * (m[p + i]! - m[q + i]!);
      if (!c0.first) rk.add(off(c0.slot.grad), off(c0.tmp), off(c0.slot.grad), c0.slot.size);
    }
    programs.backward.run();
    programs.paramGrads.run();
  }

  /**
   * The step as three resident programs (ResidentKernels.program), each the calls autograd's ops
   * make, in autograd's order: the forward pass up to the loss, and backward through the
   * activations — both row by row (row b of every value depends only on row b of the minibatch),
   * so a threads backend runs each as one job in chunks of rows instead of a job per call — then
   * the parameters' gradients, independent calls (x̃ᵀ·δ per weight, column sums per bias) that
   * read the finished activations and their gradients, split between threads.
   */
  function stepPrograms(): Record<'forward' | 'backward' | 'paramGrads', ResidentProgram> {
    const forward: ResidentCall[] = [], backward: ResidentCall[] = [], paramGrads: ResidentCall[] = [];
    const isParam = new Set(params.map((e) => e.slot));
    const onBatch = (...xs: Slot[]): void => {
      for (const x of xs) if (x.rows !== B) throw new NoTrainPlan(`a value of ${x.rows} rows in a step of ${B}`);
    };
    /** The batch's rows, `width` floats each, from src (row stride lds floats) into dst (ldd). */
    const copy = (src: number, lds: number, dst: number, ldd: number, width: number): ResidentCall => ({ kind: 'copy', src, lds, dst, ldd, width, rows: B });
    /** A later contribution's buffer added into the value's gradient. */
    const settle = (c: Into): void => {
      if (!c.first) backward.push({ kind: 'add', a: off(c.slot.grad), b: off(c.tmp), out: off(c.slot.grad), len: c.slot.size });
    };
    // Contributions per value: a parameter's gradient computed here (after the backward program)
    // must be its only one, else another contribution's add would run before it, not after.
    const uses = new Map<Slot, number>();
    for (const op of ops) for (const c of op.into) if (c) uses.set(c.slot, (uses.get(c.slot) ?? 0) + 1);
    /** A parameter's gradient: its only contribution (computed straight into its buffer). */
    const paramGrad = (c: Into): number => {
      if (!isParam.has(c.slot) || uses.get(c.slot) !== 1) throw new NoTrainPlan('a weight or bias that is not a parameter used once');
      return off(c.slot.grad);
    };
    for (const op of ops) {
      switch (op.kind) {
        case 'linear': {
          // linear(): one GEMM x·Wᵀ, the bias row added in float32 in its epilogue.
          const { x, w, b, y } = op;
          onBatch(x, y);
          forward.push({ kind: 'gemm', transA: false, transB: true, m: B, n: w.rows, k: w.cols, a: off(x.at), b: off(w.at), c: off(y.at), alpha: 1, beta: 0, bias: b ? off(b.at) : 0 });
          break;
        }
        case 'gelu': {
          onBatch(op.x);
          const call: ResidentCall = { kind: 'unary', op: 'gelu', x: off(op.x.at), out: off(op.y.at), len: op.x.size };
          forward.push(op.phi >= 0 ? { ...call, phi: off(op.phi) } : call);
          break;
        }
        case 'add': onBatch(op.a, op.y); forward.push({ kind: 'add', a: off(op.a.at), b: off(op.b.at), out: off(op.y.at), len: op.y.size }); break;
        case 'concat': {
          const { a, b, y } = op;
          onBatch(y);
          forward.push(copy(off(a.at), a.cols, off(y.at), y.cols, a.cols), copy(off(b.at), b.cols, off(y.at) + 4 * a.cols, y.cols, b.cols));
          break;
        }
        case 'mse': break; // in JS, between the programs
      }
    }
    for (let k = ops.length - 1; k >= 0; k--) {
      const op = at(ops, k, 'ops');
      const [c0, c1, c2] = op.into;
      switch (op.kind) {
        case 'mse': break;
        case 'linear': {
          const { x, w, b, y } = op, nI = w.cols, nO = w.rows;
          if (c0) {
            backward.push({ kind: 'gemm', transA: false, transB: false, m: B, n: nI, k: nO, a: off(y.grad), b: off(w.at), c: off(dst(c0)), alpha: 1, beta: 0, bias: 0 });
            settle(c0);
          }
          if (c1) paramGrads.push({ kind: 'gemm', transA: true, transB: false, m: nO, n: nI, k: B, a: off(y.grad), b: off(x.at), c: paramGrad(c1), alpha: 1, beta: 0, bias: 0 });
          if (c2 && b) paramGrads.push({ kind: 'colSum', x: off(y.grad), rows: B, n: nO, out: paramGrad(c2) }); // sumTo(g, [nOut])
          break;
        }
        case 'gelu':
          if (c0) {
            const call: ResidentCall = { kind: 'unaryGrad', op: 'gelu', x: off(op.x.at), y: off(op.y.at), g: off(op.y.grad), out: off(dst(c0)), len: op.x.size };
            backward.push(op.phi >= 0 ? { ...call, phi: off(op.phi) } : call);
            settle(c0);
          }
          break;
        case 'add':
          for (const c of [c0, c1]) {
            if (!c) continue;
            const cols = op.y.cols;
            if (c.first) backward.push(copy(off(op.y.grad), cols, off(c.slot.grad), cols, cols));
            else backward.push({ kind: 'add', a: off(c.slot.grad), b: off(op.y.grad), out: off(c.slot.grad), len: op.y.size });
          }
          break;
        case 'concat': {
          const { a, y } = op;
          [c0, c1].forEach((c, part) => {
            if (!c) return;
            backward.push(copy(off(y.grad) + 4 * (part === 0 ? 0 : a.cols), y.cols, off(dst(c)), c.slot.cols, c.slot.cols));
            settle(c);
          });
          break;
        }
      }
    }
    const built: ResidentProgram[] = [];
    try {
      for (const [calls, rows] of [[forward, B], [backward, B], [paramGrads, null]] as const) built.push(rk.program(calls, rows));
    } catch (e) {
      for (const pr of built) pr.free();
      throw e;
    }
    const [f, b, g] = built as [ResidentProgram, ResidentProgram, ResidentProgram];
    return { forward: f, backward: b, paramGrads: g };
  }
}
