/**
 * The paper's noise network: the MLP "U-Net" of the thesis appendix, with PyTorch's parameter
 * names (t_emb.1.weight, mlp_in.weight, downs.0.mlp1.weight, downs.0.temb_proj.weight,
 * downs.0.conv_shortcut.weight, mid.…, ups.…, mlp_out.…), so a state dict loads in PyTorch.
 *
 *   t_emb = SinusoidalPosEmb(timeDim) → Linear(timeDim, w1) → GELU → Linear(w1, w1)
 *   x → mlp_in (n → w0) = r; downs (skips saved); mid; ups (concat with the saved skip);
 *   concat with r → mlp_out (2·w0 → n)
 *   ResNetBlock(x, temb): h = mlp2(gelu(mlp1(gelu(x)) + temb_proj(gelu(temb)))); x' = shortcut(x) + h
 *
 * Widths generalise the thesis's (w0, w1, w2) = (128, 256, 512) to any list w0..w_{L-1}, L ≥ 2:
 * downs w_i → w_{i+1} then w_{L-1} → w_{L-1}; mid w_{L-1} → w_{L-1}; ups mirrored. The thesis
 * embeds t with SinusoidalPosEmb(n_steps), i.e. timeDim = T; smaller timeDim is an option.
 * `residual: false` drops the shortcut (x' = h) and the conv_shortcut layers.
 *
 * The dataflow between the layers is written once, in `NoiseMLP.wire` (and inside a block in
 * `ResNetBlock.wire`), over an abstract value type: `forwardEmb` runs it on autograd tensors and
 * `noisePlan` (plan.ts) traces it for plan buffers, so a new layer or a changed connection is
 * edited here only.
 */
import { at, last } from '../util/checked.js';
import { UsageError } from '../util/errors.js';
import type { Rng } from '../random/index.js';
import { Tensor, fromStorage } from '../tensor/index.js';
import { add, concat, gelu, gatherRows, noGrad } from '../autograd/index.js';
import { GELU, Linear, Module, Sequential, SinusoidalTimeEmbedding } from '../nn/index.js';

export interface NetworkConfig {
  /** Number of spins (input and output width). */
  n: number;
  /** Encoder widths w0, w1, …; the thesis uses [128, 256, 512] ([200, 400, 600] for n = 60). */
  widths: number[];
  /** Dimension of the sinusoidal time embedding (thesis: n_steps = T = 1000). */
  timeDim: number;
  /** Number of diffusion steps T the embedding table covers. */
  T: number;
  /** Residual shortcuts in the blocks (thesis: yes). */
  residual: boolean;
  /**
   * Input/output head for generators other than the analog-bits DDPM: features per spin in and
   * out (default 1 and 1: x_t → ε̂). mlp_in reads n·inputChannels values laid out channel by
   * channel ([c·n + i]); mlp_out writes n·outputChannels (e.g. 2 logits per spin).
   */
  inputChannels?: number;
  outputChannels?: number;
}

export class ResNetBlock extends Module {
  readonly inHidden: number;
  readonly outHidden: number;
  readonly residual: boolean;
  temb_proj: Linear;
  mlp1: Linear;
  mlp2: Linear;
  conv_shortcut: Linear | null;

  /** `rng` null: zero parameters, to be loaded (see NoiseMLP.fromStateDict). */
  constructor(inHidden: number, outHidden: number, temb: number, rng: Rng | null, residual = true) {
    super();
    this.inHidden = inHidden;
    this.outHidden = outHidden;
    this.residual = residual;
    // Same construction order as the thesis code, so a seeded init draws in the same order.
    this.temb_proj = new Linear(temb, outHidden, rng);
    this.mlp1 = new Linear(inHidden, outHidden, rng);
    this.mlp2 = new Linear(outHidden, outHidden, rng);
    this.conv_shortcut = residual && inHidden !== outHidden ? new Linear(inHidden, outHidden, rng) : null;
  }

  /** `actTemb` is gelu(temb), shared by all blocks: [B, temb] or [1, temb] (broadcast). */
  forward(x: Tensor, actTemb: Tensor): Tensor {
    return this.wire<Tensor>(x, {
      gelu,
      linear: (l, v) => l.forward(v),
      addTime: (proj, h) => add(h, proj.forward(actTemb)),
      add,
    });
  }

  /** The block's dataflow (the one definition: `forward` runs it on tensors, noisePlan traces it). */
  wire<V>(x: V, w: BlockWiring<V>): V {
    let h = w.linear(this.mlp1, w.gelu(x));
    h = w.addTime(this.temb_proj, h);
    h = w.linear(this.mlp2, w.gelu(h));
    if (!this.residual) return h;
    return w.add(this.conv_shortcut ? w.linear(this.conv_shortcut, x) : x, h);
  }
}

/** The operations inside a ResNetBlock. */
export interface BlockWiring<V> {
  gelu(x: V): V;
  linear(layer: Linear, x: V): V;
  /** h + proj(gelu(temb)): where the time path enters. */
  addTime(proj: Linear, h: V): V;
  add(a: V, b: V): V;
}

/**
 * The operations the network's dataflow is made of. A block reads gelu(temb) on its own (the time
 * path is the same for every block), so only the value path is wired.
 */
export interface NoiseWiring<V> {
  linear(layer: Linear, x: V): V;
  block(block: ResNetBlock, x: V): V;
  /** Columns of `a` then columns of `b`. */
  concat(a: V, b: V): V;
}

export class NoiseMLP extends Module {
  readonly config: NetworkConfig;
  t_emb: Sequential;
  mlp_in: Linear;
  downs: ResNetBlock[];
  mid: ResNetBlock;
  ups: ResNetBlock[];
  mlp_out: Linear;
  /** sin/cos embedding of every step 0..T-1, [T, timeDim]: a constant, gathered per batch. */
  #table: Tensor | null = null;

  /**
   * A network initialised from `rng` (PyTorch's default init, in the thesis code's order); with
   * `rng` null the parameters are zeros, to be loaded (use fromStateDict).
   */
  constructor(config: NetworkConfig, rng: Rng | null) {
    super();
    const { n, widths, timeDim, residual } = config;
    if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`NoiseMLP: n must be an integer ≥ 1, got ${n}`);
    if (widths.length < 2 || widths.some((w) => !(Number.isInteger(w) && w >= 1))) throw new UsageError(`NoiseMLP: widths must be ≥ 2 positive integers, got [${widths.join(', ')}]`);
    if (!(Number.isInteger(timeDim) && timeDim >= 4 && timeDim % 2 === 0)) throw new UsageError(`NoiseMLP: timeDim must be an even integer ≥ 4, got ${timeDim}`);
    const cin = config.inputChannels ?? 1, cout = config.outputChannels ?? 1;
    if (!(Number.isInteger(cin) && cin >= 1 && Number.isInteger(cout) && cout >= 1)) throw new UsageError(`NoiseMLP: inputChannels/outputChannels must be integers ≥ 1, got ${cin}, ${cout}`);
    this.config = { ...config, widths: widths.slice() };
    const L = widths.length;
    const w0 = at(widths, 0, 'widths');
    const h1 = at(widths, 1, 'widths');
    const wL = last(widths, 'widths');
    this.t_emb = new Sequential(new SinusoidalTimeEmbedding(timeDim), new Linear(timeDim, h1, rng), new GELU(), new Linear(h1, h1, rng));
    this.mlp_in = new Linear(n * cin, w0, rng);
    const dIn = widths.slice(0, L);
    const dOut = [...widths.slice(1, L), wL];
    this.downs = dIn.map((w, i) => new ResNetBlock(w, at(dOut, i, 'block widths out'), h1, rng, residual));
    this.mid = new ResNetBlock(wL, wL, h1, rng, residual);
    this.ups = [];
    let cur = wL;
    for (let j = L - 1; j >= 0; j--) {
      const din = at(dIn, j, 'block widths in');
      this.ups.push(new ResNetBlock(cur + at(dOut, j, 'block widths out'), din, h1, rng, residual));
      cur = din;
    }
    this.mlp_out = new Linear(2 * w0, n * cout, rng);
  }

  /** A network with the weights of `sd` (strict: every name, matching shapes), without drawing an init. */
  static fromStateDict(config: NetworkConfig, sd: Record<string, Tensor>): NoiseMLP {
    const net = new NoiseMLP(config, null);
    net.loadStateDict(sd);
    return net;
  }

  /** The sinusoidal table of all T steps, [T, timeDim] (computed once; do not modify). */
  timeTable(): Tensor {
    if (this.#table) return this.#table;
    const T = this.config.T;
    const steps = new Float32Array(T);
    for (let t = 0; t < T; t++) steps[t] = t;
    const pos = this.t_emb.at(0) as SinusoidalTimeEmbedding;
    const table = noGrad(() => pos.forward(fromStorage(steps, [T])));
    this.#table = table;
    return table;
  }

  /** t_emb for the given integer steps: [len, w1]. */
  timeEmbedding(steps: Int32Array): Tensor {
    for (let i = 0; i < steps.length; i++) {
      const t = steps[i]!;
      if (!(t >= 0 && t < this.config.T)) throw new UsageError(`NoiseMLP: step ${t} outside 0..${this.config.T - 1}`);
    }
    return this.embedRows(gatherRows(this.timeTable(), steps));
  }

  /** t_emb's layers after the sinusoidal table, on rows of that table ([len, timeDim] → [len, w1]). */
  embedRows(rows: Tensor): Tensor {
    let e = rows;
    for (let i = 1; i < this.t_emb.length; i++) e = this.t_emb.at(i).forward(e);
    return e;
  }

  /** ε̂(x, temb) with a precomputed embedding ([B, w1], or [1, w1] shared by the batch). */
  forwardEmb(x: Tensor, temb: Tensor): Tensor {
    const act = gelu(temb);
    return this.wire<Tensor>(x, {
      linear: (l, v) => l.forward(v),
      block: (b, v) => b.forward(v, act),
      concat: (a, b) => concat([a, b], 1),
    });
  }

  /** The network's dataflow from the input x to ε̂ (the one definition; see the file comment). */
  wire<V>(x: V, w: NoiseWiring<V>): V {
    let h = w.linear(this.mlp_in, x);
    const r = h;
    const skips: V[] = [];
    for (const b of this.downs) {
      h = w.block(b, h);
      skips.push(h);
    }
    h = w.block(this.mid, h);
    for (const b of this.ups) h = w.block(b, w.concat(h, skips.pop()!));
    return w.linear(this.mlp_out, w.concat(h, r));
  }

  /** ε̂(x, t) for x [B, n] and integer steps t [B] (as the PyTorch module's forward). */
  forward(x: Tensor, t: Int32Array): Tensor {
    return this.forwardEmb(x, this.timeEmbedding(t));
  }
}

export type PresetName = 'paper' | 'small' | 'tiny';

/** The preset of the commands and of augment when none is given. */
export const DEFAULT_PRESET: PresetName = 'small';

/**
 * Network presets. `paper`: the thesis widths (n ≥ 60 → 200-400-600, else 128-256-512) and
 * timeDim = T. `small` (the CPU default) and `tiny` were chosen by measured speed and quality
 * on n = 20 (see README, diffusion section).
 */
export function presetConfig(preset: PresetName, n: number, T = 1000): NetworkConfig {
  switch (preset) {
    case 'paper':
      return { n, widths: n >= 60 ? [200, 400, 600] : [128, 256, 512], timeDim: T, T, residual: true };
    case 'small':
      return { n, widths: [64, 128], timeDim: 32, T, residual: true };
    case 'tiny':
      return { n, widths: [32, 64], timeDim: 16, T, residual: true };
    default:
      throw new UsageError(`unknown network preset '${String(preset)}' (paper|small|tiny)`);
  }
}

/**
 * Parameters (Linear weights and biases) of `new NoiseMLP(c)`, counted without building it, so a
 * network too large to train is refused before it is allocated. The layers are the constructor's.
 */
export function parameterCount(c: NetworkConfig): number {
  const lin = (i: number, o: number) => i * o + o;
  const w = c.widths;
  const w0 = at(w, 0, 'widths');
  const t = at(w, 1, 'widths'); // the time-embedding width
  const wLast = last(w, 'widths');
  const block = (i: number, o: number) => lin(t, o) + lin(i, o) + lin(o, o) + (c.residual && i !== o ? lin(i, o) : 0);
  let total = lin(c.timeDim, t) + lin(t, t) + lin(c.n * (c.inputChannels ?? 1), w0) + lin(2 * w0, c.n * (c.outputChannels ?? 1));
  const dOut = [...w.slice(1), wLast]; // output width of each down block
  for (const [i, wi] of w.entries()) total += block(wi, at(dOut, i, 'down-block widths'));
  total += block(wLast, wLast);
  let cur = wLast;
  for (let j = w.length - 1; j >= 0; j--) {
    const wj = at(w, j, 'widths');
    total += block(cur + at(dOut, j, 'down-block widths'), wj);
    cur = wj;
  }
  return total;
}
