/**
 * Spin data as text: one sample per line, values separated by spaces, tabs or commas; '#'
 * starts a comment line. Values ±1, or a file of only 0/1 read as 0 → −1, 1 → +1.
 * Errors name the file, line and column.
 */
import type { SpinData } from '../ising/types.js';

export interface ParsedSpinData extends SpinData {
  /** True when the file was all 0/1 and was converted to ±1. */
  from01: boolean;
}

export class DataFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFormatError';
  }
}

/** Parse spin text. `name` (usually the file name) prefixes every error message. */
export function parseSpinText(text: string, name = 'data'): ParsedSpinData {
  const lines = text.split(/\r?\n/);
  let n = -1;
  const vals: number[] = [];
  let sawMinus = false;
  let sawZero = false;
  let firstMinus = '';
  let firstZero = '';
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const cols: number[] = [];
    // Tokens with their 1-based character columns.
    const re = /[^\s,]+/g;
    let match: RegExpExecArray | null;
    let count = 0;
    while ((match = re.exec(line)) !== null) {
      count++;
      const tok = match[0];
      const where = `${name}:${li + 1}:${match.index + 1}`;
      const v = Number(tok);
      if (!(v === 1 || v === -1 || v === 0) || tok.trim() === '') {
        throw new DataFormatError(`${where}: expected -1, 1 (or 0/1), got '${tok.length > 20 ? tok.slice(0, 20) + '…' : tok}'`);
      }
      if (v === -1 && !sawMinus) {
        sawMinus = true;
        firstMinus = where;
      }
      if (v === 0 && !sawZero) {
        sawZero = true;
        firstZero = where;
      }
      if (sawMinus && sawZero) {
        const other = v === 0 ? `a -1 at ${firstMinus}` : `a 0 at ${firstZero}`;
        throw new DataFormatError(`${where}: '${tok}' mixes the 0/1 and ±1 conventions (${other}); use one throughout`);
      }
      cols.push(v);
    }
    if (line.includes(',')) {
      // Empty fields between commas (",,") are errors, not skipped values.
      const fields = line.split(',');
      if (fields.some((f) => f.trim() === '')) throw new DataFormatError(`${name}:${li + 1}: empty field between commas`);
    }
    if (n < 0) n = count;
    else if (count !== n) throw new DataFormatError(`${name}:${li + 1}: expected ${n} values (as on the first data line), got ${count}`);
    for (const v of cols) vals.push(v);
  }
  if (n <= 0) throw new DataFormatError(`${name}: no data lines`);
  const m = vals.length / n;
  const s = new Int8Array(vals.length);
  const from01 = sawZero;
  for (let k = 0; k < vals.length; k++) s[k] = from01 ? (vals[k] ? 1 : -1) : vals[k]!;
  return { n, m, s, from01 };
}

/** Format spin data as text, one sample per line, space separated (±1, or 0/1 when asked). */
export function formatSpinText(data: SpinData, opts: { zeroOne?: boolean; header?: string } = {}): string {
  const { n, m, s } = data;
  const parts: string[] = [];
  if (opts.header) for (const l of opts.header.split('\n')) parts.push(`# ${l}`);
  const row = new Array<string>(n);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) {
      const v = s[k * n + i]!;
      row[i] = opts.zeroOne ? (v > 0 ? '1' : '0') : v > 0 ? '1' : '-1';
    }
    parts.push(row.join(' '));
  }
  return parts.join('\n') + '\n';
}

/** Rows `rows` of a data set, as a new data set. */
export function selectRows(data: SpinData, rows: ArrayLike<number>): SpinData {
  const { n } = data;
  const s = new Int8Array(rows.length * n);
  for (let r = 0; r < rows.length; r++) s.set(data.s.subarray(rows[r]! * n, rows[r]! * n + n), r * n);
  return { n, m: rows.length, s };
}

/** Data sets stacked (same n). */
export function concatData(parts: SpinData[]): SpinData {
  if (parts.length === 0) throw new Error('concatData: nothing to concatenate');
  const n = parts[0]!.n;
  let m = 0;
  for (const p of parts) {
    if (p.n !== n) throw new Error(`concatData: n=${p.n} differs from n=${n}`);
    m += p.m;
  }
  const s = new Int8Array(m * n);
  let o = 0;
  for (const p of parts) {
    s.set(p.s.subarray(0, p.m * n), o);
    o += p.m * n;
  }
  return { n, m, s };
}
