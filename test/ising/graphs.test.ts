import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { erdosRenyiEdges, erdosRenyiParams, latticeEdges, latticeParams, squarishShape } from '../../src/ising/graphs.js';
import { supportF1, type IsingParams } from '../../src/ising/index.js';

function degrees(p: IsingParams): number[] {
  const d = new Array<number>(p.n).fill(0);
  for (let i = 0; i < p.n; i++) for (let j = 0; j < p.n; j++) if (p.w[i * p.n + j] !== 0) d[i]!++;
  return d;
}

describe('sparse truths', () => {
  it('periodic lattice: every spin has 4 neighbours, 2·n bonds of strength ±J; open lattice has 2rc − r − c bonds', () => {
    const p = latticeParams(5, 8, new Rng(1), { J: 0.4, periodic: true });
    expect(degrees(p).every((d) => d === 4)).toBe(true);
    let count = 0;
    for (let i = 0; i < 40; i++) for (let j = i + 1; j < 40; j++) if (p.w[i * 40 + j] !== 0) {
      count++;
      expect(Math.abs(p.w[i * 40 + j]!)).toBe(0.4);
      expect(p.w[j * 40 + i]).toBe(p.w[i * 40 + j]);
    }
    expect(count).toBe(80);
    expect(latticeEdges(4, 5, false).length).toBe(2 * 20 - 4 - 5);
    expect(latticeEdges(2, 2, true).length).toBe(4); // no doubled bonds on a side of 2
    expect(squarishShape(20)).toEqual([4, 5]);
    expect(squarishShape(60)).toEqual([6, 10]);
  });

  it('Erdős–Rényi: the edge count is Binomial(n(n−1)/2, d/(n−1)) — mean degree within 4 standard errors', () => {
    const n = 60;
    const d = 3;
    let total = 0;
    const reps = 20;
    for (let r = 0; r < reps; r++) total += erdosRenyiEdges(n, d, new Rng(r)).length;
    const pairs = (n * (n - 1)) / 2;
    const p = d / (n - 1);
    const se = Math.sqrt((pairs * p * (1 - p)) / reps);
    expect(Math.abs(total / reps - pairs * p)).toBeLessThan(4 * se);
    // the graph is drawn from its own stream: changing the coupling law keeps it
    const a = erdosRenyiParams(n, d, new Rng(7), { law: 'pm' });
    const b = erdosRenyiParams(n, d, new Rng(7), { law: 'gauss', fieldSd: 0.1 });
    for (let k = 0; k < n * n; k++) expect(a.w[k] !== 0).toBe(b.w[k] !== 0);
  });

  it('supportF1 counts true and false edges at the κ/2 threshold', () => {
    const n = 4;
    const t: IsingParams = { n, b: new Float64Array(n), w: new Float64Array(n * n) };
    const e: IsingParams = { n, b: new Float64Array(n), w: new Float64Array(n * n) };
    const set = (p: IsingParams, i: number, j: number, v: number) => { p.w[i * n + j] = v; p.w[j * n + i] = v; };
    set(t, 0, 1, 0.5); set(t, 1, 2, -1); set(t, 2, 3, 1);
    set(e, 0, 1, 0.3); set(e, 1, 2, -0.2); set(e, 0, 3, 0.26); // threshold 0.25: TP 1, FN 2, FP 1
    const s = supportF1(t, e);
    expect(s.threshold).toBe(0.25);
    expect([s.tp, s.fp, s.fn]).toEqual([1, 1, 2]);
    expect(s.f1).toBeCloseTo(2 / (2 + 1 + 2), 15);
  });
});
