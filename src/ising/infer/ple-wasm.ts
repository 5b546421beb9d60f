/**
 * PLE's four-row blocks (pleGradHess in ple.ts) in WebAssembly SIMD: the Hessian's upper triangle
 * two entries at a time as f64x2, each lane ((((h + w0·x0) + w1·x1) + w2·x2) + w3·x3) with
 * separate multiplies and adds (never a fused madd), the same order as the JavaScript loop, so
 * the same bits (test/ising/ple-wasm.test.ts). Row a's triangle starts at c = a, so the pairs are
 * unaligned loads where a is odd, and an odd count ends with one scalar entry. tanh stays in
 * JavaScript (no bit-exact tanh here): pleGradHess fills rows and weights for a batch of blocks,
 * then one call adds them. Optional, and kept out of the core bundle (which compiles no
 * WebAssembly): enableWasmLanes (blocked-wasm.ts) installs it; where WebAssembly SIMD is missing
 * or the memory cannot be had, ple.ts keeps its own loops.
 */
import { at } from '../../util/checked.js';
import { encodeModule, Fn, T } from '../../tensor/backend/wasm/encoder.js';
import { align, PAGE } from '../../tensor/backend/wasm/memory.js';
import { setPLELanes } from './ple.js';
import type { PLELanes } from './ple.js';

/** Largest memory asked for (bytes): beyond it the JavaScript loops run instead. */
const MAX_BYTES = 2 ** 31;
/** Rows of a batch kept to about this many bytes (in cache while they are added). */
const BATCH_BYTES = 1 << 18;

/** accumulate4(X, GW, grad, hess, d, nb): byte offsets, then counts. */
function kernel(): Fn {
  const f = new Fn('accumulate4', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [xb, gw, grad, hess, d, nb] = [0, 1, 2, 3, 4, 5];
  const blk = f.local(T.i32), a = f.local(T.i32), pa = f.local(T.i32), ga = f.local(T.i32), pe = f.local(T.i32), px = f.local(T.i32);
  const d8 = f.local(T.i32), d16 = f.local(T.i32), d24 = f.local(T.i32), xEnd = f.local(T.i32), xLast = f.local(T.i32), rowStep = f.local(T.i32);
  const g = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const v = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const x = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const w = [f.local(T.f64), f.local(T.f64), f.local(T.f64), f.local(T.f64)] as const;
  const W = [f.local(T.v128), f.local(T.v128), f.local(T.v128), f.local(T.v128)] as const;
  const row = f.local(T.i32); // hess at (a, a)
  const rowOff = [-1, d8, d16, d24] as const; // row q of a block at + q·8d bytes
  /** Push the address p + q·8d. */
  const addr = (p: number, q: number): void => {
    f.get(p);
    if (q > 0) f.get(at(rowOff, q, 'row offset')).op('i32.add');
  };
  f.get(d).i32(3).op('i32.shl').set(d8);
  f.get(d8).get(d8).op('i32.add').set(d16);
  f.get(d16).get(d8).op('i32.add').set(d24);
  f.get(d8).i32(8).op('i32.add').set(rowStep); // hess: (a, a) → (a+1, a+1)
  f.for(blk, 0, () => f.get(nb), 1, () => {
    for (let q = 0; q < 4; q++) {
      f.get(gw).mem('f64.load', 8 * q).set(at(g, q, 'g'));
      f.get(gw).mem('f64.load', 32 + 8 * q).set(at(v, q, 'v'));
    }
    f.get(xb).get(d8).op('i32.add').tee(xEnd).i32(8).op('i32.sub').set(xLast);
    f.get(xb).set(pa);
    f.get(grad).set(ga);
    f.get(hess).set(pe);
    f.for(a, 0, () => f.get(d), 1, () => {
      for (let q = 0; q < 4; q++) {
        addr(pa, q);
        f.mem('f64.load').set(at(x, q, 'x'));
      }
      // grad[a] = grad[a] + g0·x0 + g1·x1 + g2·x2 + g3·x3 (left to right)
      f.get(ga).get(ga).mem('f64.load');
      for (let q = 0; q < 4; q++) f.get(at(g, q, 'g')).get(at(x, q, 'x')).op('f64.mul', 'f64.add');
      f.mem('f64.store');
      for (let q = 0; q < 4; q++) {
        f.get(at(v, q, 'v')).get(at(x, q, 'x')).op('f64.mul').tee(at(w, q, 'w')).op('f64x2.splat').set(at(W, q, 'W'));
      }
      // Row a of the triangle, c = a..d−1: pairs while two are left, pe following px.
      f.get(pe).set(row);
      f.for(px, () => f.get(pa), () => f.get(xLast), 16, () => {
        f.get(pe).get(pe).mem('v128.load');
        for (let q = 0; q < 4; q++) {
          f.get(at(W, q, 'W'));
          addr(px, q);
          f.mem('v128.load').op('f64x2.mul', 'f64x2.add');
        }
        f.mem('v128.store');
        f.inc(pe, 16);
      });
      f.get(px).get(xEnd).op('i32.lt_s').if(() => {
        f.get(pe).get(pe).mem('f64.load');
        for (let q = 0; q < 4; q++) {
          f.get(at(w, q, 'w'));
          addr(px, q);
          f.mem('f64.load').op('f64.mul', 'f64.add');
        }
        f.mem('f64.store');
      });
      f.get(row).get(rowStep).op('i32.add').set(pe);
      f.inc(pa, 8);
      f.inc(ga, 8);
    });
    f.inc(xb, () => f.get(d8).i32(2).op('i32.shl'));
    f.inc(gw, 64);
  });
  return f;
}

let compiled: WebAssembly.Module | null | undefined;

/** Compiled once on first use; null where WebAssembly SIMD is not available. */
function pleModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      if (typeof WebAssembly === 'object') {
        const bytes = encodeModule([kernel()], { module: 'env', name: 'mem', initialPages: 1, maximumPages: 65536, shared: false });
        if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes); // small: synchronous compile is allowed everywhere
      }
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Memory and the kernel for d parameters per regression (batches of `blocks` four-row blocks,
 * default about BATCH_BYTES of rows), or null where WebAssembly SIMD or the memory is not available.
 */
export function createWasmPLELanes(d: number, blocks = Math.max(1, Math.floor(BATCH_BYTES / (32 * d)))): PLELanes | null {
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(blocks) || blocks < 1) return null;
  const oHess = 0;
  const oGrad = align(oHess + d * d * 8, 64);
  const oGW = align(oGrad + d * 8, 64);
  const oX = align(oGW + blocks * 64, 64);
  const bytes = align(oX + blocks * 32 * d, 64);
  if (!(bytes <= MAX_BYTES)) return null;
  const mod = pleModule();
  if (!mod) return null;
  let memory: WebAssembly.Memory;
  let ex: Record<string, unknown>;
  try {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    ex = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as Record<string, unknown>;
  } catch {
    return null; // no memory this large here: the JavaScript loops need less
  }
  const acc = ex['accumulate4'] as (x: number, gw: number, grad: number, hess: number, d: number, nb: number) => void;
  const buf = memory.buffer;
  return {
    blocks,
    X: new Float64Array(buf, oX, blocks * 4 * d),
    GW: new Float64Array(buf, oGW, blocks * 8),
    grad: new Float64Array(buf, oGrad, d),
    hess: new Float64Array(buf, oHess, d * d),
    accumulate4: (nb) => {
      if (!(Number.isInteger(nb) && nb >= 0 && nb <= blocks)) throw new Error(`PLE lanes: ${nb} blocks for room for ${blocks}`);
      acc(oX, oGW, oGrad, oHess, d, nb);
    },
  };
}

/**
 * Make fitPLESpins (so inferPLE and its parallel form) add its four-row blocks here from now on,
 * where WebAssembly SIMD compiles; returns whether it does. Results are the same either way.
 */
export function enablePLELanes(): boolean {
  if (!pleModule()) return false;
  setPLELanes((d) => createWasmPLELanes(d));
  return true;
}
