import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/random/index.js';
import { skParams } from '../../src/ising/index.js';
import { paramsFromJSON, paramsToJSON } from '../../src/io/params.js';

describe('params JSON', () => {
  it('round-trips exactly (float64) and keeps extra fields', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const p = skParams(n, 2, new Rng(seed));
        const back = paramsFromJSON(paramsToJSON(p, { method: 'em', settings: { epsGrid: [0.4, 0.5] } }));
        expect(Array.from(back.b)).toEqual(Array.from(p.b));
        expect(Array.from(back.w)).toEqual(Array.from(p.w));
        expect(back.extra['method']).toBe('em');
        expect(back.extra['settings']).toEqual({ epsGrid: [0.4, 0.5] });
      }),
      { numRuns: 50 },
    );
  });

  it('rejects malformed params with the file name and the entry', () => {
    const f = (o: unknown) => () => paramsFromJSON(JSON.stringify(o), 'p.json');
    expect(() => paramsFromJSON('{"n": 2,', 'p.json')).toThrow(/^p\.json: not valid JSON/);
    expect(f([1, 2])).toThrow('p.json: expected a JSON object');
    expect(f({ n: 0, b: [], w: [] })).toThrow('p.json: "n" must be a positive integer, got 0');
    expect(f({ n: 2, b: [0], w: [[0, 0], [0, 0]] })).toThrow('p.json: "b" has 1 entries, expected n=2');
    expect(f({ n: 2, b: [0, 'x'], w: [[0, 0], [0, 0]] })).toThrow('p.json: b[1] is "x", not a finite number');
    expect(f({ n: 2, b: [0, 0], w: [[0, 0]] })).toThrow('p.json: "w" must be an array of 2 rows of 2 numbers');
    expect(f({ n: 2, b: [0, 0], w: [[0, 0], [0]] })).toThrow('p.json: w[1] must be an array of 2 numbers');
    expect(f({ n: 2, b: [0, 0], w: [[1, 0], [0, 0]] })).toThrow('p.json: w[0][0] = 1, the diagonal must be 0');
    expect(f({ n: 2, b: [0, 0], w: [[0, 1], [2, 0]] })).toThrow('p.json: w[0][1] = 1 but w[1][0] = 2; w must be symmetric');
  });
});
