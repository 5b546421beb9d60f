// The thesis appendix's noise network (ResNetBlock, MLP), written with spindiff's nn the way the
// diffusion area writes it, at any widths. Shared by the nn tests (not a test file itself).
import { GELU, Linear, Module, Sequential, SinusoidalTimeEmbedding } from '../../src/nn/index.js';
import { add, concat, gelu } from '../../src/autograd/index.js';
import { Rng } from '../../src/random/index.js';
import { Tensor } from '../../src/tensor/index.js';

/** The thesis appendix's ResNetBlock, written the way the diffusion area will write it. */
export class ResNetBlock extends Module {
  readonly inHidden: number;
  readonly outHidden: number;
  temb_proj: Linear;
  mlp1: Linear;
  mlp2: Linear;
  conv_shortcut: Linear | null;
  constructor(inHidden: number, outHidden: number, temb: number, rng: Rng) {
    super();
    this.inHidden = inHidden;
    this.outHidden = outHidden;
    this.temb_proj = new Linear(temb, outHidden, rng);
    this.mlp1 = new Linear(inHidden, outHidden, rng);
    this.mlp2 = new Linear(outHidden, outHidden, rng);
    this.conv_shortcut = inHidden !== outHidden ? new Linear(inHidden, outHidden, rng) : null;
  }
  forward(x: Tensor, temb: Tensor): Tensor {
    let h = this.mlp1.forward(gelu(x));
    h = add(h, this.temb_proj.forward(gelu(temb)));
    h = this.mlp2.forward(gelu(h));
    return add(this.conv_shortcut ? this.conv_shortcut.forward(x) : x, h);
  }
}

/** A scaled-down thesis MLP (same structure, field names and forward). */
export class Net extends Module {
  t_emb: Sequential;
  mlp_in: Linear;
  downs: ResNetBlock[];
  mid: ResNetBlock;
  ups: ResNetBlock[];
  mlp_out: Linear;
  constructor(nVar: number, rng: Rng, d = 4, h1 = 6, h2 = 8, steps = 10) {
    super();
    this.t_emb = new Sequential(new SinusoidalTimeEmbedding(steps), new Linear(steps, h1, rng), new GELU(), new Linear(h1, h1, rng));
    this.mlp_in = new Linear(nVar, d, rng);
    this.downs = [new ResNetBlock(d, h1, h1, rng), new ResNetBlock(h1, h2, h1, rng), new ResNetBlock(h2, h2, h1, rng)];
    this.mid = new ResNetBlock(h2, h2, h1, rng);
    this.ups = [new ResNetBlock(2 * h2, h2, h1, rng), new ResNetBlock(2 * h2, h1, h1, rng), new ResNetBlock(2 * h1, d, h1, rng)];
    this.mlp_out = new Linear(2 * d, nVar, rng);
  }
  forward(x: Tensor, t: Tensor): Tensor {
    const temb = this.t_emb.forward(t);
    let h = this.mlp_in.forward(x);
    const r = h;
    const skips: Tensor[] = [];
    for (const b of this.downs) {
      h = b.forward(h, temb);
      skips.push(h);
    }
    h = this.mid.forward(h, temb);
    for (const b of this.ups) h = b.forward(concat([h, skips.pop()!], 1), temb);
    return this.mlp_out.forward(concat([h, r], 1));
  }
}

