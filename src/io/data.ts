/**
 * Spin data as text: one sample per line, values separated by spaces, tabs or commas; '#'
 * starts a comment line. Values ±1, or a file of only 0/1 read as 0 → −1, 1 → +1.
 * Errors name the file, line and column.
 */
import type { SpinData } from '../types/index.js';
import { DataError } from '../util/errors.js';
import { at } from '../util/checked.js';

export interface ParsedSpinData extends SpinData {
  /** True when the file was all 0/1 and was converted to ±1. */
  from01: boolean;
}

/** A malformed data file; a DataError, so the CLI maps it like any data error. */
export class DataFormatError extends DataError {
  constructor(message: string) {
    super(message);
    this.name = 'DataFormatError';
  }
}

/** Parse spin text. `name` (usually the file name) prefixes every error message. */
export function parseSpinText(text: string, name = 'data'): ParsedSpinData {
  // A hand-written scanner (no per-token regex or arrays): 10⁷ values parse in about a second.
  let buf = new Int8Array(1 << 16);
  let len = 0;
  let n = -1;
  let firstMinus = '';
  let firstZero = '';
  const L = text.length;
  let pos = 0;
  let line = 0;
  // Lines end at \n, \r\n or a bare \r (old Mac files): the next of each is cached, so a file
  // without \r is scanned for it once, not once per line.
  let nextLF = -1;
  let nextCR = -1;
  // A byte-order mark (Windows editors) is skipped.
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  while (pos < L) {
    line++;
    if (nextLF < pos) {
      nextLF = text.indexOf('\n', pos);
      if (nextLF < 0) nextLF = L;
    }
    if (nextCR < pos) {
      nextCR = text.indexOf('\r', pos);
      if (nextCR < 0) nextCR = L;
    }
    const eol = Math.min(nextLF, nextCR);
    const next = eol === nextCR && text.charCodeAt(eol + 1) === 10 ? eol + 2 : eol + 1;
    const lineStart = pos;
    // Skip leading blanks; blank and comment lines carry no data.
    let i = pos;
    while (i < eol && isBlank(text.charCodeAt(i))) i++;
    if (i >= eol || text.charCodeAt(i) === 35 /* # */) {
      pos = next;
      continue;
    }
    let count = 0;
    let sawComma = false;
    let tokenSinceComma = false;
    while (i < eol) {
      const c = text.charCodeAt(i);
      if (isBlank(c)) {
        i++;
        continue;
      }
      if (c === 44 /* , */) {
        if (!tokenSinceComma) throw new DataFormatError(`${name}:${line}: empty field between commas`);
        sawComma = true;
        tokenSinceComma = false;
        i++;
        continue;
      }
      let j = i;
      while (j < eol) {
        const d = text.charCodeAt(j);
        if (isBlank(d) || d === 44) break;
        j++;
      }
      const col = i - lineStart + 1;
      let v: number;
      const tl = j - i;
      if (tl === 1 && c === 49) v = 1;
      else if (tl === 1 && c === 48) v = 0;
      else if (tl === 2 && c === 45 && text.charCodeAt(i + 1) === 49) v = -1;
      else {
        const tok = text.slice(i, j);
        v = Number(tok);
        if (!(v === 1 || v === -1 || v === 0)) {
          throw new DataFormatError(`${name}:${line}:${col}: expected -1, 1 (or 0/1), got '${tok.length > 20 ? tok.slice(0, 20) + '…' : tok}'`);
        }
      }
      if (v === -1) {
        if (firstZero !== '') throw mixed(name, line, col, text.slice(i, j), `a 0 at ${firstZero}`);
        if (firstMinus === '') firstMinus = `${name}:${line}:${col}`;
      } else if (v === 0) {
        if (firstMinus !== '') throw mixed(name, line, col, text.slice(i, j), `a -1 at ${firstMinus}`);
        if (firstZero === '') firstZero = `${name}:${line}:${col}`;
      }
      if (len === buf.length) {
        const nb = new Int8Array(buf.length * 2);
        nb.set(buf);
        buf = nb;
      }
      buf[len++] = v;
      count++;
      tokenSinceComma = true;
      i = j;
    }
    if (sawComma && !tokenSinceComma) throw new DataFormatError(`${name}:${line}: empty field between commas`);
    if (n < 0) n = count;
    else if (count !== n) throw new DataFormatError(`${name}:${line}: expected ${n} values (as on the first data line), got ${count}`);
    pos = next;
  }
  if (n <= 0) throw new DataFormatError(`${name}: no data lines`);
  const m = len / n;
  checkShape(n, m, name);
  const s = buf.slice(0, len);
  const from01 = firstZero !== '';
  if (from01) for (let k = 0; k < len; k++) s[k] = s[k] ? 1 : -1;
  return { n, m, s, from01 };
}

/** One sample of many spins is almost always a file read wrong (lost line breaks, a transposed array). */
export const MAX_ONE_SAMPLE_N = 1000;

/** Refuse data that is one sample of more than MAX_ONE_SAMPLE_N spins, with the likely causes. */
export function checkShape(n: number, m: number, name: string): void {
  if (m === 1 && n > MAX_ONE_SAMPLE_N) {
    throw new DataFormatError(`${name}: one sample of ${n} spins — the line breaks were probably lost or the array is transposed; expected one sample per line (samples × spins)`);
  }
}

function mixed(name: string, line: number, col: number, tok: string, other: string): DataFormatError {
  return new DataFormatError(`${name}:${line}:${col}: '${tok}' mixes the 0/1 and ±1 conventions (${other}); use one throughout`);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** Format spin data as text, one sample per line, space separated (±1, or 0/1 when asked). */
export function formatSpinText(data: SpinData, opts: { zeroOne?: boolean; header?: string } = {}): string {
  const { n, m, s } = data;
  const head = opts.header ? opts.header.split('\n').map((l) => `# ${l}\n`).join('') : '';
  // Bytes first, decoded once: "-1" is at most 2 bytes plus a separator.
  const out = new Uint8Array(m * n * 3);
  let o = 0;
  const zo = Boolean(opts.zeroOne);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) {
      const v = s[k * n + i]!;
      if (zo) out[o++] = v > 0 ? 49 : 48;
      else if (v > 0) out[o++] = 49;
      else {
        out[o++] = 45;
        out[o++] = 49;
      }
      out[o++] = i === n - 1 ? 10 : 32;
    }
  }
  return head + new TextDecoder().decode(out.subarray(0, o));
}

/** Rows `rows` of a data set, as a new data set. */
export function selectRows(data: SpinData, rows: ArrayLike<number>): SpinData {
  const { n } = data;
  const s = new Int8Array(rows.length * n);
  for (let r = 0; r < rows.length; r++) {
    const o = at(rows, r, 'selectRows rows') * n;
    s.set(data.s.subarray(o, o + n), r * n);
  }
  return { n, m: rows.length, s };
}

/** Data sets stacked (same n). */
export function concatData(parts: SpinData[]): SpinData {
  const [first] = parts;
  if (first === undefined) throw new Error('concatData: nothing to concatenate');
  const n = first.n;
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
