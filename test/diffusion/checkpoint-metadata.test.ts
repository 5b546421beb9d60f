/**
 * Untrusted checkpoint metadata (issue 13, category 4): the network config is validated against
 * limits and the stored tensor shapes before anything is built, and every error names the file.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import { checkpointInfo, encodeCheckpoint, loadSamplingNetwork, resumeTrainer } from '../../src/diffusion/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/index.js';
import { DataError } from '../../src/util/errors.js';

const data = { n: 4, m: 16, s: Int8Array.from({ length: 64 }, (_, k) => ((k * 7) % 5 < 2 ? 1 : -1)) };
const netCfg = { n: 4, widths: [8, 16], timeDim: 8, T: 50, residual: true };
const tr = new DiffusionTrainer(data, netCfg, { ...DEFAULT_TRAIN, iterations: 10, batchSize: 8, T: 50 });
tr.step();
const base = encodeCheckpoint(tr);
const file = decodeSafetensors(base);
const withMeta = (patch: Record<string, string>) => encodeSafetensors(file.tensors, { ...file.metadata, ...patch });
const withTensor = (name: string, t: Tensor) => encodeSafetensors({ ...file.tensors, [name]: t }, file.metadata);

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers + m.external;
}

describe('hostile checkpoint metadata', () => {
  it('T: 1e9 or widths [8000, 8000] fail in under a second, allocating < 100 MB, naming the file', () => {
    const hostile: [Record<string, string>, RegExp][] = [
      [{ network: JSON.stringify({ ...netCfg, T: 1e9 }) }, /T must be an integer in 1\.\.100000, got 1000000000/],
      [{ network: JSON.stringify({ ...netCfg, widths: [8000, 8000] }) }, /tensor 'mlp_in\.weight' has shape \[8, 4\], but the metadata 'network' implies \[8000, 4\]/],
      [{ network: JSON.stringify({ ...netCfg, timeDim: 16384, T: 100000 }) }, /T × timeDim = 1638400000 is above the limit/],
      [{ network: JSON.stringify({ ...netCfg, n: 1e7 }) }, /n must be an integer in 1\.\.100000/],
      [{ network: JSON.stringify({ ...netCfg, widths: Array(1000).fill(8) }) }, /widths must be 2\.\.16 integers/],
      [{ network: JSON.stringify({ ...netCfg, residual: false }) }, /residual false, which does not match/],
      [{ network: '{"n": 4, "widths": [8' }, /metadata 'network' is not valid JSON \(damaged file\?\)$/],
      [{ train: JSON.stringify({ ...tr.cfg, batchSize: 1e9 }) }, /batchSize must be at most 65536/],
      [{ train: JSON.stringify({ ...tr.cfg, T: 1000 }) }, /'train' has T=1000 but 'network' T=50/],
      [{ iteration: 'lots' }, /metadata 'iteration' is "lots", not a count/],
    ];
    for (const [patch, msg] of hostile) {
      const bytes = withMeta(patch);
      for (const load of [() => loadSamplingNetwork(bytes, 'evil.safetensors'), () => resumeTrainer(bytes, data, {}, 'evil.safetensors'), () => checkpointInfo(bytes, 'evil.safetensors')]) {
        const before = used();
        const t0 = performance.now();
        let err: unknown = null;
        try {
          load();
        } catch (e) {
          err = e;
        }
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(used() - before).toBeLessThan(100 * 2 ** 20);
        expect(err).toBeInstanceOf(DataError);
        expect((err as Error).message).toMatch(/^evil\.safetensors: /);
        expect((err as Error).message).toMatch(msg);
      }
    }
  });

  it('non-finite sampling weights are refused with what to change (category 3)', () => {
    const w = file.tensors['mlp_out.weight']!;
    const bad = new Float32Array(w.data);
    bad[3] = NaN;
    expect(() => loadSamplingNetwork(withTensor('mlp_out.weight', new Tensor(bad, w.shape)), 'nan.safetensors'))
      .toThrow(/^nan\.safetensors: tensor 'mlp_out\.weight' holds a non-finite value \(NaN at index 3\).*smaller --lr/);
    // The untouched file still loads.
    expect(loadSamplingNetwork(base, 'ok').net.config).toEqual(netCfg);
  });
});
