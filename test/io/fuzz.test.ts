/**
 * Fuzzing the readers (issue 13): data text, .npy, params JSON and diffusion checkpoints. Every
 * generated input either parses to valid values or throws the project's DataError naming the
 * file — never another exception type, never a hang (each input is timed).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSpinText, type ParsedSpinData } from '../../src/io/data.js';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { paramsFromJSON, paramsToJSON } from '../../src/io/params.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { DataError } from '../../src/util/errors.js';
import { DEFAULT_TRAIN, DiffusionTrainer } from '../../src/diffusion/train.js';
import { encodeCheckpoint, loadSamplingNetwork, resumeTrainer } from '../../src/diffusion/checkpoint.js';

const RUNS = 400; // per reader: 1600 inputs in all

/** Run `f`; it must return (then `valid` checks the value) or throw a DataError naming `name`, within 1 s. */
function parsesOrDataError<T>(name: string, f: () => T, valid: (v: T) => void): void {
  const t0 = performance.now();
  let v: T;
  try {
    v = f();
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`expected a DataError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    expect(e.message).toContain(name);
    expect(performance.now() - t0).toBeLessThan(1000);
    return;
  }
  expect(performance.now() - t0).toBeLessThan(1000);
  valid(v);
}

function validSpins(d: ParsedSpinData): void {
  expect(Number.isInteger(d.n) && d.n >= 1).toBe(true);
  expect(Number.isInteger(d.m) && d.m >= 1).toBe(true);
  expect(d.s.length).toBe(d.n * d.m);
  for (const v of d.s) expect(v === 1 || v === -1).toBe(true);
}

/** Mutations of a valid byte string: flips, cuts, splices. */
const mutate = (base: Uint8Array) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert', 'delete')), { minLength: 1, maxLength: 4 }).map((ops) => {
    let b = Array.from(base);
    for (const [pos, byte, op] of ops) {
      const i = b.length ? pos % b.length : 0;
      if (op === 'set') b[i] = byte;
      else if (op === 'cut') b = b.slice(0, i);
      else if (op === 'insert') b.splice(i, 0, byte);
      else b.splice(i, 1);
    }
    return Uint8Array.from(b);
  });

describe('reader fuzzing (≥ 1000 malformed inputs)', () => {
  it('data text', () => {
    const token = fc.constantFrom('1', '-1', '0', ' ', '\t', ',', '\n', '\r', '\r\n', '#', '2', '+1', '1.0', 'x', '\uFEFF', '-', ',,', '1e0', 'NaN');
    fc.assert(fc.property(fc.array(token, { maxLength: 40 }), (parts) => {
      parsesOrDataError('fuzz.txt', () => parseSpinText(parts.join(''), 'fuzz.txt'), validSpins);
    }), { numRuns: RUNS });
  });

  it('.npy', () => {
    const base = encodeNpy({ n: 3, m: 2, s: Int8Array.from([1, -1, 1, -1, -1, 1]) });
    const header = fc.record({
      descr: fc.constantFrom('|i1', '<i4', '>f8', '<f2', '|b1', '<u8', 'zz'),
      fortran: fc.constantFrom('True', 'False', 'maybe'),
      shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1e12), fc.constant(2 ** 40)), { maxLength: 3 }),
    }).map(({ descr, fortran, shape }) => {
      const h = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }\n`;
      const hb = new TextEncoder().encode(h);
      const out = new Uint8Array(10 + hb.length + 48);
      out.set(base.subarray(0, 8));
      new DataView(out.buffer).setUint16(8, hb.length, true);
      out.set(hb, 10);
      out.fill(1, 10 + hb.length);
      return out;
    });
    fc.assert(fc.property(fc.oneof(mutate(base), header), (bytes) => {
      parsesOrDataError('fuzz.npy', () => parseNpy(bytes, 'fuzz.npy'), validSpins);
    }), { numRuns: RUNS });
  });

  it('params JSON', () => {
    const good = paramsToJSON({ n: 2, b: Float64Array.from([0.5, -1]), w: Float64Array.from([0, 0.25, 0.25, 0]) });
    const text = mutate(new TextEncoder().encode(good)).map((b) => new TextDecoder().decode(b));
    const shaped = fc.record({ n: fc.jsonValue(), b: fc.jsonValue(), w: fc.jsonValue() }, { requiredKeys: [] }).map((o) => JSON.stringify(o));
    const nearly = fc.tuple(fc.integer({ min: -1, max: 3 }), fc.array(fc.oneof(fc.double(), fc.string()), { maxLength: 3 }), fc.array(fc.array(fc.oneof(fc.double(), fc.constant(0)), { maxLength: 3 }), { maxLength: 3 }))
      .map(([n, b, w]) => JSON.stringify({ n, b, w }));
    fc.assert(fc.property(fc.oneof(text, shaped, nearly, fc.string()), (t) => {
      parsesOrDataError('fuzz.json', () => paramsFromJSON(t, 'fuzz.json'), (p) => {
        expect(p.b.length).toBe(p.n);
        expect(p.w.length).toBe(p.n * p.n);
        for (const v of [...p.b, ...p.w]) expect(Number.isFinite(v)).toBe(true);
      });
    }), { numRuns: RUNS });
  });

  it('diffusion checkpoints (container, metadata, tensors)', () => {
    const data = { n: 3, m: 8, s: Int8Array.from({ length: 24 }, (_, k) => (k % 3 ? 1 : -1)) };
    const tr = new DiffusionTrainer(data, { n: 3, widths: [4, 8], timeDim: 4, T: 20, residual: true }, { ...DEFAULT_TRAIN, iterations: 4, batchSize: 4, T: 20 });
    tr.step();
    const base = encodeCheckpoint(tr);
    const file = decodeSafetensors(base);
    // Metadata edits: the network and train configs replaced by arbitrary JSON or near-valid values.
    const netEdit = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ n: fc.oneof(fc.constant(3), fc.integer({ min: -1, max: 1e9 })), widths: fc.oneof(fc.constant([4, 8]), fc.array(fc.integer({ min: 0, max: 9000 }), { maxLength: 4 })), timeDim: fc.constantFrom(4, 5, 1e6), T: fc.constantFrom(20, 1e9, -1, 0.5), residual: fc.constantFrom(true, false, 'yes') })
        .map((v) => JSON.stringify(v)),
      fc.constant('{"n": 3, "widths": [4, 8'),
    );
    const metaEdit = fc.tuple(fc.constantFrom('network', 'train', 'iteration', 'ema_updates', 'format'), netEdit).map(([k, v]) => encodeSafetensors(file.tensors, { ...file.metadata, [k]: v }));
    fc.assert(fc.property(fc.oneof(mutate(base.subarray(0, 600)).map((head) => {
      const out = new Uint8Array(head.length + base.length - 600);
      out.set(head);
      out.set(base.subarray(600), head.length);
      return out;
    }), metaEdit, mutate(base)), (bytes) => {
      parsesOrDataError('fuzz.safetensors', () => loadSamplingNetwork(bytes, 'fuzz.safetensors'), (r) => expect(r.net.config.n).toBe(3));
      parsesOrDataError('fuzz.safetensors', () => resumeTrainer(bytes, data, {}, 'fuzz.safetensors'), (t) => expect(t.iteration).toBeGreaterThanOrEqual(0));
    }), { numRuns: RUNS });
  });
});
