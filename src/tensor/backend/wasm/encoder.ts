// A small emitter for the WebAssembly binary format: just what our kernels need (i32/f32/f64
// scalar ops, a few i64 bit ops, 128-bit SIMD, structured loops, an imported memory). The module's bytes are
// generated from this source at load time: no toolchain, no binary blobs in the repository.
import { at } from '../../../util/checked.js';

/** Value types. */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type T = (typeof T)[keyof typeof T];

/** Opcodes by their text-format names. SIMD ops are [0xfd, LEB128(sub-opcode)]. */
const OPS: Record<string, number[]> = {
  'unreachable': [0x00], 'nop': [0x01], 'return': [0x0f], 'drop': [0x1a], 'select': [0x1b],
  'i32.eqz': [0x45], 'i32.eq': [0x46], 'i32.ne': [0x47], 'i32.lt_s': [0x48], 'i32.lt_u': [0x49],
  'i32.gt_s': [0x4a], 'i32.gt_u': [0x4b], 'i32.le_s': [0x4c], 'i32.le_u': [0x4d], 'i32.ge_s': [0x4e], 'i32.ge_u': [0x4f],
  'f32.eq': [0x5b], 'f32.ne': [0x5c], 'f32.lt': [0x5d], 'f32.gt': [0x5e],
  'i32.add': [0x6a], 'i32.sub': [0x6b], 'i32.mul': [0x6c], 'i32.rem_s': [0x6f], 'i32.rem_u': [0x70], 'i32.and': [0x71], 'i32.or': [0x72], 'i32.shl': [0x74],
  'i32.shr_s': [0x75], 'i32.shr_u': [0x76],
  'f32.abs': [0x8b], 'f32.neg': [0x8c], 'f32.sqrt': [0x91], 'f32.add': [0x92], 'f32.sub': [0x93], 'f32.mul': [0x94],
  'f32.div': [0x95], 'f32.min': [0x96], 'f32.max': [0x97],
  'f64.eq': [0x61], 'f64.ne': [0x62], 'f64.lt': [0x63], 'f64.gt': [0x64], 'f64.le': [0x65], 'f64.ge': [0x66],
  'i32.xor': [0x73], 'i64.shl': [0x86], 'i64.shr_u': [0x88],
  'f64.abs': [0x99], 'f64.neg': [0x9a], 'f64.add': [0xa0], 'f64.sub': [0xa1], 'f64.mul': [0xa2], 'f64.div': [0xa3],
  'i32.wrap_i64': [0xa7], 'i32.trunc_f64_s': [0xaa], 'i64.extend_i32_u': [0xad],
  'f64.convert_i32_s': [0xb7], 'f64.promote_f32': [0xbb], 'i64.reinterpret_f64': [0xbd], 'f64.reinterpret_i64': [0xbf],
  'f32x4.splat': [0xfd, 0x13], 'i32x4.splat': [0xfd, 0x11],
  'f32x4.eq': [0xfd, 0x41], 'f32x4.ne': [0xfd, 0x42], 'f32x4.lt': [0xfd, 0x43], 'f32x4.gt': [0xfd, 0x44],
  'v128.not': [0xfd, 0x4d], 'v128.and': [0xfd, 0x4e], 'v128.or': [0xfd, 0x50], 'v128.xor': [0xfd, 0x51], 'v128.bitselect': [0xfd, 0x52],
  'f32x4.nearest': [0xfd, 0x6a], 'i32x4.shl': [0xfd, 0xab, 0x01], 'i32x4.add': [0xfd, 0xae, 0x01],
  'i32x4.trunc_sat_f32x4_s': [0xfd, 0xf8, 0x01], 'f32x4.abs': [0xfd, 0xe0, 0x01], 'f32x4.neg': [0xfd, 0xe1, 0x01], 'f32x4.add': [0xfd, 0xe4, 0x01], 'f32x4.sub': [0xfd, 0xe5, 0x01],
  'f32x4.mul': [0xfd, 0xe6, 0x01], 'f32x4.div': [0xfd, 0xe7, 0x01], 'f32x4.min': [0xfd, 0xe8, 0x01],
  'f32x4.max': [0xfd, 0xe9, 0x01], 'f32x4.pmin': [0xfd, 0xea, 0x01], 'f32x4.pmax': [0xfd, 0xeb, 0x01],
  // Relaxed SIMD (a·b + c, fused where the CPU has FMA); only emitted after a validation probe.
  'f32x4.relaxed_madd': [0xfd, 0x85, 0x02],
  'f32x4.extract_lane0': [0xfd, 0x1f, 0x00],
  'f64x2.splat': [0xfd, 0x14], 'f64x2.add': [0xfd, 0xf0, 0x01], 'f64x2.sub': [0xfd, 0xf1, 0x01],
  'f64x2.mul': [0xfd, 0xf2, 0x01], 'f64x2.div': [0xfd, 0xf3, 0x01], 'f64x2.sqrt': [0xfd, 0xef, 0x01],
  'f64x2.promote_low_f32x4': [0xfd, 0x5f], 'f32x4.demote_f64x2_zero': [0xfd, 0x5e],
  'f64x2.extract_lane0': [0xfd, 0x21, 0x00], 'f64x2.extract_lane1': [0xfd, 0x21, 0x01], 'f64x2.replace_lane1': [0xfd, 0x22, 0x01],
  'i32x4.trunc_sat_f64x2_s_zero': [0xfd, 0xfc, 0x01], 'f64x2.convert_low_i32x4_s': [0xfd, 0xfe, 0x01],
  'i64x2.extend_low_i32x4_s': [0xfd, 0xc7, 0x01], 'i64x2.shl': [0xfd, 0xcb, 0x01], 'i64x2.add': [0xfd, 0xce, 0x01],
  // Bulk memory: memory.copy(dst, src, len) within memory 0.
  'memory.copy': [0xfc, 0x0a, 0x00, 0x00],
};

/** Memory ops: opcode bytes and natural alignment (log2). */
const MEMOPS: Record<string, [number[], number]> = {
  'i32.load': [[0x28], 2], 'i32.load8_s': [[0x2c], 0], 'i32.load8_u': [[0x2d], 0], 'i32.load16_u': [[0x2f], 1], 'f32.load': [[0x2a], 2], 'i32.store': [[0x36], 2], 'f32.store': [[0x38], 2],
  'v128.load': [[0xfd, 0x00], 4], 'v128.store': [[0xfd, 0x0b], 4], 'v128.load32_splat': [[0xfd, 0x09], 2],
  'f64.load': [[0x2b], 3], 'f64.store': [[0x39], 3], 'v128.load64_zero': [[0xfd, 0x5d], 3],
  // store64_lane with lane index 0 (the lane byte follows the memarg; see mem()).
  'v128.store64_lane0': [[0xfd, 0x5b], 3],
};

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

function f32bytes(v: number): number[] {
  return Array.from(new Uint8Array(new Float32Array([v]).buffer));
}

function str(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A function body under construction: locals plus a stack-machine instruction stream. */
export class Fn {
  readonly code: number[] = [];
  private readonly extra: T[] = [];
  /** Calls by name: [position in code, callee], resolved to function indices by encodeModule. */
  private readonly calls: [number, string][] = [];
  constructor(readonly name: string, readonly params: T[], readonly results: T[] = []) {}

  /** A new local of type t; returns its index. */
  local(t: T): number {
    this.extra.push(t);
    return this.params.length + this.extra.length - 1;
  }
  op(...names: string[]): this {
    for (const n of names) {
      const b = OPS[n];
      if (!b) throw new Error(`wasm encoder: unknown op ${n}`);
      this.code.push(...b);
    }
    return this;
  }
  /** Load/store with a constant byte offset. */
  mem(name: string, offset = 0): this {
    const m = MEMOPS[name];
    if (!m) throw new Error(`wasm encoder: unknown memory op ${name}`);
    this.code.push(...m[0], ...uleb(m[1]), ...uleb(offset));
    if (name.endsWith('_lane0')) this.code.push(0x00);
    return this;
  }
  i32(v: number): this { this.code.push(0x41, ...sleb(v | 0)); return this; }
  /** i8x16.shuffle of the two v128 on the stack by 32-bit lanes: lane q of the result is lane lanes[q] of a‖b (0–7). */
  shuffle32(lanes: readonly [number, number, number, number]): this {
    this.code.push(0xfd, 0x0d);
    for (const l of lanes) for (let b = 0; b < 4; b++) this.code.push(4 * l + b);
    return this;
  }
  f32(v: number): this { this.code.push(0x43, ...f32bytes(v)); return this; }
  /** f64.const v (its exact bits, −0 and NaN payloads included). */
  f64(v: number): this { this.code.push(0x44, ...Array.from(new Uint8Array(new Float64Array([v]).buffer))); return this; }
  /** v128.const of 16 bytes (lane 0's bytes first, little-endian). */
  v128(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new Error('wasm encoder: v128.const takes 16 bytes');
    this.code.push(0xfd, 0x0c, ...bytes);
    return this;
  }
  get(i: number): this { this.code.push(0x20, ...uleb(i)); return this; }
  set(i: number): this { this.code.push(0x21, ...uleb(i)); return this; }
  tee(i: number): this { this.code.push(0x22, ...uleb(i)); return this; }
  /** Call the module's function named `callee` (its index is resolved when the module is encoded). */
  call(callee: string): this { this.code.push(0x10); this.calls.push([this.code.length, callee]); return this; }
  br(depth: number): this { this.code.push(0x0c, ...uleb(depth)); return this; }
  brIf(depth: number): this { this.code.push(0x0d, ...uleb(depth)); return this; }
  /** `if` on the i32 on the stack, with an optional else branch (no result value). */
  if(then: () => void, otherwise?: () => void): this {
    this.code.push(0x04, 0x40);
    then();
    if (otherwise) { this.code.push(0x05); otherwise(); }
    this.code.push(0x0b);
    return this;
  }
  /** A block (no result): `br d` from d levels of if/loop inside body jumps past its end. */
  block(body: () => void): this {
    this.code.push(0x02, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }
  /** local i += step (i32). */
  inc(i: number, step: number | (() => void)): this {
    this.get(i);
    if (typeof step === 'number') this.i32(step); else step();
    return this.op('i32.add').set(i);
  }
  /**
   * for (i = start; i < end; i += step) body — start/end/step are i32 constants or emitters
   * that push one i32. The loop's exit test is at the top, so zero trips are allowed.
   */
  for(i: number, start: number | (() => void), end: number | (() => void), step: number | (() => void), body: () => void): this {
    const push = (x: number | (() => void)): void => { if (typeof x === 'number') this.i32(x); else x(); };
    push(start); this.set(i);
    this.code.push(0x02, 0x40, 0x03, 0x40); // block loop
    this.get(i); push(end); this.op('i32.lt_s', 'i32.eqz').brIf(1);
    body();
    this.inc(i, step);
    this.br(0);
    this.code.push(0x0b, 0x0b);
    return this;
  }
  /** do { body } while (cond) — cond pushes an i32. At least one trip. */
  doWhile(body: () => void, cond: () => void): this {
    this.code.push(0x03, 0x40);
    body();
    cond();
    this.brIf(0);
    this.code.push(0x0b);
    return this;
  }
  /** The function's body; `indexOf` maps a callee's name to its index in the module. */
  encode(indexOf: (name: string) => number): number[] {
    // Locals grouped as runs of equal type.
    const groups: number[][] = [];
    for (let i = 0; i < this.extra.length;) {
      let j = i;
      while (j < this.extra.length && this.extra[j] === this.extra[i]) j++;
      groups.push([...uleb(j - i), at(this.extra, i, 'local types')]);
      i = j;
    }
    const code: number[] = [];
    let from = 0;
    for (const [at, callee] of this.calls) {
      code.push(...this.code.slice(from, at), ...uleb(indexOf(callee)));
      from = at;
    }
    code.push(...this.code.slice(from));
    const body = [...vec(groups), ...code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface MemoryImport { module: string; name: string; initialPages: number; maximumPages: number; shared: boolean }

/**
 * A module of functions, all exported by name, importing one memory. Functions call each other by
 * name (Fn.call), so their order here is free; names must be unique.
 */
export function encodeModule(fns: Fn[], memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const index = new Map<string, number>();
  fns.forEach((f, i) => {
    if (index.has(f.name)) throw new Error(`wasm encoder: two functions named ${f.name}`);
    index.set(f.name, i);
  });
  const indexOf = (name: string): number => {
    const i = index.get(name);
    if (i === undefined) throw new Error(`wasm encoder: call to ${name}, which is not in the module`);
    return i;
  };
  const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];
  const types = fns.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]);
  const limits = memory.shared ? [0x03, ...uleb(memory.initialPages), ...uleb(memory.maximumPages)]
    : [0x01, ...uleb(memory.initialPages), ...uleb(memory.maximumPages)];
  const imports = [[...str(memory.module), ...str(memory.name), 0x02, ...limits]];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => f.encode(indexOf)))),
  ];
  return new Uint8Array(bytes);
}

/**
 * `fns` compiled synchronously (small modules only: every engine allows that) as a module that
 * imports env.mem (unshared, up to 4 GiB), or null where the engine has no WebAssembly or rejects
 * the module (no SIMD). For the optional kernels whose callers keep JavaScript loops as the fallback.
 */
export function compileSmallModule(fns: Fn[]): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = encodeModule(fns, { module: 'env', name: 'mem', initialPages: 1, maximumPages: 65536, shared: false });
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}
