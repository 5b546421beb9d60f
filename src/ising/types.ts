/** Core Ising types: plain typed arrays, float64 parameters. */

/** m samples × n spins, row-major, values ±1. */
export interface SpinData {
  n: number;
  m: number;
  s: Int8Array;
}

/** Fields b (length n) and couplings w (n×n row-major, symmetric, zero diagonal). */
export interface IsingParams {
  n: number;
  b: Float64Array;
  w: Float64Array;
}

/** What every inference method returns: the params plus how they were obtained. */
export interface InferResult {
  params: IsingParams;
  method: string;
  settings: Record<string, unknown>;
  diagnostics: Record<string, unknown>;
}

/** Optional hooks for long loops (library code never prints). */
export interface LoopHooks {
  onProgress?: (done: number, total: number, info?: Record<string, number>) => void;
  signal?: { aborted: boolean };
}

export function zeroParams(n: number): IsingParams {
  return { n, b: new Float64Array(n), w: new Float64Array(n * n) };
}

export function cloneParams(p: IsingParams): IsingParams {
  return { n: p.n, b: Float64Array.from(p.b), w: Float64Array.from(p.w) };
}

export function makeSpinData(n: number, m: number, s?: Int8Array): SpinData {
  const arr = s ?? new Int8Array(n * m);
  if (arr.length !== n * m) throw new Error(`SpinData: expected ${n * m} values (m=${m} × n=${n}), got ${arr.length}`);
  return { n, m, s: arr };
}
