/**
 * The noise network as a forward plan (tensor/backend/plan.ts) for sampling: every Linear
 * becomes one fused op (GEMM + bias + GELU epilogue), concatenations become adjacent column
 * regions, and the time path — gelu(t_emb(t)) through each block's temb_proj — is a per-step
 * vector folded into that block's mlp1 bias (all rows of a sampler call share one step t).
 * The connections are not restated here: the network's own `wire` and each block's `wire`
 * (network.ts) are traced on symbolic values; this file only lays out buffers, fuses each kind
 * of layer, and checks that a block's traced wiring is the form it fuses (else it refuses).
 *
 * Block (x → y), with x's activation gelu(x) already stored by x's producer:
 *   H  = gelu(gelu(x)·W1ᵀ + b1 + temb_proj(gelu(temb)))     one op, GELU in place
 *   y  = x·Wsᵀ + bs  (or a copy of x)                          shortcut
 *   y += H·W2ᵀ + b2, and gelu(y) stored for the consumer       one op
 */
import type { Plan, PlanOp, PlanRegion } from '../tensor/backend/plan.js';
import { GELU, Linear, SinusoidalTimeEmbedding } from '../nn/index.js';
import type { NoiseMLP, ResNetBlock } from './network.js';
import { noGrad } from '../autograd/index.js';
import { geluScalar } from '../tensor/index.js';
import { at } from '../util/checked.js';
import { floatArray } from './samplers.js';

export interface NoisePlan {
  plan: Plan;
  /** For step t: the values of each per-step vector (index → values). */
  stepVectors(t: number): Map<number, Float32Array>;
}

/** A value of the traced dataflow: its width, and how plan ops reach it. */
interface Sym { width: number }
type Step =
  | { kind: 'linear'; layer: Linear; x: Sym; y: Sym }
  | { kind: 'block'; block: BlockForm; x: Sym; y: Sym }
  | { kind: 'concat'; a: Sym; b: Sym; y: Sym };

/**
 * The fused block's layers, read from the block's traced wiring (ResNetBlock.wire):
 * y = [shortcut(x) or x +] outer(gelu(inner(gelu(x)) + proj(gelu(temb)))).
 */
interface BlockForm {
  width: number;
  inner: Linear;
  proj: Linear;
  outer: Linear;
  /** A Linear, 'identity' (y = x + …), or null (no residual). */
  shortcut: Linear | 'identity' | null;
}

/** A symbolic value inside a block: the expression that makes it from the block input. */
type BSym =
  | { op: 'x' }
  | { op: 'gelu'; of: BSym }
  | { op: 'linear'; layer: Linear; of: BSym }
  | { op: 'time'; proj: Linear; of: BSym }
  | { op: 'add'; a: BSym; b: BSym };

function blockForm(block: ResNetBlock): BlockForm {
  const x: BSym = { op: 'x' };
  const y = block.wire<BSym>(x, {
    gelu: (of) => ({ op: 'gelu', of }),
    linear: (layer, of) => ({ op: 'linear', layer, of }),
    addTime: (proj, of) => ({ op: 'time', proj, of }),
    add: (a, b) => ({ op: 'add', a, b }),
  });
  const refuse = (): never => {
    throw new Error('noisePlan: a ResNetBlock wiring other than [shortcut(x) +] linear(gelu(linear(gelu(x)) + time)) has no fused form');
  };
  let main = y, shortcut: BlockForm['shortcut'] = null;
  if (y.op === 'add') {
    main = y.b;
    if (y.a === x) shortcut = 'identity';
    else if (y.a.op === 'linear' && y.a.of === x) shortcut = y.a.layer;
    else refuse();
  }
  if (main.op !== 'linear' || main.of.op !== 'gelu') return refuse();
  const t = main.of.of;
  if (t.op !== 'time' || t.of.op !== 'linear' || t.of.of.op !== 'gelu' || t.of.of.of !== x) return refuse();
  return { width: main.layer.outFeatures, inner: t.of.layer, proj: t.proj, outer: main.layer, shortcut };
}

/** The network's own dataflow (NoiseMLP.wire), recorded on symbolic values. */
function trace(net: NoiseMLP): { input: Sym; output: Sym; steps: Step[] } {
  const steps: Step[] = [];
  const check = (what: string, x: Sym, width: number): void => {
    if (x.width !== width) throw new Error(`noisePlan: ${what} reads ${width} columns but its input has ${x.width}`);
  };
  const input: Sym = { width: net.mlp_in.inFeatures }; // n, or n·inputChannels
  const output = net.wire<Sym>(input, {
    linear(layer, x) {
      check('a linear layer', x, layer.inFeatures);
      const y = { width: layer.outFeatures };
      steps.push({ kind: 'linear', layer, x, y });
      return y;
    },
    block(block, x) {
      check('a block', x, block.inHidden);
      const y = { width: block.outHidden };
      steps.push({ kind: 'block', block: blockForm(block), x, y });
      return y;
    },
    concat(a, b) {
      const y = { width: a.width + b.width };
      steps.push({ kind: 'concat', a, b, y });
      return y;
    },
  });
  return { input, output, steps };
}

/** Compile `net` (its current weights, copied) into a plan: input x [B, n] → ε̂ [B, n]. */
export function noisePlan(net: NoiseMLP): NoisePlan {
  const { input, output, steps } = trace(net);
  const buffers: number[] = [];
  const weights: Plan['weights'] = [];
  const vectors: Float32Array[] = [];
  const ops: PlanOp[] = [];
  const buffer = (width: number): number => buffers.push(width) - 1;
  const region = (buf: number, col: number, width: number): PlanRegion => ({ buf, col, width });
  const whole = (buf: number): PlanRegion => region(buf, 0, at(buffers, buf, 'plan buffers'));
  const weightOf = (l: Linear): number => weights.push({ rows: l.outFeatures, cols: l.inFeatures, data: Float32Array.from(l.weight.data) }) - 1;
  const biasOf = (l: Linear): number | null => (l.bias ? vectors.push(Float32Array.from(l.bias.data)) - 1 : null);

  // Layout. A block reads its input x and gelu(x), so a value that feeds a block also has an
  // activation region, written by its producer's epilogue. A concatenation is one buffer whose
  // parts are written in place by their producers (and a mirror buffer for the activations when
  // the concatenation feeds a block): no copies.
  const home = new Map<Sym, PlanRegion>();
  const act = new Map<Sym, PlanRegion>();
  const feedsBlock = new Set<Sym>();
  for (const st of steps) if (st.kind === 'block') feedsBlock.add(st.x);
  const place = (v: Sym): PlanRegion => {
    let r = home.get(v);
    if (!r) home.set(v, (r = whole(buffer(v.width))));
    return r;
  };
  home.set(input, whole(buffer(input.width)));
  for (let i = steps.length - 1; i >= 0; i--) {
    const st = at(steps, i, 'plan steps');
    if (st.kind !== 'concat') continue;
    if (st.a === st.b || home.has(st.a) || home.has(st.b)) throw new Error('noisePlan: a value used by two concatenations (or the input concatenated) needs a copy, which the layout does not make');
    const y = place(st.y);
    const gy = feedsBlock.has(st.y) ? act.get(st.y) ?? whole(buffer(st.y.width)) : null;
    if (gy) act.set(st.y, gy);
    home.set(st.a, region(y.buf, y.col, st.a.width));
    home.set(st.b, region(y.buf, y.col + st.a.width, st.b.width));
    if (gy) {
      act.set(st.a, region(gy.buf, gy.col, st.a.width));
      act.set(st.b, region(gy.buf, gy.col + st.a.width, st.b.width));
    }
  }
  const blocks = steps.flatMap((st) => (st.kind === 'block' ? [st.block] : []));
  const scratch = buffer(Math.max(...blocks.map((b) => b.width)));
  for (const st of steps) {
    if (st.kind === 'concat') continue;
    place(st.y);
    if (feedsBlock.has(st.y) && !act.has(st.y)) act.set(st.y, whole(buffer(st.y.width)));
  }
  const actOf = (v: Sym): PlanRegion => {
    const g = act.get(v);
    if (!g) throw new Error('noisePlan: a block reads a value no op produces its activation for (the input?)');
    return g;
  };

  /** A block's per-step vector: inner.bias + proj(gelu(temb)), filled by stepVectors. */
  const stepIndex: { block: BlockForm; index: number }[] = [];
  const block = (b: BlockForm, x: PlanRegion, gx: PlanRegion, y: PlanRegion, gy: PlanRegion | null): void => {
    const index = vectors.push(new Float32Array(b.width)) - 1;
    stepIndex.push({ block: b, index });
    const H = region(scratch, 0, b.width);
    ops.push({ kind: 'linear', x: gx, weight: weightOf(b.inner), bias: index, out: H, accumulate: false, gelu: 'inplace' });
    if (b.shortcut instanceof Linear) ops.push({ kind: 'linear', x, weight: weightOf(b.shortcut), bias: biasOf(b.shortcut), out: y, accumulate: false, gelu: null });
    else if (b.shortcut === 'identity') ops.push({ kind: 'copy', from: x, to: y });
    ops.push({ kind: 'linear', x: H, weight: weightOf(b.outer), bias: biasOf(b.outer), out: y, accumulate: b.shortcut !== null, gelu: gy });
  };
  for (const st of steps) {
    if (st.kind === 'linear') ops.push({ kind: 'linear', x: home.get(st.x)!, weight: weightOf(st.layer), bias: biasOf(st.layer), out: home.get(st.y)!, accumulate: false, gelu: act.get(st.y) ?? null });
    else if (st.kind === 'block') block(st.block, home.get(st.x)!, actOf(st.x), home.get(st.y)!, act.get(st.y) ?? null);
  }

  const plan: Plan = { buffers, weights, vectors, ops, input: home.get(input)!, output: home.get(output)! };
  // The time path, copied now like the rest (the plan is a snapshot of the network): t_emb's
  // layers after the sinusoidal table, and each block's time projection and inner bias.
  const pos = net.t_emb.at(0);
  if (!(pos instanceof SinusoidalTimeEmbedding)) throw new Error('noisePlan: t_emb must start with the sinusoidal embedding');
  const tembLayers = Array.from({ length: net.t_emb.length - 1 }, (_, i) => {
    const m = net.t_emb.at(i + 1);
    if (m instanceof GELU) return null;
    if (m instanceof Linear) return linearSnapshot(m);
    throw new Error('noisePlan: t_emb may hold only Linear and GELU layers after the table');
  });
  const timePath = stepIndex.map(({ block: b, index }) => ({ index, proj: linearSnapshot(b.proj), mlp1Bias: b.inner.bias?.data.slice() ?? null }));
  return {
    plan,
    stepVectors(t: number): Map<number, Float32Array> {
      if (!(Number.isInteger(t) && t >= 0 && t < net.config.T)) throw new Error(`noisePlan: step ${t} outside 0..${net.config.T - 1}`);
      // In float64 from the float32 weights, rounded once at the end.
      let e: ArrayLike<number> = noGrad(() => pos.forward([t])).data;
      for (const l of tembLayers) e = l ? l.apply(e) : Array.from(e, geluScalar);
      const act = Array.from(e, geluScalar);
      const out = new Map<number, Float32Array>();
      for (const p of timePath) {
        const v = p.proj.apply(act);
        out.set(p.index, Float32Array.from(v, (x, j) => x + (p.mlp1Bias?.[j] ?? 0)));
      }
      return out;
    },
  };
}

/** A copy of a Linear layer's weights, applied in float64: y = W·x + b. */
function linearSnapshot(l: Linear): { apply(x: ArrayLike<number>): Float64Array } {
  const w = l.weight.data.slice(), b = l.bias?.data.slice() ?? null, rows = l.outFeatures, cols = l.inFeatures;
  return {
    apply(input) {
      if (input.length !== cols) throw new RangeError(`noisePlan: ${input.length} inputs to a Linear of ${cols}`);
      const x = floatArray(input);
      const y = new Float64Array(rows);
      for (let j = 0; j < rows; j++) {
        let s = b ? b[j]! : 0;
        for (let c = 0; c < cols; c++) s += w[j * cols + c]! * x[c]!;
        y[j] = s;
      }
      return y;
    },
  };
}
