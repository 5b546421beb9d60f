/**
 * The data types shared by the Ising layer and the file formats (src/io): spin samples and Ising
 * parameters, with their constructors and the well-formedness check. They sit below both, so io
 * does not import ising; src/ising re-exports them.
 */
import { DataError } from '../util/errors.js';

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

export function zeroParams(n: number): IsingParams {
  return { n, b: new Float64Array(n), w: new Float64Array(n * n) };
}

export function cloneParams(p: IsingParams): IsingParams {
  return { n: p.n, b: Float64Array.from(p.b), w: Float64Array.from(p.w) };
}

export function makeSpinData(n: number, m: number, s?: Int8Array): SpinData {
  const arr = s ?? new Int8Array(n * m);
  if (arr.length !== n * m) throw new DataError(`SpinData: expected ${n * m} values (m=${m} × n=${n}), got ${arr.length}`);
  return { n, m, s: arr };
}

/** Throws unless p is well formed: sizes, finite values, symmetric w with zero diagonal. */
export function checkParams(p: IsingParams, where = 'params', tol = 1e-9): void {
  const { n, b, w } = p;
  if (!(Number.isInteger(n) && n >= 1)) throw new DataError(`${where}: n must be a positive integer, got ${n}`);
  if (b.length !== n) throw new DataError(`${where}: b has ${b.length} entries, expected n=${n}`);
  if (w.length !== n * n) throw new DataError(`${where}: w has ${w.length} entries, expected n²=${n * n}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(b[i]!)) throw new DataError(`${where}: b[${i}] is ${b[i]}, not a finite number`);
    if (w[i * n + i] !== 0) throw new DataError(`${where}: w[${i}][${i}] = ${w[i * n + i]}, the diagonal must be 0`);
    for (let j = i + 1; j < n; j++) {
      const a = w[i * n + j]!;
      const c = w[j * n + i]!;
      if (!Number.isFinite(a) || !Number.isFinite(c)) throw new DataError(`${where}: w[${i}][${j}] is not a finite number`);
      if (Math.abs(a - c) > tol * Math.max(1, Math.abs(a), Math.abs(c))) {
        throw new DataError(`${where}: w[${i}][${j}] = ${a} but w[${j}][${i}] = ${c}; w must be symmetric`);
      }
    }
  }
}
