/**
 * Sparse truths, where interaction screening is designed to shine: the 2D lattice (open or
 * periodic) and Erdős–Rényi graphs of a given mean degree, each with couplings of a given strength,
 * ±J (random signs) or Gaussian N(0, J²), and optional fields N(0, fieldSd²). Random streams are
 * derived by name (edges / couplings / fields), so e.g. the graph does not change with the fields.
 */
import type { Rng } from '../random/index.js';
import type { IsingParams } from './types.js';

export type CouplingLaw = 'pm' | 'gauss';

export interface SparseCouplingOptions {
  /** Coupling strength J: ±J, or the standard deviation of Gaussian couplings (default 1). */
  J?: number;
  /** 'pm' (±J with random signs, default) or 'gauss' (N(0, J²)). */
  law?: CouplingLaw;
  /** Standard deviation of the fields b_i (default 0: no fields). */
  fieldSd?: number;
}

function check(name: string, v: number, ok: boolean): void {
  if (!ok) throw new Error(`${name} = ${v} is out of range`);
}

/** Put couplings on a list of edges (i < j) and draw fields. */
export function paramsOnEdges(n: number, edges: ReadonlyArray<readonly [number, number]>, rng: Rng, opts: SparseCouplingOptions = {}): IsingParams {
  const J = opts.J ?? 1;
  const law = opts.law ?? 'pm';
  const fieldSd = opts.fieldSd ?? 0;
  check('J', J, Number.isFinite(J) && J >= 0);
  check('fieldSd', fieldSd, Number.isFinite(fieldSd) && fieldSd >= 0);
  if (law !== 'pm' && law !== 'gauss') throw new Error(`coupling law must be 'pm' or 'gauss', got '${String(law)}'`);
  const rc = rng.fold('couplings');
  const rf = rng.fold('fields');
  const b = new Float64Array(n);
  const w = new Float64Array(n * n);
  for (const [i, j] of edges) {
    let v = law === 'pm' ? (rc.uniform() < 0.5 ? -J : J) : rc.normal(0, J);
    if (v === 0 && J > 0) v = J; // keep the graph: an exact zero would hide an edge
    w[i * n + j] = v;
    w[j * n + i] = v;
  }
  if (fieldSd > 0) for (let i = 0; i < n; i++) b[i] = rf.normal(0, fieldSd);
  return { n, b, w };
}

/** Edges of a rows × cols square lattice (spin r·cols + c), nearest neighbours, open or periodic. */
export function latticeEdges(rows: number, cols: number, periodic: boolean): Array<[number, number]> {
  check('rows', rows, Number.isInteger(rows) && rows >= 1);
  check('cols', cols, Number.isInteger(cols) && cols >= 1);
  const set = new Set<number>();
  const out: Array<[number, number]> = [];
  const n = rows * cols;
  const add = (a: number, c: number) => {
    if (a === c) return;
    const i = Math.min(a, c);
    const j = Math.max(a, c);
    if (set.has(i * n + j)) return; // a periodic side of 2 would add the same bond twice
    set.add(i * n + j);
    out.push([i, j]);
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      if (c + 1 < cols) add(k, k + 1);
      else if (periodic) add(k, r * cols);
      if (r + 1 < rows) add(k, k + cols);
      else if (periodic) add(k, c);
    }
  }
  return out.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** A rows × cols lattice Ising model. */
export function latticeParams(rows: number, cols: number, rng: Rng, opts: SparseCouplingOptions & { periodic?: boolean } = {}): IsingParams {
  return paramsOnEdges(rows * cols, latticeEdges(rows, cols, opts.periodic ?? true), rng, opts);
}

/** The most square rows × cols = n factorisation (rows ≤ cols), e.g. 20 → 4×5, 40 → 5×8, 60 → 6×10. */
export function squarishShape(n: number): [number, number] {
  check('n', n, Number.isInteger(n) && n >= 1);
  let r = Math.floor(Math.sqrt(n));
  while (n % r !== 0) r--;
  return [r, n / r];
}

/** Erdős–Rényi G(n, p) edges with p = degree/(n − 1), so the mean degree is `degree`. */
export function erdosRenyiEdges(n: number, degree: number, rng: Rng): Array<[number, number]> {
  check('n', n, Number.isInteger(n) && n >= 2);
  check('degree', degree, Number.isFinite(degree) && degree >= 0 && degree <= n - 1);
  const p = degree / (n - 1);
  const re = rng.fold('edges');
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (re.uniform() < p) out.push([i, j]);
  return out;
}

/** An Erdős–Rényi Ising model with mean degree `degree`. */
export function erdosRenyiParams(n: number, degree: number, rng: Rng, opts: SparseCouplingOptions = {}): IsingParams {
  return paramsOnEdges(n, erdosRenyiEdges(n, degree, rng), rng, opts);
}
