/**
 * NumPy .npy (format 1.0–3.0) for spin data: reads 2-D arrays (samples × spins) of int8/16/32/64, uint8,
 * bool, float32/64 (C or Fortran order, either byte order); values must be ±1, or all 0/1.
 * Writes int8 C-order arrays.
 */
import type { SpinData } from '../types/index.js';
import { DataFormatError, checkShape, type ParsedSpinData } from './data.js';
import { dims } from '../util/checked.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpy(bytes: Uint8Array, name = 'data.npy'): ParsedSpinData {
  if (bytes.length < 10 || MAGIC.some((c, i) => bytes[i] !== c)) throw new DataFormatError(`${name}: not a .npy file (bad magic bytes)`);
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let hstart: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataFormatError(`${name}: truncated header`);
    hlen = dv.getUint32(8, true);
    hstart = 12;
  } else throw new DataFormatError(`${name}: unsupported .npy version ${major}`);
  if (hstart + hlen > bytes.length) throw new DataFormatError(`${name}: truncated header`);
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new DataFormatError(`${name}: malformed .npy header: ${header.trim()}`);
  const shape = shapeStr.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (shape.length === 1 && Number.isInteger(shape[0])) {
    // Ambiguous: one sample, or many samples of one spin? Refused rather than guessed.
    throw new DataFormatError(`${name}: a 1-D array of ${shape[0]} values; expected 2-D (samples × spins) — save x.reshape(1, -1) for one sample or x.reshape(-1, n) for samples of n spins`);
  }
  if (shape.length !== 2 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new DataFormatError(`${name}: expected a 2-D array (samples × spins), got shape (${shapeStr})`);
  }
  const [m, n] = dims(shape, 2, name);
  if (n === 0 || m === 0) throw new DataFormatError(`${name}: empty array, shape (${shapeStr})`);
  checkShape(n, m, name);
  const little = descr[0] !== '>';
  const kind = descr.replace(/^[<>|=]/, '');
  const sizes: Record<string, number> = { i1: 1, u1: 1, b1: 1, i2: 2, i4: 4, i8: 8, f4: 4, f8: 8 };
  const size = sizes[kind];
  if (size === undefined) throw new DataFormatError(`${name}: unsupported dtype '${descr}' (use int8, int16/32/64, uint8, bool, float32/64)`);
  const dataStart = hstart + hlen;
  const count = m * n;
  if (bytes.length < dataStart + count * size) throw new DataFormatError(`${name}: file too short for shape (${shapeStr}) of ${descr}`);
  const read = (k: number): number => {
    const o = dataStart + k * size;
    switch (kind) {
      case 'i1': return dv.getInt8(o);
      case 'u1': case 'b1': return dv.getUint8(o);
      case 'i2': return dv.getInt16(o, little);
      case 'i4': return dv.getInt32(o, little);
      case 'i8': return Number(dv.getBigInt64(o, little));
      case 'f4': return dv.getFloat32(o, little);
      default: return dv.getFloat64(o, little);
    }
  };
  const s = new Int8Array(count);
  let sawMinus = false;
  let sawZero = false;
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < n; i++) {
      const k = fortran === 'True' ? i * m + r : r * n + i;
      const v = read(k);
      if (v !== 1 && v !== -1 && v !== 0) throw new DataFormatError(`${name}: sample ${r + 1}, spin ${i + 1}: expected -1, 1 (or 0/1), got ${v}`);
      if (v === -1) sawMinus = true;
      if (v === 0) sawZero = true;
      if (sawMinus && sawZero) throw new DataFormatError(`${name}: sample ${r + 1}, spin ${i + 1}: mixes the 0/1 and ±1 conventions`);
      s[r * n + i] = v;
    }
  }
  if (sawZero) for (let k = 0; k < count; k++) s[k] = s[k] ? 1 : -1;
  return { n, m, s, from01: sawZero };
}

/** Encode spin data as a .npy int8 array of shape (m, n). */
export function encodeNpy(data: SpinData): Uint8Array {
  let header = `{'descr': '|i1', 'fortran_order': False, 'shape': (${data.m}, ${data.n}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const hb = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + hb.length + data.m * data.n);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, hb.length, true);
  out.set(hb, 10);
  out.set(new Uint8Array(data.s.buffer, data.s.byteOffset, data.m * data.n), 10 + hb.length);
  return out;
}
