// Foundation-core benchmarks. (1) Autograd on the diffusion-MLP shape: forward + backward of a
// 3-layer GELU MLP (20→256→256→20, batch 128, float32), grads reset each step as an optimizer
// would. (2) The same step and the plain-JS GEMM timed by this process's CPU time
// (process.cpuUsage) as well: on a shared, overloaded machine wall time mostly measures the queue,
// CPU time the work (contention for caches still inflates it). impl "spindiff-js-cputime".
import type { BenchCase, BenchOptions } from './types.js';
import { Rng } from '../src/random/index.js';
import { randn, Tensor, jsBackend } from '../src/tensor/index.js';
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

/** CPU milliseconds of `inner` calls of fn, per call, `repeats` times (after one warm-up call). */
function cpuTimes(fn: () => unknown, repeats: number, inner: number): number[] {
  fn();
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const u0 = process.cpuUsage();
    for (let i = 0; i < inner; i++) fn();
    const u = process.cpuUsage(u0);
    out.push((u.user + u.system) / 1000 / inner);
  }
  return out;
}

export default function cases(o: BenchOptions): BenchCase[] {
  const dims = [20, 256, 256, 20], batch = 128;
  let flops = 0;
  for (let l = 0; l + 1 < dims.length; l++) flops += 3 * 2 * batch * dims[l]! * dims[l + 1]!; // 1 GEMM forward, 2 backward
  let step: () => number = () => 0;
  const repeats = o.quick ? 3 : 7;
  const out: BenchCase[] = [
    {
      group: 'train', impl: 'spindiff-js', name: 'autograd MLP 20-256-256-20 fwd+bwd', shape: `MLP 20-256-256-20 batch=${batch}`, flops,
      repeats, setup: () => { step = mlpStep(dims, batch); }, fn: () => step(),
    },
    {
      group: 'train', impl: 'spindiff-js-cputime', name: 'autograd MLP 20-256-256-20 fwd+bwd', shape: `MLP 20-256-256-20 batch=${batch}`, flops,
      repeats, fn: () => {}, measure: async (r) => cpuTimes(mlpStep(dims, batch), r, 10),
    },
  ];
  for (const s of o.quick ? [128, 256, 512] : [128, 256, 512, 1024]) {
    out.push({
      group: 'matmul', impl: 'spindiff-js-cputime', name: `gemm ${s}x${s}x${s}`, shape: `${s}x${s}x${s}`, flops: 2 * s ** 3,
      repeats: s >= 1024 ? 3 : repeats, fn: () => {},
      measure: async (r) => {
        const rng = new Rng(1);
        const a = jsBackend.alloc('float32', s * s), b = jsBackend.alloc('float32', s * s), c = jsBackend.alloc('float32', s * s);
        rng.fillNormal(a); rng.fillNormal(b);
        return cpuTimes(() => jsBackend.gemm(false, false, s, s, s, a, b, c, 1, 0), r, Math.max(1, Math.round(256 ** 3 / s ** 3)));
      },
    });
  }
  return out;
}
