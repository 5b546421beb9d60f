/**
 * Variational autoencoder baseline (paper App. A: 40-30-20-10-20-30-40 for n = 40, Adam lr 1e-3).
 * Widths scale with n as ¾n, ½n, ¼n. Bernoulli decoder on v = (s+1)/2; loss = BCE + KL per
 * sample (the negative ELBO). Sampling draws z ~ N(0, I), decodes to p(v_i = 1 | z) and draws
 * each spin from it ('bernoulli', the model's distribution) or takes the most likely value
 * ('threshold', the "averaged representation" the paper describes).
 */
import { Rng } from '../random/index.js';
import { Tensor, fromStorage } from '../tensor/index.js';
import { add, backward, exp, log, mean, mul, noGrad, relu, sigmoid, sub, sum } from '../autograd/index.js';
import { Module, Linear, Adam } from '../nn/index.js';
import { makeSpinData, type SpinData } from '../ising/types.js';
import { MLP } from './mlp.js';
import { at, last } from '../util/checked.js';
import type { FitHistory, FitHooks, GenerativeModel } from './types.js';

export interface VAEOptions {
  /** Hidden widths of the encoder (decoder mirrored); default [¾n, ½n]. */
  hidden?: number[];
  /** Latent dimension; default ¼n. */
  latent?: number;
  lr?: number;
  epochs?: number;
  batchSize?: number;
}

export function vaeWidths(n: number, o: VAEOptions = {}): { hidden: number[]; latent: number } {
  return { hidden: o.hidden ?? [Math.max(2, Math.round(0.75 * n)), Math.max(2, Math.round(0.5 * n))], latent: o.latent ?? Math.max(1, Math.round(0.25 * n)) };
}

export class VAENet extends Module {
  encoder: MLP;
  mu: Linear;
  logvar: Linear;
  decoder: MLP;
  constructor(readonly n: number, hidden: number[], readonly latent: number, rng: Rng) {
    super();
    this.encoder = new MLP([n, ...hidden], rng);
    this.mu = new Linear(last(hidden, 'VAE hidden widths'), latent, rng);
    this.logvar = new Linear(last(hidden, 'VAE hidden widths'), latent, rng);
    this.decoder = new MLP([latent, ...[...hidden].reverse(), n], rng);
  }
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.mu.forward(relu(this.encoder.forward(x))));
  }
}

const EPS = 1e-6;

/** Negative ELBO per sample for a batch v (0/1) with fixed reparameterisation noise. */
export function vaeLoss(net: VAENet, v: Tensor, noise: Tensor): Tensor {
  const h = relu(net.encoder.forward(v));
  const mu = net.mu.forward(h);
  const logvar = net.logvar.forward(h);
  const z = add(mu, mul(exp(mul(logvar, 0.5)), noise));
  const p = sigmoid(net.decoder.forward(z));
  // BCE = −Σ_i [v log p + (1−v) log(1−p)]
  const bce = mul(sum(add(mul(v, log(add(p, EPS))), mul(sub(1, v), log(add(sub(1, p), EPS))))), -1);
  // KL(q(z|v) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²)
  const kl = mul(sum(sub(sub(add(logvar, 1), mul(mu, mu)), exp(logvar))), -0.5);
  return mul(add(bce, kl), 1 / at(v.shape, 0, 'VAE batch shape'));
}

export class VAE implements GenerativeModel {
  readonly name = 'vae';
  constructor(readonly net: VAENet) {}

  sample(m: number, rng: Rng, opts: { decode?: 'bernoulli' | 'threshold'; batch?: number } = {}): SpinData {
    const { n, latent } = this.net;
    const out = new Int8Array(m * n);
    const B = opts.batch ?? 4096;
    noGrad(() => {
      for (let start = 0; start < m; start += B) {
        const b = Math.min(B, m - start);
        const z = fromStorage(rng.fillNormal(new Float32Array(b * latent)), [b, latent]);
        const p = sigmoid(this.net.decoder.forward(z)).data;
        for (let k = 0; k < b * n; k++) {
          const up = opts.decode === 'threshold' ? p[k]! > 0.5 : rng.uniform() < p[k]!;
          out[start * n + k] = up ? 1 : -1;
        }
      }
    });
    return makeSpinData(n, m, out);
  }
}

export function fitVAE(data: SpinData, rng: Rng, opts: VAEOptions = {}, hooks: FitHooks = {}): { model: VAE; history: FitHistory } {
  const { n, m } = data;
  const { hidden, latent } = vaeWidths(n, opts);
  const epochs = opts.epochs ?? 100;
  const batch = opts.batchSize ?? 128;
  const net = new VAENet(n, hidden, latent, rng);
  const opt = new Adam(net.parameters(), { lr: opts.lr ?? 1e-3 });
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const history: FitHistory = { epochs: [], loss: [] };
  for (let ep = 0; ep < epochs; ep++) {
    if (hooks.signal?.aborted) break;
    rng.shuffle(order);
    let total = 0;
    for (let start = 0; start < m; start += batch) {
      const b = Math.min(batch, m - start);
      const v = new Float32Array(b * n);
      for (let r = 0; r < b; r++) for (let i = 0; i < n; i++) v[r * n + i] = data.s[order[start + r]! * n + i]! > 0 ? 1 : 0;
      const noise = fromStorage(rng.fillNormal(new Float32Array(b * latent)), [b, latent]);
      opt.zeroGrad();
      const loss = vaeLoss(net, fromStorage(v, [b, n]), noise);
      backward(loss);
      opt.step();
      total += loss.item() * b;
    }
    history.epochs.push(ep + 1);
    history.loss.push(total / m);
    hooks.onProgress?.(ep + 1, epochs, { loss: total / m });
  }
  return { model: new VAE(net), history };
}

/** Mean loss over data without training (for tests). */
export function vaeMeanLoss(model: VAE, data: SpinData, rng: Rng): number {
  const { n, m } = data;
  const v = new Float32Array(m * n);
  for (let k = 0; k < m * n; k++) v[k] = data.s[k]! > 0 ? 1 : 0;
  return noGrad(() => mean(vaeLoss(model.net, fromStorage(v, [m, n]), fromStorage(rng.fillNormal(new Float32Array(m * model.net.latent)), [m, model.net.latent])))).item();
}
