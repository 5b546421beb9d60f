import type { Rng } from '../random/index.js';
import type { Tensor } from '../tensor/index.js';
import { relu } from '../autograd/index.js';
import { Module, Linear } from '../nn/index.js';
import { at } from '../util/checked.js';

/** Linear layers of the given widths with ReLU between them and none after the last (VAE, GAN). */
export class MLP extends Module {
  layers: Linear[];
  constructor(widths: number[], rng: Rng) {
    super();
    this.layers = [];
    for (const [k, out] of widths.slice(1).entries()) this.layers.push(new Linear(at(widths, k, 'MLP widths'), out, rng));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((l, k) => {
      h = l.forward(h);
      if (k + 1 < this.layers.length) h = relu(h);
    });
    return h;
  }
}
