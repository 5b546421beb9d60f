// Peers: @tensorflow/tfjs (cpu backend) and @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD) —
// matmul at the same shapes as bench/matmul.bench.ts, and the same paper n = 40 network for the
// training step (tfjs gradients are registered because this file is bundled by esbuild) and the
// DDIM sampling step. Bench-only dev dependencies.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { BenchCase, BenchOptions } from '../types.js';
import { matmulShapes, shapeName } from '../matmul.bench.js';
import { N_SPINS, SAMPLE_BATCH, TRAIN_BATCHES, networkFlops, sampleShape, trainShape } from './spindiff-network.bench.js';
import { Rng } from '../../src/random/index.js';
import { ddimStep } from '../../src/diffusion/samplers.js';

const WIDTHS = [128, 256, 512], T = 1000;

/** The thesis network (see src/diffusion/network.ts) in tfjs ops, PyTorch default init. */
class TfNet {
  private readonly vars: tf.Variable[] = [];
  private readonly layers = new Map<string, [tf.Variable, tf.Variable]>();
  constructor(rng: Rng) {
    const lin = (name: string, nIn: number, nOut: number): void => {
      const bound = 1 / Math.sqrt(nIn);
      const w = new Float32Array(nIn * nOut).map(() => (rng.uniform() * 2 - 1) * bound);
      const b = new Float32Array(nOut).map(() => (rng.uniform() * 2 - 1) * bound);
      const pair: [tf.Variable, tf.Variable] = [tf.variable(tf.tensor2d(w, [nOut, nIn])), tf.variable(tf.tensor1d(b))];
      this.layers.set(name, pair);
      this.vars.push(...pair);
    };
    const [w0, w1, w2] = WIDTHS as [number, number, number];
    lin('t_emb.1', T, w1); lin('t_emb.3', w1, w1); lin('mlp_in', N_SPINS, w0);
    const blocks: [string, number, number][] = [['downs.0', w0, w1], ['downs.1', w1, w2], ['downs.2', w2, w2], ['mid', w2, w2],
      ['ups.0', 2 * w2, w2], ['ups.1', 2 * w2, w1], ['ups.2', 2 * w1, w0]];
    for (const [name, i, o] of blocks) {
      lin(`${name}.temb_proj`, w1, o); lin(`${name}.mlp1`, i, o); lin(`${name}.mlp2`, o, o);
      if (i !== o) lin(`${name}.conv_shortcut`, i, o);
    }
    lin('mlp_out', 2 * w0, N_SPINS);
  }
  get variables(): tf.Variable[] { return this.vars; }
  linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const [w, b] = this.layers.get(name)!;
    return tf.add(tf.matMul(x, w as tf.Tensor2D, false, true), b);
  }
  static gelu(x: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
  timeEmbedding(t: Int32Array): tf.Tensor2D {
    const half = T / 2, scale = Math.log(10000) / (half - 1);
    const e = new Float32Array(t.length * T);
    for (let b = 0; b < t.length; b++) for (let j = 0; j < half; j++) {
      const a = t[b]! * Math.exp(-j * scale);
      e[b * T + j] = Math.sin(a); e[b * T + half + j] = Math.cos(a);
    }
    const h = this.linear('t_emb.1', tf.tensor2d(e, [t.length, T]));
    return this.linear('t_emb.3', TfNet.gelu(h));
  }
  block(name: string, x: tf.Tensor2D, temb: tf.Tensor2D): tf.Tensor2D {
    let h = this.linear(`${name}.mlp1`, TfNet.gelu(x));
    h = tf.add(h, this.linear(`${name}.temb_proj`, TfNet.gelu(temb)));
    h = this.linear(`${name}.mlp2`, TfNet.gelu(h));
    const skip = this.layers.has(`${name}.conv_shortcut`) ? this.linear(`${name}.conv_shortcut`, x) : x;
    return tf.add(skip, h);
  }
  forward(x: tf.Tensor2D, temb: tf.Tensor2D): tf.Tensor2D {
    let h = this.linear('mlp_in', x);
    const r = h, skips: tf.Tensor2D[] = [];
    for (const d of ['downs.0', 'downs.1', 'downs.2']) { h = this.block(d, h, temb); skips.push(h); }
    h = this.block('mid', h, temb);
    for (const u of ['ups.0', 'ups.1', 'ups.2']) h = this.block(u, tf.concat([h, skips.pop()!], 1), temb);
    return this.linear('mlp_out', tf.concat([h, r], 1));
  }
}

let wasmReady: Promise<boolean> | null = null;
async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (tf.getBackend() === name) return; // (called before every sample: cases interleave)
  if (name === 'wasm') {
    wasmReady ??= (async () => {
      const require = createRequire(import.meta.url);
      setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/');
      return true;
    })();
    await wasmReady;
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}

export default async function cases(o: BenchOptions): Promise<BenchCase[]> {
  const out: BenchCase[] = [];
  tf.env().set('IS_TEST', false);
  const { forward, forwardNoTime } = networkFlops();
  for (const be of ['wasm', 'cpu'] as const) {
    const impl = `tfjs-${be}`;
    for (const [m, n, k] of matmulShapes(o.quick)) {
      let a: tf.Tensor2D | null = null, b: tf.Tensor2D | null = null;
      const big = m * n * k >= 512 * 512 * 1024;
      out.push({
        group: 'matmul', impl, name: `matMul ${shapeName(m, n, k)}`, shape: shapeName(m, n, k), flops: 2 * m * n * k,
        repeats: be === 'cpu' && big ? 3 : undefined,
        before: () => useBackend(be),
        setup: async () => { await useBackend(be); a = tf.randomUniform([m, k], -0.5, 0.5); b = tf.randomUniform([k, n], -0.5, 0.5); },
        fn: () => { const c = tf.matMul(a!, b!); c.dataSync(); c.dispose(); },
        teardown: () => { a?.dispose(); b?.dispose(); },
      });
    }
    for (const batch of TRAIN_BATCHES) {
      const shape = trainShape(batch);
      if (be === 'cpu' && batch > 128) { out.push({ group: 'train', impl, name: shape, shape, skip: 'too slow for the bench', fn: () => {} }); continue; }
      let step: () => void = () => {};
      let net: TfNet | null = null;
      out.push({
        group: 'train', impl, name: shape, shape, flops: 3 * forward * batch, repeats: o.quick || be === 'cpu' ? 3 : 5,
        before: () => useBackend(be),
        setup: async () => {
          await useBackend(be);
          const rng = new Rng(5);
          net = new TfNet(rng);
          const opt = tf.train.adam(1e-3);
          step = () => {
            const x = new Float32Array(batch * N_SPINS).map(() => (rng.uniform() < 0.5 ? -1 : 1));
            const eps = rng.fillNormal(new Float32Array(batch * N_SPINS));
            const t = Int32Array.from({ length: batch }, () => rng.int(T));
            const ab = 0.5; // the qSample mixing (timing only)
            const xt = x.map((v, i) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * eps[i]!);
            tf.tidy(() => {
              const xtT = tf.tensor2d(xt, [batch, N_SPINS]), epsT = tf.tensor2d(eps, [batch, N_SPINS]);
              const cost = opt.minimize(() => tf.mean(tf.square(tf.sub(net!.forward(xtT, net!.timeEmbedding(t)), epsT))) as tf.Scalar, true, net!.variables);
              cost?.dataSync();
            });
          };
        },
        fn: () => step(),
        teardown: () => { for (const v of net?.variables ?? []) v.dispose(); },
      });
    }
    const shape = sampleShape(SAMPLE_BATCH);
    if (be === 'cpu') { out.push({ group: 'sample', impl, name: shape, shape, skip: 'too slow for the bench', fn: () => {} }); continue; }
    let step: () => void = () => {};
    let net: TfNet | null = null;
    out.push({
      group: 'sample', impl, name: shape, shape, flops: forwardNoTime * SAMPLE_BATCH, repeats: 3,
      before: () => useBackend(be),
      setup: async () => {
        await useBackend(be);
        const rng = new Rng(6);
        net = new TfNet(rng);
        const x = rng.fillNormal(new Float32Array(SAMPLE_BATCH * N_SPINS));
        let t = 999;
        step = () => {
          // time embedding once per step (one row, broadcast), as spindiff's makePredictor
          const eps = tf.tidy(() => net!.forward(tf.tensor2d(x, [SAMPLE_BATCH, N_SPINS]), net!.timeEmbedding(Int32Array.of(t))).dataSync());
          ddimStep(x, eps, 0.3, 0.35, 0, rng);
          t = t > 20 ? t - 20 : 999;
        };
      },
      fn: () => step(),
      teardown: () => { for (const v of net?.variables ?? []) v.dispose(); },
    });
  }
  return out;
}

