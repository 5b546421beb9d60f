/**
 * The noise network as a forward plan (tensor/backend/plan.ts) for sampling: every Linear
 * becomes one fused op (GEMM + bias + GELU epilogue), concatenations become adjacent column
 * regions, and the time path — gelu(t_emb(t)) through each block's temb_proj — is a per-step
 * vector folded into that block's mlp1 bias (all rows of a sampler call share one step t).
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

export interface NoisePlan {
  plan: Plan;
  /** For step t: the values of each per-step vector (index → values). */
  stepVectors(t: number): Map<number, Float32Array>;
}

/** Compile `net` (its current weights, copied) into a plan: input x [B, n] → ε̂ [B, n]. */
export function noisePlan(net: NoiseMLP): NoisePlan {
  const { widths, residual } = net.config;
  const L = widths.length;
  const w0 = widths[0]!;
  const buffers: number[] = [];
  const weights: Plan['weights'] = [];
  const vectors: Float32Array[] = [];
  const ops: PlanOp[] = [];
  const buffer = (width: number): number => buffers.push(width) - 1;
  const region = (buf: number, col: number, width: number): PlanRegion => ({ buf, col, width });
  const whole = (buf: number): PlanRegion => region(buf, 0, buffers[buf]!);
  const weightOf = (l: Linear): number => weights.push({ rows: l.outFeatures, cols: l.inFeatures, data: Float32Array.from(l.weight.data) }) - 1;
  const biasOf = (l: Linear): number | null => (l.bias ? vectors.push(Float32Array.from(l.bias.data)) - 1 : null);

  const input = buffer(net.mlp_in.inFeatures); // n, or n·inputChannels
  const fin = buffer(2 * w0); // [h | r], the input of mlp_out
  const gr = buffer(w0); // gelu(r)
  const maxOut = Math.max(...[...net.downs, net.mid, ...net.ups].map((b) => b.outHidden));
  const scratch = buffer(maxOut);
  const output = buffer(net.mlp_out.outFeatures); // n, or n·outputChannels
  // Up block u reads concat([h, skip]) as values and as activations: two buffers each.
  const upV = net.ups.map((b) => buffer(b.inHidden));
  const upG = net.ups.map((b) => buffer(b.inHidden));

  /** A block's per-step vector: mlp1.bias + temb_proj(gelu(temb)), filled by stepVectors. */
  const stepIndex: { block: ResNetBlock; index: number }[] = [];
  const block = (b: ResNetBlock, x: PlanRegion, gx: PlanRegion, y: PlanRegion, gy: PlanRegion | null): void => {
    const index = vectors.push(new Float32Array(b.outHidden)) - 1;
    stepIndex.push({ block: b, index });
    const H = region(scratch, 0, b.outHidden);
    ops.push({ kind: 'linear', x: gx, weight: weightOf(b.mlp1), bias: index, out: H, accumulate: false, gelu: 'inplace' });
    if (residual) {
      if (b.conv_shortcut) ops.push({ kind: 'linear', x, weight: weightOf(b.conv_shortcut), bias: biasOf(b.conv_shortcut), out: y, accumulate: false, gelu: null });
      else ops.push({ kind: 'copy', from: x, to: y });
    }
    ops.push({ kind: 'linear', x: H, weight: weightOf(b.mlp2), bias: biasOf(b.mlp2), out: y, accumulate: residual, gelu: gy });
  };

  // mlp_in: r into the right half of fin, gelu(r) for the first block.
  const r = region(fin, w0, w0);
  ops.push({ kind: 'linear', x: whole(input), weight: weightOf(net.mlp_in), bias: biasOf(net.mlp_in), out: r, accumulate: false, gelu: whole(gr) });
  // Skip i (output of down i) is the right part of up block L-1-i's input.
  const skip = (i: number): [PlanRegion, PlanRegion] => {
    const u = L - 1 - i, w = net.downs[i]!.outHidden, col = buffers[upV[u]!]! - w;
    return [region(upV[u]!, col, w), region(upG[u]!, col, w)];
  };
  let x = r, gx = whole(gr);
  net.downs.forEach((b, i) => {
    const [y, gy] = skip(i);
    block(b, x, gx, y, gy);
    [x, gx] = [y, gy];
  });
  // mid and ups write h into the left part of the next up's input; the last up into fin.
  const left = (u: number, w: number): [PlanRegion, PlanRegion | null] =>
    u < L ? [region(upV[u]!, 0, w), region(upG[u]!, 0, w)] : [region(fin, 0, w), null];
  {
    const [y, gy] = left(0, net.mid.outHidden);
    block(net.mid, x, gx, y, gy);
  }
  net.ups.forEach((b, u) => {
    const [y, gy] = left(u + 1, b.outHidden);
    block(b, whole(upV[u]!), whole(upG[u]!), y, gy);
  });
  ops.push({ kind: 'linear', x: whole(fin), weight: weightOf(net.mlp_out), bias: biasOf(net.mlp_out), out: whole(output), accumulate: false, gelu: null });

  const plan: Plan = { buffers, weights, vectors, ops, input: whole(input), output: whole(output) };
  // The time path, copied now like the rest (the plan is a snapshot of the network): t_emb's
  // layers after the sinusoidal table, and each block's temb_proj and mlp1 bias.
  const pos = net.t_emb.at(0);
  if (!(pos instanceof SinusoidalTimeEmbedding)) throw new Error('noisePlan: t_emb must start with the sinusoidal embedding');
  const tembLayers = Array.from({ length: net.t_emb.length - 1 }, (_, i) => {
    const m = net.t_emb.at(i + 1);
    if (m instanceof GELU) return null;
    if (m instanceof Linear) return linearSnapshot(m);
    throw new Error('noisePlan: t_emb may hold only Linear and GELU layers after the table');
  });
  const timePath = stepIndex.map(({ block: b, index }) => ({ index, proj: linearSnapshot(b.temb_proj), mlp1Bias: b.mlp1.bias?.data.slice() ?? null }));
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
    apply(x) {
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
