/**
 * Params JSON: {"n": N, "b": [N numbers], "w": [[N numbers] × N]}, w symmetric with zero
 * diagonal; extra fields (method, epsilon, …) are kept in `extra`.
 */
import { checkParams } from '../types/index.js';
import type { IsingParams } from '../types/index.js';
import { DataError } from '../util/errors.js';

export function paramsToJSON(p: IsingParams, extra: Record<string, unknown> = {}): string {
  const { n, b, w } = p;
  const bad = firstNonFinite(p);
  if (bad !== null) throw new NonFiniteParamsError(`parameters are not finite (${bad}): the fit diverged; nothing written`);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`    [${Array.from(w.subarray(i * n, i * n + n), num).join(', ')}]`);
  const head: string[] = [`  "n": ${n}`, `  "b": [${Array.from(b, num).join(', ')}]`, `  "w": [\n${rows.join(',\n')}\n  ]`];
  for (const [k, v] of Object.entries(extra)) {
    if (k === 'n' || k === 'b' || k === 'w' || v === undefined) continue;
    head.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v, jsonSafe)}`);
  }
  return `{\n${head.join(',\n')}\n}\n`;
}

/** Thrown by paramsToJSON for a NaN or infinite parameter: JSON cannot hold it, and it means a failed fit. */
export class NonFiniteParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteParamsError';
  }
}

/** The first non-finite entry of b or w, as 'b[3] = NaN', or null when all are finite. */
export function firstNonFinite(p: IsingParams): string | null {
  const { n, b, w } = p;
  const i = b.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) return `b[${i}] = ${b[i]}`;
  const k = w.findIndex((v) => !Number.isFinite(v));
  if (k >= 0) return `w[${Math.floor(k / n)}][${k % n}] = ${w[k]}`;
  return null;
}

function num(v: number): string {
  if (!Number.isFinite(v)) throw new NonFiniteParamsError(`paramsToJSON: non-finite value ${v}`);
  return String(v);
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array) return Array.from(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

export interface ParsedParams extends IsingParams {
  extra: Record<string, unknown>;
}

/** Parse and validate params JSON; errors start with `name`. */
export function paramsFromJSON(text: string, name = 'params'): ParsedParams {
  let o: unknown;
  // A byte-order mark (Windows editors) is accepted, as in data files.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${name}: ${text.trim() === '' ? 'empty file, expected params JSON' : `not valid JSON (${(e as Error).message})`}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new DataError(`${name}: expected a JSON object {"n", "b", "w"}`);
  const obj = o as Record<string, unknown>;
  const n = obj['n'];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new DataError(`${name}: "n" must be a positive integer, got ${JSON.stringify(n)}`);
  const bRaw = obj['b'];
  if (!Array.isArray(bRaw)) throw new DataError(`${name}: "b" must be an array of ${n} numbers`);
  if (bRaw.length !== n) throw new DataError(`${name}: "b" has ${bRaw.length} entries, expected n=${n}`);
  const b = new Float64Array(n);
  bRaw.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError(`${name}: b[${i}] is ${JSON.stringify(v)}, not a finite number`);
    b[i] = v;
  });
  const wRaw = obj['w'];
  if (!Array.isArray(wRaw) || wRaw.length !== n) throw new DataError(`${name}: "w" must be an array of ${n} rows of ${n} numbers`);
  const w = new Float64Array(n * n);
  wRaw.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) throw new DataError(`${name}: w[${i}] must be an array of ${n} numbers`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError(`${name}: w[${i}][${j}] is ${JSON.stringify(v)}, not a finite number`);
      w[i * n + j] = v;
    });
  });
  const p = { n, b, w };
  try {
    checkParams(p, name);
  } catch (e) {
    throw new DataError((e as Error).message);
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'n' && k !== 'b' && k !== 'w') extra[k] = v;
  return { ...p, extra };
}

