import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from '../../src/diffusion/train.js';
import { NoiseMLP } from '../../src/diffusion/network.js';
import { noGrad } from '../../src/autograd/index.js';
import { fromStorage } from '../../src/tensor/index.js';
import { encodeCheckpoint, loadSamplingNetwork, resumeTrainer } from '../../src/diffusion/checkpoint.js';
import { generatorConfig } from '../../src/diffusion/discrete/objective.js';
import { discreteSampleLoop, runStepLoop, sampleDiscrete } from '../../src/diffusion/discrete/sample.js';
import { Rng } from '../../src/random/index.js';
import type { SpinData } from '../../src/ising/index.js';

function randomData(n: number, m: number, seed: number): SpinData {
  const rng = new Rng(seed);
  const s = new Int8Array(n * m);
  for (let i = 0; i < s.length; i++) s[i] = rng.spin();
  return { n, m, s };
}

const net = { n: 5, widths: [8, 16], timeDim: 8, T: 40, residual: true };

describe.each(['masked', 'd3pm'] as const)('%s generator through the shared trainer', (kind) => {
  const cfg = { ...DEFAULT_TRAIN, iterations: 6, batchSize: 16, T: 40, seed: 3, generator: generatorConfig(kind) };

  it('the network gets the generator head; a resumed run continues the uninterrupted losses exactly', () => {
    const data = randomData(5, 40, 1);
    const full = new DiffusionTrainer(data, net, cfg);
    for (let i = 0; i < 6; i++) full.step();
    expect(full.net.config.outputChannels).toBe(2);
    expect(full.net.config.inputChannels ?? 1).toBe(kind === 'masked' ? 2 : 1);
    const part = new DiffusionTrainer(data, net, cfg);
    for (let i = 0; i < 3; i++) part.step();
    const resumed = resumeTrainer(encodeCheckpoint(part), data);
    expect(resumed.objective.kind).toBe(kind);
    for (let i = 0; i < 3; i++) resumed.step();
    expect(resumed.losses).toEqual(full.losses);
  });

  it('the checkpoint records the generator; sampling reads it and gives ±1 configurations, sync and async alike', async () => {
    const data = randomData(5, 40, 2);
    const tr = new DiffusionTrainer(data, net, cfg);
    for (let i = 0; i < 2; i++) tr.step();
    const { net: loaded, info } = loadSamplingNetwork(encodeCheckpoint(tr));
    expect(info.generator).toEqual(cfg.generator);
    const a = runStepLoop(discreteSampleLoop(loaded, info.generator, 30, new Rng(5), { steps: 10, batch: 7 }));
    const b = await sampleDiscrete(loaded, info.generator, 30, new Rng(5), { steps: 10, batch: 7 });
    expect(Array.from(a.data.s)).toEqual(Array.from(b.data.s));
    expect(a.data.s.every((v) => v === 1 || v === -1)).toBe(true);
    if (kind === 'masked') expect(a.rowEvaluations).toBeLessThanOrEqual(30 * 5);
    else expect(a.rowEvaluations).toBe(30 * 10);
  });
});

describe('network head option', () => {
  it('channels widen only mlp_in / mlp_out; the compiled sampling plan agrees with forward()', () => {
    const n = net.n, B = 3;
    const plain = new NoiseMLP(net, new Rng(1));
    const head = new NoiseMLP({ ...net, n, inputChannels: 2, outputChannels: 2 }, new Rng(1));
    expect(head.mlp_in.inFeatures).toBe(2 * n);
    expect(head.mlp_out.outFeatures).toBe(2 * n);
    expect(head.namedParameters().map(([k]) => k)).toEqual(plain.namedParameters().map(([k]) => k));
    const x = new Rng(3).fillNormal(new Float32Array(B * 2 * n));
    const ref = noGrad(() => head.forward(fromStorage(x, [B, 2 * n]), new Int32Array(B).fill(7))).data;
    const got = makePredictor(head)(x, 7, B);
    expect(got.length).toBe(B * 2 * n);
    for (let k = 0; k < ref.length; k++) expect(got[k]!).toBeCloseTo(ref[k]!, 4);
  });
});
