/**
 * GAN baseline (the paper drops it for mode collapse; we train it and measure its diversity).
 * Generator z ~ N(0, I_latent) → MLP (LeakyReLU-free: ReLU) → tanh → spins by sign; discriminator
 * spins → MLP → logit; the non-saturating losses of Goodfellow et al. (2014), Adam as in DCGAN
 * (lr 2e-4, β₁ = 0.5). Widths scale with n (default [2n, 2n], latent ½n).
 */
import { Rng } from '../random/index.js';
import { Tensor, fromStorage } from '../tensor/index.js';
import { add, backward, log, mean, mul, noGrad, sigmoid, sub, tanh, detach } from '../autograd/index.js';
import { Adam } from '../nn/index.js';
import { makeSpinData, type SpinData } from '../ising/types.js';
import { MLP } from './mlp.js';
import type { FitHistory, FitHooks, GenerativeModel } from './types.js';

export interface GANOptions {
  hidden?: number[];
  latent?: number;
  lr?: number;
  epochs?: number;
  batchSize?: number;
}

const EPS = 1e-6;

export class GAN implements GenerativeModel {
  readonly name = 'gan';
  constructor(readonly n: number, readonly latent: number, readonly generator: MLP) {}

  /** Continuous generator output in (−1, 1) for latent noise z [b, latent]. */
  generate(z: Tensor): Tensor {
    return tanh(this.generator.forward(z));
  }

  sample(m: number, rng: Rng): SpinData {
    const { n, latent } = this;
    const out = new Int8Array(m * n);
    noGrad(() => {
      for (let start = 0; start < m; start += 4096) {
        const b = Math.min(4096, m - start);
        const x = this.generate(fromStorage(rng.fillNormal(new Float32Array(b * latent)), [b, latent])).data;
        for (let k = 0; k < b * n; k++) out[start * n + k] = x[k]! >= 0 ? 1 : -1;
      }
    });
    return makeSpinData(n, m, out);
  }
}

export function fitGAN(data: SpinData, rng: Rng, opts: GANOptions = {}, hooks: FitHooks = {}): { model: GAN; history: FitHistory & { dLoss: number[] } } {
  const { n, m } = data;
  const hidden = opts.hidden ?? [2 * n, 2 * n];
  const latent = opts.latent ?? Math.max(2, Math.round(n / 2));
  const epochs = opts.epochs ?? 100;
  const batch = opts.batchSize ?? 128;
  const G = new MLP([latent, ...hidden, n], rng);
  const D = new MLP([n, ...[...hidden].reverse(), 1], rng);
  const gan = new GAN(n, latent, G);
  const lr = opts.lr ?? 2e-4;
  const optG = new Adam(G.parameters(), { lr, betas: [0.5, 0.999] });
  const optD = new Adam(D.parameters(), { lr, betas: [0.5, 0.999] });
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const history = { epochs: [] as number[], loss: [] as number[], dLoss: [] as number[] };
  for (let ep = 0; ep < epochs; ep++) {
    if (hooks.signal?.aborted) break;
    rng.shuffle(order);
    let gSum = 0;
    let dSum = 0;
    let batches = 0;
    for (let start = 0; start < m; start += batch) {
      const b = Math.min(batch, m - start);
      const real = new Float32Array(b * n);
      for (let r = 0; r < b; r++) for (let i = 0; i < n; i++) real[r * n + i] = data.s[order[start + r]! * n + i]!;
      const z = () => fromStorage(rng.fillNormal(new Float32Array(b * latent)), [b, latent]);
      // Discriminator: maximise log D(real) + log(1 − D(fake)).
      const fake = detach(gan.generate(z()));
      optD.zeroGrad();
      const dReal = sigmoid(D.forward(fromStorage(real, [b, n])));
      const dFake = sigmoid(D.forward(fake));
      const dLoss = mul(add(mean(log(add(dReal, EPS))), mean(log(add(sub(1, dFake), EPS)))), -1);
      backward(dLoss);
      optD.step();
      // Generator (non-saturating): maximise log D(G(z)).
      optG.zeroGrad();
      const gLoss = mul(mean(log(add(sigmoid(D.forward(gan.generate(z()))), EPS))), -1);
      backward(gLoss);
      optG.step();
      gSum += gLoss.item();
      dSum += dLoss.item();
      batches++;
    }
    history.epochs.push(ep + 1);
    history.loss.push(gSum / batches);
    history.dLoss.push(dSum / batches);
    hooks.onProgress?.(ep + 1, epochs, { g: gSum / batches, d: dSum / batches });
  }
  return { model: gan, history };
}
