// Autograd overhead on the diffusion-MLP shape: forward + backward of a 3-layer GELU MLP
// (20→256→256→20, batch 128, float32), parameters' grads reset each step as an optimizer would.
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { randn, Tensor } from '../src/tensor/index.js';
import { linear, gelu, mseLoss, backward } from '../src/autograd/index.js';

export function mlpStep(dims: readonly number[], batch: number, seed = 1): () => number {
  const rng = new Rng(seed);
  const params: Tensor[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    params.push(randn([dims[l + 1]!, dims[l]!], rng, 'float32', 0, 1 / Math.sqrt(dims[l]!)).requireGrad());
    params.push(randn([dims[l + 1]!], rng, 'float32', 0, 0.1).requireGrad());
  }
  const x = randn([batch, dims[0]!], rng), y = randn([batch, dims[dims.length - 1]!], rng);
  const layers = dims.length - 1;
  return () => {
    let h = x;
    for (let l = 0; l < layers; l++) {
      h = linear(h, params[2 * l]!, params[2 * l + 1]!);
      if (l + 1 < layers) h = gelu(h);
    }
    const loss = mseLoss(h, y);
    for (const p of params) p.grad = null;
    backward(loss);
    return loss.item();
  };
}

export default function cases(o: BenchOptions): BenchCase[] {
  const dims = [20, 256, 256, 20], batch = 128;
  let flops = 0;
  for (let l = 0; l + 1 < dims.length; l++) flops += 3 * 2 * batch * dims[l]! * dims[l + 1]!; // 1 GEMM forward, 2 backward
  let step: () => number = () => 0;
  return [{
    group: 'train', impl: 'spindiff-js', name: 'autograd MLP 20-256-256-20 fwd+bwd', shape: `batch=${batch}`, flops,
    repeats: o.quick ? 3 : 7,
    setup: () => { step = mlpStep(dims, batch); },
    fn: () => step(),
  }];
}
