import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NoiseMLP, parameterCount } from '../../src/diffusion/network.js';
import { Rng } from '../../src/random/index.js';

describe('parameterCount', () => {
  it('equals the parameters of the built network, for any widths, residual choice and head', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 2, max: 5 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        (n, widths, half, residual, inputChannels, outputChannels) => {
          const config = { n, widths, timeDim: 2 * half, T: 10, residual, inputChannels, outputChannels };
          expect(parameterCount(config)).toBe(new NoiseMLP(config, new Rng(1)).numParameters());
        },
      ),
      { numRuns: 40 },
    );
  });
});
