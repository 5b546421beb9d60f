import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { fromStorage } from '../../src/tensor/index.js';
import { noGrad } from '../../src/autograd/index.js';
import { VAENet, fitVAE, vaeLoss } from '../../src/models/vae.js';
import { fitGAN } from '../../src/models/gan.js';
import { diversity } from '../../src/models/diversity.js';
import { empirical, expectedEmpiricalTV, independentOf, sampleFrom, skExact, tv } from './exact.js';

/** Plain float64 forward of a Linear layer from the module's weights. */
function lin(x: number[], W: ArrayLike<number>, b: ArrayLike<number>, out: number): number[] {
  const inn = x.length;
  return Array.from({ length: out }, (_, o) => b[o]! + x.reduce((a, xi, i) => a + W[o * inn + i]! * xi, 0));
}
const reluA = (x: number[]) => x.map((v) => Math.max(0, v));

describe('VAE', () => {
  it('loss equals BCE + the closed-form Gaussian KL, computed independently in float64', () => {
    const r = new Rng(1);
    const net = new VAENet(4, [3, 2], 2, r);
    const v = [1, 0, 0, 1, 0, 1, 1, 1];
    const noise = [0.3, -1.2, 0.7, 0.1];
    const got = noGrad(() => vaeLoss(net, fromStorage(Float32Array.from(v), [2, 4]), fromStorage(Float32Array.from(noise), [2, 2]))).item();
    const P = Object.fromEntries(net.namedParameters().map(([k, t]) => [k, t.data]));
    let total = 0;
    for (let r2 = 0; r2 < 2; r2++) {
      const x = v.slice(r2 * 4, r2 * 4 + 4);
      let h = reluA(lin(x, P['encoder.layers.0.weight']!, P['encoder.layers.0.bias']!, 3));
      h = reluA(lin(h, P['encoder.layers.1.weight']!, P['encoder.layers.1.bias']!, 2));
      const mu = lin(h, P['mu.weight']!, P['mu.bias']!, 2);
      const lv = lin(h, P['logvar.weight']!, P['logvar.bias']!, 2);
      const z = mu.map((m, k) => m + Math.exp(0.5 * lv[k]!) * noise[r2 * 2 + k]!);
      let d = reluA(lin(z, P['decoder.layers.0.weight']!, P['decoder.layers.0.bias']!, 2));
      d = reluA(lin(d, P['decoder.layers.1.weight']!, P['decoder.layers.1.bias']!, 3));
      const logits = lin(d, P['decoder.layers.2.weight']!, P['decoder.layers.2.bias']!, 4);
      const p = logits.map((l) => 1 / (1 + Math.exp(-l)));
      const bce = -x.reduce((a, xi, i) => a + xi * Math.log(p[i]! + 1e-6) + (1 - xi) * Math.log(1 - p[i]! + 1e-6), 0);
      const kl = -0.5 * mu.reduce((a, m, k) => a + 1 + lv[k]! - m * m - Math.exp(lv[k]!), 0);
      total += bce + kl;
    }
    expect(got).toBeCloseTo(total / 2, 4);
  });

  it('learns correlations of a 5-spin SK distribution (closer than independent spins)', () => {
    const n = 5;
    const p = skExact(n, 1.0, 21);
    const data = sampleFrom(p, n, 2000, new Rng(22));
    // The paper's widths scaled to n = 5 ([4, 2], latent 1) stay near independent spins (TV 0.38
    // after 60 epochs); a wider net shows the VAE can learn the correlations.
    const { model, history } = fitVAE(data, new Rng(23), { hidden: [16, 8], latent: 2, epochs: 60, batchSize: 64 });
    expect(history.loss.at(-1)!).toBeLessThan(history.loss[0]!);
    const m = 20000;
    const q = empirical(model.sample(m, new Rng(24)));
    // Sampling noise of q is ≈ expectedEmpiricalTV (≈ 0.02) and the training data sit at 0.04
    // from p; the independent-spin model is at 0.38. Demand at most half of that (measured: 0.08).
    const dInd = tv(independentOf(p, n), p);
    expect(tv(q, p)).toBeLessThan(dInd / 2 - 2 * expectedEmpiricalTV(p, m));
  });
});

describe('diversity', () => {
  it('gives the closed-form values for identical and for independent uniform spins', () => {
    const n = 40;
    const m = 4000;
    const same = { n, m, s: new Int8Array(n * m).fill(1) };
    const r = new Rng(5);
    const uni = { n, m, s: Int8Array.from({ length: n * m }, () => r.spin()) };
    const a = diversity(same, uni, new Rng(6));
    expect(a).toMatchObject({ distinct: 1, meanHamming: 0, coverage: 0 });
    const b = diversity(uni, same, new Rng(7), 20000);
    // Pairs of independent uniform patterns: Hamming/n has mean ½ and sd √(1/(4n)) per pair.
    expect(Math.abs(b.meanHamming - 0.5)).toBeLessThan(4 * Math.sqrt(1 / (4 * n) / 20000));
    expect(b.distinctFraction).toBe(1); // 2^40 patterns: a collision among 4000 has probability ≈ 7e-6
    expect(b.entropyBits).toBeCloseTo(Math.log2(m), 10);
    expect(b.coverage).toBe(0);
  });
});

describe('GAN', () => {
  it('trains without NaN and samples ±1 spins of the right shape', () => {
    const n = 5;
    const data = sampleFrom(skExact(n, 1, 31), n, 256, new Rng(32));
    const { model, history } = fitGAN(data, new Rng(33), { epochs: 3, batchSize: 64 });
    expect(history.loss.every(Number.isFinite) && history.dLoss.every(Number.isFinite)).toBe(true);
    const s = model.sample(100, new Rng(34));
    expect(s.m).toBe(100);
    expect(s.s.every((x) => x === 1 || x === -1)).toBe(true);
  });
});
