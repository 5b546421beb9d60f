/**
 * The 4-lane passes of blocked.ts in WebAssembly SIMD (f64x2): per pattern, two vector adds per
 * table entry instead of four scalar adds with their bounds checks. Each lane's sums are the
 * scalar sums in the same order (IEEE addition lane by lane), so the results are bit for bit those
 * of the JavaScript loops (test/ising/blocked.test.ts). Optional, and kept out of the core bundle
 * (which compiles no WebAssembly): enableWasmLanes installs these kernels for blockPatterns; where
 * WebAssembly SIMD is missing or the memory cannot be had, blocked.ts keeps its own loops.
 *
 * One memory per engine, sized once (views stay valid): the pattern index, the interleaved tables
 * TL (energies) and HL (histograms), and the interleaved per-pattern outputs U and weights Q.
 */
import { compileSmallModule, Fn, T } from '../tensor/backend/wasm/encoder.js';
import { align, instanceInOwnMemory } from '../tensor/backend/wasm/memory.js';
import { setLaneKernels } from './blocked.js';
import { enablePLELanes } from './infer/ple-wasm.js';
import { enableEnumerateWasm } from './enumerate-wasm.js';
import type { LaneKernels } from './blocked.js';

/** The two kernels for an index of 2 or 4 bytes per entry. */
function kernels(wide: boolean): Fn[] {
  const isz = wide ? 4 : 2;
  const load = wide ? 'i32.load' : 'i32.load16_u';
  // energies4(idx, TL, U, k, np): byte offsets and counts.
  const e = new Fn('energies4', [T.i32, T.i32, T.i32, T.i32, T.i32]);
  {
    const [idx, tl, out, k, np] = [0, 1, 2, 3, 4];
    const r = e.local(T.i32), end = e.local(T.i32), j = e.local(T.i32);
    const v01 = e.local(T.v128), v23 = e.local(T.v128);
    e.for(r, 0, () => e.get(k), 1, () => {
      e.i32(0).op('i32x4.splat').set(v01);
      e.i32(0).op('i32x4.splat').set(v23);
      e.get(idx).get(np).i32(isz).op('i32.mul', 'i32.add').set(end);
      e.doWhile(() => {
        e.get(idx).mem(load).i32(5).op('i32.shl').get(tl).op('i32.add').set(j);
        e.get(v01).get(j).mem('v128.load').op('f64x2.add').set(v01);
        e.get(v23).get(j).mem('v128.load', 16).op('f64x2.add').set(v23);
        e.inc(idx, isz);
      }, () => { e.get(idx).get(end).op('i32.lt_u'); });
      e.get(out).get(v01).mem('v128.store');
      e.get(out).get(v23).mem('v128.store', 16);
      e.inc(out, 32);
    });
  }
  // moments4(idx, HL, Q, k, np)
  const m = new Fn('moments4', [T.i32, T.i32, T.i32, T.i32, T.i32]);
  {
    const [idx, hl, qp, k, np] = [0, 1, 2, 3, 4];
    const r = m.local(T.i32), end = m.local(T.i32), j = m.local(T.i32);
    const x01 = m.local(T.v128), x23 = m.local(T.v128);
    m.for(r, 0, () => m.get(k), 1, () => {
      m.get(qp).mem('v128.load').set(x01);
      m.get(qp).mem('v128.load', 16).set(x23);
      m.get(idx).get(np).i32(isz).op('i32.mul', 'i32.add').set(end);
      m.doWhile(() => {
        m.get(idx).mem(load).i32(5).op('i32.shl').get(hl).op('i32.add').set(j);
        m.get(j).get(j).mem('v128.load').get(x01).op('f64x2.add').mem('v128.store');
        m.get(j).get(j).mem('v128.load', 16).get(x23).op('f64x2.add').mem('v128.store', 16);
        m.inc(idx, isz);
      }, () => { m.get(idx).get(end).op('i32.lt_u'); });
      m.inc(qp, 32);
    });
  }
  return [e, m];
}

const compiled = new Map<boolean, WebAssembly.Module | null>();

/** Compiled once per index width on first use; null where WebAssembly SIMD is not available. */
function lanesModule(wide: boolean): WebAssembly.Module | null {
  let mod = compiled.get(wide);
  if (mod === undefined) {
    mod = compileSmallModule(kernels(wide));
    compiled.set(wide, mod);
  }
  return mod;
}

/**
 * Memory and kernels for k patterns of np pairs over tables of `entries` entries per lane, or
 * null where WebAssembly SIMD or the memory is not available.
 */
export function createWasmLanes(k: number, np: number, entries: number): LaneKernels | null {
  const wide = entries > 1 << 16;
  const isz = wide ? 4 : 2;
  const oIdx = 0;
  const oTL = align(oIdx + k * np * isz, 64);
  const oHL = align(oTL + entries * 32, 64);
  const oU = align(oHL + entries * 32, 64);
  const oQ = align(oU + k * 32, 64);
  const bytes = align(oQ + k * 32, 64);
  const mod = lanesModule(wide);
  const inst = mod ? instanceInOwnMemory(mod, bytes) : null;
  if (!inst) return null;
  const { memory, exports: ex } = inst;
  const energies = ex['energies4'] as (idx: number, tl: number, u: number, k: number, np: number) => void;
  const moments = ex['moments4'] as (idx: number, hl: number, q: number, k: number, np: number) => void;
  const buf = memory.buffer;
  return {
    idx: wide ? new Uint32Array(buf, oIdx, k * np) : new Uint16Array(buf, oIdx, k * np),
    TL: new Float64Array(buf, oTL, entries * 4),
    HL: new Float64Array(buf, oHL, entries * 4),
    U: new Float64Array(buf, oU, k * 4),
    Q: new Float64Array(buf, oQ, k * 4),
    energies4: () => energies(oIdx, oTL, oU, k, np),
    moments4: () => moments(oIdx, oHL, oQ, k, np),
  };
}

/**
 * Make blockPatterns (and so the erasure machine) run its 4-lane passes here from now on,
 * fitPLESpins its four-row blocks (infer/ple-wasm.ts) and enumerate its inner walk
 * (enumerate-wasm.ts), where WebAssembly SIMD compiles; returns whether the first two do. Results
 * are the same either way.
 */
export function enableWasmLanes(): boolean {
  enableEnumerateWasm();
  const ple = enablePLELanes();
  if (!lanesModule(false) || !lanesModule(true)) return false;
  setLaneKernels(createWasmLanes);
  return ple;
}
