import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, DiffusionTrainer, makePredictor } from '../../src/diffusion/train.js';
import { encodeCheckpoint, loadSamplingNetwork, resumeTrainer, checkpointInfo } from '../../src/diffusion/checkpoint.js';
import { Rng } from '../../src/random/index.js';
import type { SpinData } from '../../src/ising/index.js';

function randomData(n: number, m: number, seed: number): SpinData {
  const rng = new Rng(seed);
  const s = new Int8Array(n * m);
  for (let i = 0; i < s.length; i++) s[i] = rng.spin();
  return { n, m, s };
}

const net = { n: 5, widths: [8, 16], timeDim: 8, T: 100, residual: true };
const cfg = { ...DEFAULT_TRAIN, iterations: 12, batchSize: 16, T: 100, seed: 9 };

describe('checkpoints and resume', () => {
  it('save → load gives the same sampling network, bit for bit', () => {
    const data = randomData(5, 50, 1);
    const tr = new DiffusionTrainer(data, net, cfg);
    for (let i = 0; i < 5; i++) tr.step();
    const bytes = encodeCheckpoint(tr, { note: 'x' });
    const { net: loaded, info } = loadSamplingNetwork(bytes);
    expect(info.iteration).toBe(5);
    expect(info.network).toEqual(net);
    expect(info.extra['note']).toBe('x');
    const x = new Rng(2).fillNormal(new Float32Array(4 * 5));
    const sd = tr.samplingStateDict();
    const ref = tr.net;
    // Sampling weights are the EMA rounded to float32: load them into the trainer's net to compare.
    ref.loadStateDict(sd);
    const a = makePredictor(ref)(x, 40, 4);
    const b = makePredictor(loaded)(x, 40, 4);
    expect(Array.from(b)).toEqual(Array.from(a));
    // And twice-saved files decode to identical tensors.
    expect(Array.from(loadSamplingNetwork(bytes).net.parameters()[3]!.data)).toEqual(Array.from(loaded.parameters()[3]!.data));
  });

  it('resume from a checkpoint reproduces the uninterrupted loss trajectory exactly', () => {
    const data = randomData(5, 40, 3);
    const full = new DiffusionTrainer(data, net, cfg);
    for (let i = 0; i < 12; i++) full.step();
    const part = new DiffusionTrainer(data, net, cfg);
    for (let i = 0; i < 7; i++) part.step();
    const resumed = resumeTrainer(encodeCheckpoint(part), data);
    expect(resumed.iteration).toBe(7);
    while (resumed.iteration < 12) resumed.step();
    expect(resumed.losses).toEqual(full.losses);
    expect(Array.from(resumed.net.parameters()[0]!.data)).toEqual(Array.from(full.net.parameters()[0]!.data));
    expect(Array.from(Object.values(resumed.ema!.shadow)[0]!.data)).toEqual(Array.from(Object.values(full.ema!.shadow)[0]!.data));
  });

  it('same seed, same losses; different seed, different losses', () => {
    const data = randomData(5, 40, 3);
    const a = new DiffusionTrainer(data, net, cfg);
    const b = new DiffusionTrainer(data, net, cfg);
    const c = new DiffusionTrainer(data, net, { ...cfg, seed: 10 });
    for (let i = 0; i < 3; i++) {
      a.step();
      b.step();
      c.step();
    }
    expect(a.losses).toEqual(b.losses);
    expect(a.losses).not.toEqual(c.losses);
  });

  it('bad files are clear errors', () => {
    expect(() => checkpointInfo(new Uint8Array([1, 2, 3]), 'm.safetensors')).toThrow(/m\.safetensors/);
  });
});
