/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), so that a
 * PyTorch user can load our weights by the same names, and we theirs:
 *
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, …}
 *             padded with spaces so that N is a multiple of 8 (as the reference writer does)
 *   rest      the byte buffer; data_offsets are relative to its start, little-endian values,
 *             tensors contiguous and non-overlapping, covering the whole buffer.
 *
 * Node-free (Uint8Array / DataView only) so it runs in browsers; files are read and written by
 * the caller (the CLI uses writeFileAtomic). Float data is copied byte for byte, so a round trip
 * is bit-exact, NaN payloads and −0 included.
 */
import { Tensor, empty, type DType } from '../tensor/index.js';
import { DataError } from '../util/errors.js';
import { entry } from '../util/checked.js';

export type SafetensorsDType =
  | 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** Bytes per element of each dtype this module reads. */
const DTYPE_BYTES: Record<SafetensorsDType, number> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The reference reader refuses headers above 100 MB; so do we (a corrupt length would otherwise allocate). */
const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function storageDtype(dtype: DType): SafetensorsDType {
  return dtype === 'float64' ? 'F64' : 'F32';
}

/** The bytes of a typed array's little-endian representation (a view on little-endian hosts). */
function littleEndianBytes(data: Float32Array | Float64Array): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST) return view;
  const out = new Uint8Array(view.length);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < view.length; i += w) for (let j = 0; j < w; j++) out[i + j] = view[i + w - 1 - j]!;
  return out;
}

/**
 * Encode named float32/float64 tensors (and optional string metadata) as a safetensors byte array.
 * Layout as the reference writer: tensors ordered by dtype width (widest first) then by name,
 * header JSON without whitespace, padded with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new Error(`encodeSafetensors: entry '${name}' is not a Tensor`);
    if (name === '__metadata__') throw new Error(`encodeSafetensors: '__metadata__' is reserved and cannot name a tensor`);
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`encodeSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    }
  }
  names.sort((a, b) => {
    const wa = entry(tensors, a, 'tensors').data.BYTES_PER_ELEMENT;
    const wb = entry(tensors, b, 'tensors').data.BYTES_PER_ELEMENT;
    if (wa !== wb) return wb - wa;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = entry(tensors, name, 'tensors');
    const nbytes = t.data.byteLength;
    header[name] = { dtype: storageDtype(t.dtype), shape: t.shape.slice(), data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, padded, true);
  dv.setUint32(4, Math.floor(padded / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const name of names) {
    const bytes = littleEndianBytes(entry(tensors, name, 'tensors').data);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, info: unknown): Entry {
  const where = `safetensors: tensor '${name}'`;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) throw new DataError(`${where}: header entry must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new DataError(`${where}: missing or non-string "dtype"`);
  if (!Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype)) {
    throw new DataError(`${where}: unknown or unsupported dtype '${dtype}' (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new DataError(`${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new DataError(`${where}: "data_offsets" must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new DataError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end };
}

/** float16 bits → number (exact). */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Copy a little-endian F32/F64 byte range into a fresh tensor's storage, bit for bit. */
function copyFloat(bytes: Uint8Array, e: Entry, dtype: DType): Tensor {
  const t = empty(e.shape, dtype);
  const dst = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const src = bytes.subarray(e.begin, e.end);
  if (LITTLE_ENDIAN_HOST) dst.set(src);
  else {
    const w = t.data.BYTES_PER_ELEMENT;
    for (let i = 0; i < src.length; i += w) for (let j = 0; j < w; j++) dst[i + j] = src[i + w - 1 - j]!;
  }
  return t;
}

/** Convert another dtype to a float tensor: F16/BF16/8- and 16-bit ints/BOOL → float32 (exact); 32/64-bit ints → float64. */
function convert(dv: DataView, base: number, e: Entry): Tensor {
  const wide = e.dtype === 'I32' || e.dtype === 'U32' || e.dtype === 'I64' || e.dtype === 'U64';
  const t = empty(e.shape, wide ? 'float64' : 'float32');
  const out = t.data;
  const w = DTYPE_BYTES[e.dtype];
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  const p0 = base + e.begin;
  for (let i = 0; i < t.size; i++) {
    const p = p0 + i * w;
    switch (e.dtype) {
      case 'BOOL': out[i] = dv.getUint8(p) !== 0 ? 1 : 0; break;
      case 'U8': out[i] = dv.getUint8(p); break;
      case 'I8': out[i] = dv.getInt8(p); break;
      case 'I16': out[i] = dv.getInt16(p, true); break;
      case 'U16': out[i] = dv.getUint16(p, true); break;
      case 'F16': out[i] = halfToNumber(dv.getUint16(p, true)); break;
      case 'BF16': {
        // bfloat16 is the top half of a float32.
        bits[0] = dv.getUint16(p, true) << 16;
        out[i] = asFloat[0]!;
        break;
      }
      case 'I32': out[i] = dv.getInt32(p, true); break;
      case 'U32': out[i] = dv.getUint32(p, true); break;
      case 'I64': out[i] = Number(dv.getBigInt64(p, true)); break; // exact up to 2^53
      case 'U64': out[i] = Number(dv.getBigUint64(p, true)); break;
      default: throw new DataError(`safetensors: tensor '${e.name}': no conversion for dtype ${e.dtype}`);
    }
  }
  return t;
}

/**
 * Decode a safetensors byte array. F32 → float32 and F64 → float64 tensors, bit-exact; F16, BF16,
 * BOOL and integer dtypes are converted to float tensors (see `convert`). Every malformation is a
 * clear error: short file, header length beyond the file, header not JSON, unknown dtype, byte
 * count not matching shape × dtype, offsets out of range, overlapping or leaving gaps.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new DataError('decodeSafetensors: expected a Uint8Array');
  if (bytes.length < 8) throw new DataError(`safetensors: file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 4294967296 + lo;
  if (hi !== 0 || n > MAX_HEADER_BYTES) throw new DataError(`safetensors: header length ${hi === 0 ? n : `≥ 2^32 (${n})`} is larger than the limit of ${MAX_HEADER_BYTES} bytes (corrupt file?)`);
  if (8 + n > bytes.length) throw new DataError(`safetensors: header length ${n} goes beyond the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new DataError('safetensors: header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new DataError(`safetensors: header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new DataError(`safetensors: header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new DataError('safetensors: header must be a JSON object');

  // Null-prototype records: a tensor named '__proto__' must stay an ordinary key.
  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) throw new DataError('safetensors: "__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new DataError(`safetensors: "__metadata__" value '${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, info));
  }

  const dataLength = bytes.length - 8 - n;
  for (const e of entries) {
    let count = 1;
    for (const d of e.shape) count *= d;
    const want = count * DTYPE_BYTES[e.dtype];
    if (e.end - e.begin !== want) {
      throw new DataError(`safetensors: tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] hold ${e.end - e.begin} bytes, but shape [${e.shape.join(', ')}] × ${e.dtype} needs ${want}`);
    }
    if (e.end > dataLength) {
      throw new DataError(`safetensors: tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] out of range: the data buffer has ${dataLength} bytes (file truncated?)`);
    }
  }
  // Contiguity, as the reference reader checks: sorted by offset, each begins where the last ended,
  // and together they cover the whole buffer.
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < pos) {
      throw new DataError(`safetensors: tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]`);
    }
    if (e.begin > pos) {
      throw new DataError(`safetensors: bytes [${pos}, ${e.begin}) before tensor '${e.name}' belong to no tensor (offsets not contiguous)`);
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) throw new DataError(`safetensors: the data buffer has ${dataLength} bytes but the tensors cover only ${pos} (trailing bytes)`);

  const base = 8 + n;
  const data = bytes.subarray(base);
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const e of entries) {
    tensors[e.name] =
      e.dtype === 'F32' ? copyFloat(data, e, 'float32')
        : e.dtype === 'F64' ? copyFloat(data, e, 'float64')
          : convert(dv, base, e);
  }
  return { tensors, metadata };
}
