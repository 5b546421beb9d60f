import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Tensor, fromStorage, tensor } from '../../src/tensor/index.js';

/**
 * Files written by the reference implementation (Python safetensors 0.8.0, numpy API) by this script:
 *
 *   f32 = np.array([1.5, -0.0, np.inf, -np.inf, 1e-45, 3.4028235e38], dtype=np.float32)
 *   nanp = np.array([0x7fc00001, 0x7f800001, 0xffc12345], dtype=np.uint32).view(np.float32)
 *   f64 = np.array([[0.1, -2.5e-310], [np.pi, -0.0]], dtype=np.float64)
 *   REF_A = save({'zeta.weight': f32.reshape(2, 3), 'alpha.bias': nanp, 'mid.w64': f64,
 *                 'scalar': np.array(7.25, dtype=np.float32), 'empty': np.zeros((0, 3), dtype=np.float32)},
 *                metadata={'format': 'pt'})
 *   REF_B = save({'f16': np.array([1.0, -2.0, 65504.0, 2.0**-24, np.inf], dtype=np.float16),
 *                 'i64': np.array([-(2**53), 2**53, -1], dtype=np.int64),
 *                 'i32': np.array([-(2**31), 2**31 - 1], dtype=np.int32),
 *                 'u32': np.array([2**32 - 1], dtype=np.uint32), 'i16': np.array([-32768, 32767], dtype=np.int16),
 *                 'u16': np.array([65535], dtype=np.uint16), 'i8': np.array([-128, 127], dtype=np.int8),
 *                 'u8': np.array([0, 255], dtype=np.uint8), 'b': np.array([True, False, True]),
 *                 'u64': np.array([2**53], dtype=np.uint64)})
 */
const REF_A = 'YAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJtaWQudzY0Ijp7ImR0eXBlIjoiRjY0Iiwic2hhcGUiOlsyLDJdLCJkYXRhX29mZnNldHMiOlswLDMyXX0sImFscGhhLmJpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlszMiw0NF19LCJlbXB0eSI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMCwzXSwiZGF0YV9vZmZzZXRzIjpbNDQsNDRdfSwic2NhbGFyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOls0NCw0OF19LCJ6ZXRhLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbNDgsNzJdfX0gICAgICAgmpmZmZmZuT9sP5pcBS4AgBgtRFT7IQlAAAAAAAAAAIABAMB/AQCAf0Ujwf8AAOhAAADAPwAAAIAAAIB/AACA/wEAAAD//39/';
const REF_B = 'OAIAAAAAAAB7InU2NCI6eyJkdHlwZSI6IlU2NCIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzAsOF19LCJpNjQiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls4LDMyXX0sInUzMiI6eyJkdHlwZSI6IlUzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzMyLDM2XX0sImkzMiI6eyJkdHlwZSI6IkkzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzM2LDQ0XX0sImYxNiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbNV0sImRhdGFfb2Zmc2V0cyI6WzQ0LDU0XX0sInUxNiI6eyJkdHlwZSI6IlUxNiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzU0LDU2XX0sImkxNiI6eyJkdHlwZSI6IkkxNiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzU2LDYwXX0sImk4Ijp7ImR0eXBlIjoiSTgiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls2MCw2Ml19LCJ1OCI6eyJkdHlwZSI6IlU4Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNjIsNjRdfSwiYiI6eyJkdHlwZSI6IkJPT0wiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls2NCw2N119fSAgICAgAAAAAAAAIAAAAAAAAADg/wAAAAAAACAA////////////////AAAAgP///38APADA/3sBAAB8//8AgP9/gH8A/wEAAQ==';

function b64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function f32FromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

/** The tensors of REF_A, built independently here. */
function refATensors(): Record<string, Tensor> {
  const f32 = new Float32Array([1.5, -0, Infinity, -Infinity, 1e-45, 3.4028235e38]);
  return {
    'zeta.weight': fromStorage(f32, [2, 3]),
    'alpha.bias': fromStorage(f32FromBits([0x7fc00001, 0x7f800001, 0xffc12345]), [3]),
    'mid.w64': fromStorage(new Float64Array([0.1, -2.5e-310, Math.PI, -0]), [2, 2]),
    scalar: fromStorage(new Float32Array([7.25]), []),
    empty: fromStorage(new Float32Array(0), [0, 3]),
  };
}

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** A file built by hand from a header object and raw data, following the spec (no padding unless asked). */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors against the reference implementation', () => {
  it('decodes a reference file bit-exactly (NaN payloads, -0, subnormals, scalar, empty)', () => {
    const { tensors, metadata } = decodeSafetensors(b64(REF_A));
    expect({ ...metadata }).toEqual({ format: 'pt' });
    const want = refATensors();
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(want).sort());
    for (const [name, w] of Object.entries(want)) {
      const t = tensors[name]!;
      expect(t.shape, name).toEqual(w.shape);
      expect(t.dtype, name).toBe(w.dtype);
      expect(Array.from(bytesOf(t)), name).toEqual(Array.from(bytesOf(w)));
    }
  });

  it('encodes byte-identically to the reference writer (order, padding, header JSON)', () => {
    const ours = encodeSafetensors(refATensors(), { format: 'pt' });
    expect(Buffer.from(ours).toString('base64')).toBe(REF_A);
  });

  it('decodes F16, integer and BOOL dtypes from the reference writer into float tensors', () => {
    const { tensors } = decodeSafetensors(b64(REF_B));
    const vals = (k: string) => Array.from(tensors[k]!.data);
    expect(vals('f16')).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect(vals('i64')).toEqual([-(2 ** 53), 2 ** 53, -1]);
    expect(vals('i32')).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect(vals('u32')).toEqual([2 ** 32 - 1]);
    expect(vals('i16')).toEqual([-32768, 32767]);
    expect(vals('u16')).toEqual([65535]);
    expect(vals('i8')).toEqual([-128, 127]);
    expect(vals('u8')).toEqual([0, 255]);
    expect(vals('b')).toEqual([1, 0, 1]);
    expect(vals('u64')).toEqual([2 ** 53]);
    expect(tensors.i32!.dtype).toBe('float64');
    expect(tensors.f16!.dtype).toBe('float32');
  });
});

describe('safetensors layout follows the spec', () => {
  it('our header: u64 LE length, multiple of 8, JSON then spaces, contiguous offsets, LE data', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' });
    const b = tensor([0.25, -1e300], { dtype: 'float64' });
    const bytes = encodeSafetensors({ 'w.a': a, 'w.b': b }, { note: 'hi' });
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(dv.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(/^\{.*\} *$/.test(text)).toBe(true);
    const header = JSON.parse(text);
    expect(header.__metadata__).toEqual({ note: 'hi' });
    expect(header['w.b']).toEqual({ dtype: 'F64', shape: [2], data_offsets: [0, 16] });
    expect(header['w.a']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [16, 40] });
    expect(bytes.length).toBe(8 + n + 40);
    const base = 8 + n;
    expect([dv.getFloat64(base, true), dv.getFloat64(base + 8, true)]).toEqual([0.25, -1e300]);
    for (let i = 0; i < 6; i++) expect(dv.getFloat32(base + 16 + 4 * i, true)).toBe(i + 1);
  });

  it('decodes a file built by hand: unpadded header, data section at an odd position', () => {
    // 8 + header length is not a multiple of 4 here, so float data is unaligned in the file.
    const data = new Uint8Array(8 + 12 + 1 + 2);
    const dv = new DataView(data.buffer);
    dv.setFloat64(0, -3.5, true);
    dv.setFloat32(8, 1.25, true);
    dv.setFloat32(12, -0.5, true);
    dv.setFloat32(16, 1e-40, true);
    dv.setInt8(20, -7);
    dv.setUint16(21, 0xc040, true); // bfloat16 −3
    const header = {
      x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
      y: { dtype: 'F32', shape: [3, 1], data_offsets: [8, 20] },
      k: { dtype: 'I8', shape: [1], data_offsets: [20, 21] },
      h: { dtype: 'BF16', shape: [], data_offsets: [21, 23] },
      __metadata__: { who: 'hand' },
    };
    let text = JSON.stringify(header);
    if ((8 + text.length) % 4 === 0) text += ' ';
    // And the whole array sits at an odd byte offset of its buffer.
    const file = build(null, data, text);
    const holder = new Uint8Array(file.length + 3);
    holder.set(file, 3);
    const { tensors, metadata } = decodeSafetensors(holder.subarray(3));
    expect(metadata.who).toBe('hand');
    expect(Array.from(tensors.x!.data)).toEqual([-3.5]);
    expect(tensors.y!.shape).toEqual([3, 1]);
    expect(Array.from(tensors.y!.data)).toEqual([1.25, -0.5, Math.fround(1e-40)]);
    expect(Array.from(tensors.k!.data)).toEqual([-7]);
    expect(tensors.h!.shape).toEqual([]);
    expect(tensors.h!.item()).toBe(-3);
  });
});

describe('safetensors round trip', () => {
  it('is bit-exact for random float32/float64 tensors, any bit pattern (fast-check)', () => {
    const arbTensor = fc.record({
      f64: fc.boolean(),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    }).map(({ f64, shape, seed }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const words = new Uint32Array(size * (f64 ? 2 : 1));
      let s = seed;
      for (let i = 0; i < words.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        words[i] = s ^ (s >>> 13) ^ Math.imul(i, 0x9e3779b9);
      }
      // Arbitrary bit patterns: include every kind of NaN, infinities, subnormals, -0.
      return fromStorage(f64 ? new Float64Array(words.buffer) : new Float32Array(words.buffer), shape);
    });
    fc.assert(fc.property(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__metadata__'), arbTensor, { maxKeys: 5 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      (tensors, metadata) => {
        const back = decodeSafetensors(encodeSafetensors(tensors, metadata));
        expect({ ...back.metadata }).toEqual(metadata);
        expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [k, t] of Object.entries(tensors)) {
          const u = back.tensors[k]!;
          expect(u.shape).toEqual(t.shape);
          expect(u.dtype).toBe(t.dtype);
          expect(Buffer.from(bytesOf(u)).equals(Buffer.from(bytesOf(t)))).toBe(true);
        }
      },
    ), { numRuns: 200 });
  });

  it('encodes tensors whose storage is a view into a larger buffer (backend-owned memory)', () => {
    const big = new Float32Array([9, 9, 1.5, -2, 9]);
    const t = fromStorage(big.subarray(2, 4), [2]);
    const back = decodeSafetensors(encodeSafetensors({ t }));
    expect(Array.from(back.tensors.t!.data)).toEqual([1.5, -2]);
  });

  it('keeps "__proto__" and other odd names as ordinary keys', () => {
    const t = tensor([1, 2]);
    const rec: Record<string, Tensor> = Object.create(null);
    rec['__proto__'] = t;
    rec['a b.ü'] = t;
    const back = decodeSafetensors(encodeSafetensors(rec));
    expect(Object.keys(back.tensors).sort()).toEqual(['__proto__', 'a b.ü']);
    expect(Array.from(back.tensors['__proto__']!.data)).toEqual([1, 2]);
  });

  it('rejects what it cannot encode', () => {
    expect(() => encodeSafetensors({ __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => encodeSafetensors({ a: [1, 2] as unknown as Tensor })).toThrow(/'a' is not a Tensor/);
    expect(() => encodeSafetensors({}, { k: 3 as unknown as string })).toThrow(/metadata 'k' must be a string/);
  });
});

describe('malformed safetensors files give clear errors', () => {
  const f32 = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('accepts the well-formed base case', () => {
    expect(Array.from(decodeSafetensors(build(ok, f32([1, 2]))).tensors.a!.data)).toEqual([1, 2]);
  });
  it('short file', () => {
    expect(() => decodeSafetensors(new Uint8Array(5))).toThrow(/5 bytes, too short/);
  });
  it('header length beyond the file', () => {
    const f = build(ok, f32([1, 2]));
    new DataView(f.buffer).setUint32(0, f.length, true);
    expect(() => decodeSafetensors(f)).toThrow(/header length \d+ goes beyond the end of the file/);
    new DataView(f.buffer).setUint32(4, 1, true);
    expect(() => decodeSafetensors(f)).toThrow(/larger than the limit/);
  });
  it('bad JSON, non-object header, invalid UTF-8', () => {
    expect(() => decodeSafetensors(build(null, f32([1, 2]), '{"a": {"dtype": "F32",'))).toThrow(/not valid JSON/);
    expect(() => decodeSafetensors(build(null, new Uint8Array(0), '[1, 2]'))).toThrow(/must be a JSON object/);
    const f = build(null, new Uint8Array(0), '{"x":1}');
    f[10] = 0xff;
    expect(() => decodeSafetensors(f)).toThrow(/not valid UTF-8/);
  });
  it('unknown dtype', () => {
    expect(() => decodeSafetensors(build({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16))))
      .toThrow(/tensor 'a': unknown or unsupported dtype 'F128'/);
  });
  it('byte count not matching shape × dtype', () => {
    expect(() => decodeSafetensors(build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32([1, 2]))))
      .toThrow(/tensor 'a': data_offsets \[0, 8\] hold 8 bytes, but shape \[3\] × F32 needs 12/);
  });
  it('offsets out of range (truncated data)', () => {
    expect(() => decodeSafetensors(build(ok, f32([1])))).toThrow(/tensor 'a': data_offsets \[0, 8\] out of range: the data buffer has 4 bytes/);
  });
  it('overlapping offsets', () => {
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
    expect(() => decodeSafetensors(build(h, f32([1, 2])))).toThrow(/overlap/);
  });
  it('gap between tensors, and trailing bytes', () => {
    const h = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    expect(() => decodeSafetensors(build(h, f32([1, 2, 3])))).toThrow(/bytes \[4, 8\) before tensor 'b' belong to no tensor/);
    expect(() => decodeSafetensors(build(ok, f32([1, 2, 3])))).toThrow(/has 12 bytes but the tensors cover only 8/);
  });
  it('bad entry fields and metadata', () => {
    expect(() => decodeSafetensors(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }))).toThrow(/"shape" must be an array of non-negative integers/);
    expect(() => decodeSafetensors(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, f32([1])))).toThrow(/"data_offsets" must be \[begin, end\]/);
    expect(() => decodeSafetensors(build({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32([1])))).toThrow(/end before they begin/);
    expect(() => decodeSafetensors(build({ a: 5 }))).toThrow(/tensor 'a': header entry must be an object/);
    expect(() => decodeSafetensors(build({ a: { shape: [0], data_offsets: [0, 0] } }))).toThrow(/missing or non-string "dtype"/);
    expect(() => decodeSafetensors(build({ __metadata__: { k: 1 } }))).toThrow(/"__metadata__" value 'k' must be a string/);
  });
});
