// The wasm module's structure: functions call each other by name (any order encodes the same
// program), records have one layout for writer and reader, and the wasm files import no cycle.
import { describe, it, expect } from 'vitest';
import { build } from 'esbuild';
import { encodeModule, Fn, T } from '../../src/tensor/backend/wasm/encoder.js';
import { fieldOffset, RECORDS, RECORD_BYTES, RECORD_FIELDS, writeRecord, OP } from '../../src/tensor/backend/wasm/records.js';

const mem = { module: 'env', name: 'mem', initialPages: 1, maximumPages: 1, shared: false };

function twoFunctions(): Fn[] {
  const add1 = new Fn('add1', [T.i32], [T.i32]);
  add1.get(0).i32(1).op('i32.add');
  const twice = new Fn('twice', [T.i32], [T.i32]);
  twice.get(0).call('add1').call('add1');
  return [add1, twice];
}

describe('wasm encoder: calls by name', () => {
  it('resolves callees by name, whatever the order of the functions', async () => {
    for (const fns of [twoFunctions(), twoFunctions().reverse()]) {
      const { instance } = await WebAssembly.instantiate(encodeModule(fns, mem), { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 1 }) } });
      expect((instance.exports['twice'] as (x: number) => number)(5)).toBe(7);
    }
  });
  it('refuses a call to a function not in the module, and two functions of one name', () => {
    const f = new Fn('f', []);
    f.call('missing');
    expect(() => encodeModule([f], mem)).toThrow(/missing/);
    expect(() => encodeModule([new Fn('g', []), new Fn('g', [])], mem)).toThrow(/two functions named g/);
  });
});

describe('op records', () => {
  it('every kind fits in a record, and each field has its own slot after the op code', () => {
    for (const [kind, fields] of Object.entries(RECORDS) as [keyof typeof RECORDS, readonly string[]][]) {
      const offs = fields.map((f) => fieldOffset(kind, f as never));
      expect(new Set(offs).size).toBe(fields.length);
      for (const o of offs) expect(o >= 4 && o < RECORD_BYTES).toBe(true);
    }
  });
  it('writeRecord puts each field where fieldOffset says (floats as float32 bits), clearing the rest', () => {
    const buf = new ArrayBuffer(2 * RECORD_BYTES), i32 = new Int32Array(buf), f32 = new Float32Array(buf);
    i32.fill(-1);
    const r = Object.fromEntries(RECORDS.linear.map((f, j) => [f, f === 'alpha' || f === 'beta' ? 0.5 + j : 100 + j])) as Record<(typeof RECORDS.linear)[number], number>;
    writeRecord(i32, f32, RECORD_BYTES, 'linear', r);
    expect(i32[RECORD_FIELDS]).toBe(OP.linear);
    for (const f of RECORDS.linear) {
      const q = RECORD_FIELDS + fieldOffset('linear', f) / 4;
      expect(f === 'alpha' || f === 'beta' ? f32[q] : i32[q]).toBe(r[f]);
    }
    expect(i32[2 * RECORD_FIELDS - 1]).toBe(0);
    expect(i32[RECORD_FIELDS - 1]).toBe(-1); // the record before is untouched
  });
});

describe('wasm backend imports', () => {
  it('no import cycle among the backend files', async () => {
    const r = await build({
      entryPoints: ['src/tensor/backend/threads.ts', 'src/tensor/backend/wasm/index.ts'], bundle: true, write: false, metafile: true,
      outdir: 'out-unused', format: 'esm', platform: 'node', logLevel: 'silent',
    });
    const graph = new Map(Object.entries(r.metafile.inputs).map(([k, v]) => [k, v.imports.filter((i) => !i.external).map((i) => i.path)]));
    const state = new Map<string, number>(), stack: string[] = [], cycles: string[] = [];
    const visit = (u: string): void => {
      state.set(u, 1); stack.push(u);
      for (const v of graph.get(u) ?? []) {
        if (state.get(v) === 1) cycles.push([...stack.slice(stack.indexOf(v)), v].join(' → '));
        else if (!state.has(v)) visit(v);
      }
      stack.pop(); state.set(u, 2);
    };
    for (const k of graph.keys()) if (!state.has(k)) visit(k);
    expect(cycles).toEqual([]);
  });
});
