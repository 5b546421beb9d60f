// augment()'s onGenerated hook: called once, with the samples the result returns, after the
// generation and before the final inference starts (so a caller can start other work on them).
import { expect, it } from 'vitest';
import { augment } from '../../src/diffusion/augment.js';
import { erasureMachine } from '../../src/ising/infer/em.js';
import { sampleExact, skParams } from '../../src/ising/index.js';
import type { SpinData } from '../../src/ising/index.js';
import { Rng } from '../../src/random/index.js';

it('onGenerated gets the generated samples after the generation, before the final inference', async () => {
  const rng = new Rng(5);
  const data = sampleExact(skParams(6, 1, rng), 200, rng);
  const events: string[] = [];
  let seen: SpinData | null = null;
  const opts = { preset: 'tiny' as const, samples: 60, seed: 3, train: { iterations: 20, batchSize: 32 }, evalEvery: 10, evalSamples: 30, sampler: { steps: 4 } };
  const r = await augment(data, {
    ...opts,
    infer: (d) => { events.push(`infer ${d.m}`); return erasureMachine(d); },
    onProgress: (stage, done, total) => { if (stage === 'generate' && done === total) events.push('generated'); },
    onGenerated: (g) => { events.push(`onGenerated ${g.m}`); seen = g; },
  });
  expect(seen).toBe(r.generated);
  // the train half (100 rows) is fitted first; the final fit gets train + the 60 generated rows
  expect(events).toEqual(['infer 100', 'generated', 'onGenerated 60', 'infer 160']);
  // and the run is the one without the hook
  const plain = await augment(data, opts);
  expect(Array.from(r.params.w)).toEqual(Array.from(plain.params.w));
  // what it throws ends the run
  await expect(augment(data, { ...opts, onGenerated: () => { throw new Error('stop here'); } })).rejects.toThrow('stop here');
  await expect(augment(data, { ...opts, onGenerated: async () => { await Promise.resolve(); throw new Error('async stop'); } })).rejects.toThrow('async stop');
}, 60_000);
