import type { Rng } from '../random/index.js';
import type { Tensor } from '../tensor/index.js';
import { relu } from '../autograd/index.js';
import { Module, Linear } from '../nn/index.js';

/** Linear layers of the given widths with ReLU between them and none after the last (VAE, GAN). */
export class MLP extends Module {
  layers: Linear[];
  constructor(widths: number[], rng: Rng) {
    super();
    this.layers = [];
    for (let k = 0; k + 1 < widths.length; k++) this.layers.push(new Linear(widths[k]!, widths[k + 1]!, rng));
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
