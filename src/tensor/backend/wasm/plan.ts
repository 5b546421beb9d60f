// Forward plans in wasm: `runPlan` interprets a table of op records in memory for a range of
// rows, calling the fused GEMM (bias + GELU epilogue) and row copies. Weights (stored
// transposed, so packing B is a vector copy), vectors, activation buffers and the records stay
// resident in the backend's memory between runs; only the input and output rows are copied.
// The threads backend runs the same records with rows split between workers.
import { Fn, T } from './encoder.js';
import { EPI_GELU_INPLACE } from './gemm.js';
import { envVar, RESIDENT_BYTES_MAX } from './memory.js';
import { fieldOffset, OP, RANGE_SLOT, RECORD_BYTES, RECORD_FIELDS, VEC, writeRecord } from './records.js';
import { GELU_PHI_KERNELS, unaryKernelNames, WASM_UNARY } from './elementwise.js';
import type { UnaryOp } from '../types.js';
import type { FieldOf } from './records.js';
import type { OperandArena } from './arena.js';
import type { Plan, PlanRegion, PlanRunner } from '../plan.js';
import { checkInput, checkVector, validatePlan } from '../plan.js';
// Imported as checkedAt: `at` in this file is the plan-region helper of the runner.
import { at as checkedAt, last } from '../../../util/checked.js';

/**
 * runPlan(plan, nOps, r0, r1, bufA, bufB, scratch): run each record (wasm/records.ts) on rows
 * [r0, r1), or on its own range where it has one (RANGE_SLOT): linear records call `gemm` on
 * those rows of A, C (and gdst); copy records copy those rows; adam, scale and ema records update
 * element pairs [r0, r1) (wasm/adam.ts, wasm/update.ts); vec records run a resident elementwise
 * kernel on units [r0, r1) (records.ts).
 */
export function emitRunPlan(): Fn {
  const f = new Fn('runPlan', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]);
  const [plan, nOps, jobR0, jobR1, bufA, bufB, scratch] = [0, 1, 2, 3, 4, 5, 6];
  const o = f.local(T.i32), rec = f.local(T.i32), r = f.local(T.i32), gdst = f.local(T.i32);
  // The record's range [r0, r1), and an add or unary record's range in 4-float vectors [u0, u1).
  const r0 = f.local(T.i32), r1 = f.local(T.i32), u0 = f.local(T.i32), u1 = f.local(T.i32);
  const op = (): void => { f.get(rec).mem('i32.load', 0); };
  const lin = (name: FieldOf<'linear'>): void => { f.get(rec).mem(name === 'alpha' || name === 'beta' ? 'f32.load' : 'i32.load', fieldOffset('linear', name)); };
  const cp = (name: FieldOf<'copy'>): void => { f.get(rec).mem('i32.load', fieldOffset('copy', name)); };
  const ad = (name: FieldOf<'adam'>): void => { f.get(rec).mem('i32.load', fieldOffset('adam', name)); };
  const ae = (name: FieldOf<'adamEma'>): void => { f.get(rec).mem('i32.load', fieldOffset('adamEma', name)); };
  const ve = (name: FieldOf<'vec'>): void => { f.get(rec).mem('i32.load', fieldOffset('vec', name)); };
  const sc = (name: FieldOf<'scale'>): void => { f.get(rec).mem('i32.load', fieldOffset('scale', name)); };
  /** u0, u1 ← the vectors of units [r0, r1): rows of ld floats where ld > 0 (r0·ld/4 up to ⌈r1·ld/4⌉), else vectors. */
  const vecUnits = (): void => {
    ve('ld'); f.i32(0).op('i32.gt_s');
    f.if(() => {
      f.get(r0); ve('ld'); f.op('i32.mul').i32(2).op('i32.shr_u').set(u0);
      f.get(r1); ve('ld'); f.op('i32.mul').i32(3).op('i32.add').i32(2).op('i32.shr_u').set(u1);
    }, () => { f.get(r0).set(u0).get(r1).set(u1); });
  };
  /** ptr + 16·u0 (4-float vectors) */
  const vecPtr = (name: FieldOf<'vec'>): void => { ve(name); f.get(u0).i32(4).op('i32.shl', 'i32.add'); };
  const nvec = (): void => { f.get(u1).get(u0).op('i32.sub'); };
  // The vec kernels by code (records.ts VEC), as a chain of ifs.
  const vecCases: [number, () => void][] = [
    [VEC.add, () => { vecUnits(); vecPtr('a'); vecPtr('b'); vecPtr('out'); nvec(); f.call('addF32'); }],
    [VEC.colSum, () => { ve('a'); ve('rows'); ve('ld'); ve('out'); f.get(r0).get(r1).call('colSumCols'); }],
    [VEC.geluPhi, () => { vecUnits(); vecPtr('a'); vecPtr('out'); vecPtr('c'); nvec(); f.call(GELU_PHI_KERNELS.value); }],
    [VEC.geluGradPhi, () => { vecUnits(); vecPtr('a'); vecPtr('c'); vecPtr('b'); vecPtr('out'); nvec(); f.call(GELU_PHI_KERNELS.grad); }],
    ...(Object.keys(WASM_UNARY) as UnaryOp[]).flatMap((u, i): [number, () => void][] => [
      [VEC.unary + 2 * i, () => { vecUnits(); vecPtr('a'); vecPtr('out'); nvec(); f.call(unaryKernelNames(u).value); }],
      [VEC.unary + 2 * i + 1, () => { vecUnits(); vecPtr('a'); vecPtr('b'); vecPtr('out'); nvec(); f.call(unaryKernelNames(u).grad); }],
    ]),
  ];
  /** if (code() == cases[0][0]) cases[0][1]() else if … else otherwise?(): one chain of ifs. */
  const chain = (code: () => void, cases: readonly (readonly [number, () => void])[], otherwise?: () => void, k = 0): void => {
    const c = cases[k];
    if (!c) { otherwise?.(); return; }
    code(); f.i32(c[0]).op('i32.eq');
    if (k + 1 < cases.length || otherwise) f.if(c[1], () => chain(code, cases, otherwise, k + 1)); else f.if(c[1]);
  };
  /** ptr + 4·r0·stride */
  const rowPtr = (ptr: () => void, stride: () => void): void => {
    ptr(); f.get(r0); stride(); f.op('i32.mul').i32(2).op('i32.shl', 'i32.add');
  };
  /** ptr + (r0 << shift) */
  const pairPtr = (ptr: () => void, shift: number): void => { ptr(); f.get(r0).i32(shift).op('i32.shl', 'i32.add'); };
  /**
   * An update kernel on element pairs [r0, r1): its pointers advanced to pair r0 (shift 3: float32
   * pairs, 8 bytes; 4: float64 pairs, 16 bytes), the pair count, its hyper-parameters, the call.
   */
  const pairCall = <N extends string>(load: (name: N | 'h') => void, ptrs: readonly (readonly [N, 3 | 4])[], fn: string): void => {
    for (const [name, shift] of ptrs) pairPtr(() => load(name), shift);
    f.get(r1).get(r0).op('i32.sub');
    load('h');
    f.call(fn);
  };
  f.for(o, 0, () => f.get(nOps), 1, () => {
    f.get(plan).get(o).i32(RECORD_BYTES).op('i32.mul', 'i32.add').set(rec);
    // The record's own range where it has one, else the call's.
    f.get(rec).mem('i32.load', 4 * (RANGE_SLOT + 1)).i32(0).op('i32.gt_s');
    f.if(() => {
      f.get(rec).mem('i32.load', 4 * RANGE_SLOT).set(r0);
      f.get(rec).mem('i32.load', 4 * (RANGE_SLOT + 1)).set(r1);
    }, () => { f.get(jobR0).set(r0).get(jobR1).set(r1); });
    f.get(r1).get(r0).op('i32.gt_s');
    f.if(() => {
      chain(op, [
        [OP.linear, () => {
          lin('gdst'); f.set(gdst);
          rowPtr(() => lin('A'), () => lin('sIa')); lin('sIa'); lin('sPa');
          lin('B'); lin('sPb'); lin('sJb');
          rowPtr(() => lin('C'), () => lin('ldc')); lin('ldc');
          f.get(r1).get(r0).op('i32.sub'); lin('n'); lin('k'); // m, n, k
          lin('alpha'); lin('beta');
          f.get(bufA).get(bufB).get(scratch);
          lin('bias');
          rowPtr(() => lin('gdst'), () => lin('ldg')); f.i32(0).get(gdst).op('select'); // gdst (null stays null)
          lin('ldg'); lin('act');
          f.call('gemm');
        }],
        [OP.adam, () => pairCall(ad, [['p', 3], ['g', 3], ['m', 4], ['v', 4]], 'adam')],
        [OP.adamEma, () => pairCall(ae, [['p', 3], ['g', 3], ['m', 4], ['v', 4], ['s', 4]], 'adamEma')],
        [OP.scale, () => pairCall(sc, [['x', 3]], 'scaleF32')],
        [OP.vec, () => chain(() => ve('fn'), vecCases)],
      ], () => {
        // copy: each row of the range, width floats
        f.for(r, () => f.get(r0), () => f.get(r1), 1, () => {
          cp('dst'); f.get(r); cp('ldd'); f.op('i32.mul').i32(2).op('i32.shl', 'i32.add');
          cp('src'); f.get(r); cp('lds'); f.op('i32.mul').i32(2).op('i32.shl', 'i32.add');
          cp('width'); f.i32(2).op('i32.shl');
          f.op('memory.copy');
        });
      });
    });
  });
  return f;
}

/**
 * How a plan run splits its rows: chunks of about PLAN_CHUNK_ROWS rows (a chunk's activations
 * then stay in cache — one 10,000-row pass of the paper network is ~2× slower than 20 chunks of
 * 500 — and each chunk packs every weight once, a few ms), never under PLAN_MIN_ROWS, and at
 * least two per thread where the rows allow, so a late-waking worker leaves little idle time.
 * SPINDIFF_PLAN_CHUNK_ROWS overrides the target (for measurements).
 */
export function planChunks(rows: number, threads: number): { chunk: number; nChunks: number } {
  const target = Number(envVar('SPINDIFF_PLAN_CHUNK_ROWS') ?? PLAN_CHUNK_ROWS) || PLAN_CHUNK_ROWS;
  const nChunks = Math.max(1, Math.min(Math.floor(rows / PLAN_MIN_ROWS), Math.max(threads > 1 ? 2 * threads : 1, Math.round(rows / target)), 0xffff));
  const chunk = Math.ceil(rows / nChunks / 4) * 4;
  return { chunk, nChunks: Math.ceil(rows / chunk) };
}
const PLAN_CHUNK_ROWS = 512, PLAN_MIN_ROWS = 128;

const align64 = (x: number): number => Math.ceil(x / 64) * 64;

/**
 * What stays in a backend's memory between calls, after the pack buffers: first long-lived
 * blocks (optimizer state, allocated and freed in stack order), then the one resident plan, then
 * the operand arena. A runner whose plan was displaced by another (or by a block) uploads it
 * again on its next run.
 */
export class PlanResidence {
  owner: object | null = null;
  /** Blocks released so far. */
  freed = 0;
  private end: number;
  private readonly blocks: { at: number; bytes: number; live: boolean }[] = [];
  constructor(readonly arena: OperandArena, readonly base: number) {
    this.end = base;
  }
  /** Where the plan region starts (after the blocks). */
  get start(): number {
    return this.end;
  }
  /** A long-lived block of `bytes` (64-aligned offset), or -1 where the memory has no room. */
  allocBlock(bytes: number): number {
    const at = this.end, end = align64(at + bytes);
    if (end > RESIDENT_BYTES_MAX) return -1;
    const arenaBase = this.arena.base;
    this.arena.moveBase(Math.max(arenaBase, end));
    try {
      this.arena.reserve(0);
    } catch {
      this.arena.moveBase(arenaBase);
      return -1;
    }
    this.blocks.push({ at, bytes, live: true });
    this.relayout(end);
    return at;
  }
  /** Release a block; the space comes back once every block after it is released too. */
  freeBlock(at: number): void {
    const b = this.blocks.find((x) => x.at === at && x.live);
    if (!b) return;
    b.live = false;
    this.freed++;
    while (this.blocks.length > 0 && !last(this.blocks, 'resident blocks').live) this.blocks.pop();
    const top = this.blocks[this.blocks.length - 1];
    this.relayout(top ? align64(top.at + top.bytes) : this.base);
  }
  private relayout(end: number): void {
    if (end === this.end) return;
    this.end = end;
    this.owner = null; // the plan region moved
    this.arena.moveBase(end);
  }
}

/**
 * Rows of activations resident at once (the paper n = 40 network needs ~21 KB a row, so ~350 MB
 * here), fewer where a row is wider: a plan may take at most half of the memory's maximum (the
 * rest stays for the operand arena). Larger runs are sliced. Chunks inside a slice are what keeps
 * the caches warm.
 */
export const MAX_RESIDENT_ROWS = 16384;

/**
 * A runner over resident wasm memory. `exec(planPtr, nOps, rows)` runs the records on all rows
 * (the single-threaded backend in row chunks on the caller; the threads backend shares the
 * chunks out between threads; see planChunks).
 */
export function wasmPlanRunner(plan: Plan, home: PlanResidence, exec: (planPtr: number, nOps: number, rows: number) => void): PlanRunner {
  validatePlan(plan);
  const vectors = plan.vectors.map((v) => Float32Array.from(v));
  const token = {};
  let capRows = 0;
  // Byte offsets, fixed at upload.
  let wOff: number[] = [], vOff: number[] = [], bOff: number[] = [], recOff = 0;
  // Rows per slice: what fits in the plan's share of the memory, at most MAX_RESIDENT_ROWS.
  const fixedBytes = RECORD_BYTES * plan.ops.length + plan.weights.reduce((s, w) => s + 4 * w.data.length + 64, 0)
    + vectors.reduce((s, v) => s + 4 * v.length + 64, 0) + 64;
  const rowBytes = plan.buffers.reduce((s, w) => s + 4 * w, 0) + 64 * plan.buffers.length;
  const planBytesMax = RESIDENT_BYTES_MAX;
  const sliceRows = Math.min(MAX_RESIDENT_ROWS, Math.floor((planBytesMax - home.start - fixedBytes) / rowBytes));
  if (sliceRows < 1) throw new Error(`plan: its weights need ${fixedBytes} bytes, more than the wasm backend keeps for a plan (${planBytesMax} bytes)`);

  const upload = (rows: number): void => {
    capRows = Math.max(rows, capRows, 1);
    let p = home.start;
    recOff = p; p = align64(p + RECORD_BYTES * plan.ops.length);
    wOff = plan.weights.map((w) => { const at = p; p = align64(p + 4 * w.data.length); return at; });
    vOff = vectors.map((v) => { const at = p; p = align64(p + 4 * v.length); return at; });
    bOff = plan.buffers.map((w) => { const at = p; p = align64(p + 4 * w * capRows); return at; });
    // Claim the region only once the memory has it (a failed grow must leave the arena usable).
    const base = home.arena.base;
    home.owner = null;
    home.arena.moveBase(p);
    let mem: Float32Array;
    try {
      mem = home.arena.reserve(0);
    } catch (e) {
      home.arena.moveBase(base);
      capRows = 0;
      throw e;
    }
    const i32 = new Int32Array(mem.buffer, mem.byteOffset, mem.length);
    i32.fill(0, recOff >> 2, (recOff >> 2) + RECORD_FIELDS * plan.ops.length);
    // Weights transposed: B = Wᵀ, k×n row-major.
    plan.weights.forEach((w, q) => {
      const base = checkedAt(wOff, q, 'weight offsets') >> 2;
      for (let j = 0; j < w.rows; j++) for (let c = 0; c < w.cols; c++) mem[base + c * w.rows + j] = w.data[j * w.cols + c]!;
    });
    vectors.forEach((v, q) => mem.set(v, checkedAt(vOff, q, 'vector offsets') >> 2));
    const at = (r: PlanRegion): [number, number] => [checkedAt(bOff, r.buf, 'buffer offsets') + 4 * r.col, checkedAt(plan.buffers, r.buf, 'plan buffers')];
    plan.ops.forEach((op, q) => {
      const rec = recOff + RECORD_BYTES * q;
      if (op.kind === 'copy') {
        const [src, lds] = at(op.from), [dst, ldd] = at(op.to);
        writeRecord(i32, mem, rec, 'copy', { src, lds, dst, ldd, width: op.from.width });
        return;
      }
      const [A, sIa] = at(op.x), [C, ldc] = at(op.out);
      const [gdst, ldg] = op.gelu === null || op.gelu === 'inplace' ? [0, 0] : at(op.gelu);
      writeRecord(i32, mem, rec, 'linear', {
        A, sIa, sPa: 1, B: checkedAt(wOff, op.weight, 'weight offsets'), sPb: op.out.width, sJb: 1, C, ldc, n: op.out.width, k: op.x.width,
        bias: op.bias === null ? 0 : checkedAt(vOff, op.bias, 'vector offsets'), gdst, ldg, act: op.gelu === 'inplace' ? EPI_GELU_INPLACE : 0,
        alpha: 1, beta: op.accumulate ? 1 : 0,
      });
    });
    home.owner = token;
  };

  const copyRegion = (mem: Float32Array, r: PlanRegion, rows: number, src: Float32Array | null, dst: Float32Array | null): void => {
    const w = checkedAt(plan.buffers, r.buf, 'plan buffers'), base = (checkedAt(bOff, r.buf, 'buffer offsets') >> 2) + r.col;
    if (r.col === 0 && r.width === w) {
      if (src) mem.set(src.subarray(0, rows * w), base);
      else dst!.set(mem.subarray(base, base + rows * w));
      return;
    }
    for (let i = 0; i < rows; i++) {
      if (src) mem.set(src.subarray(i * r.width, (i + 1) * r.width), base + i * w);
      else dst!.set(mem.subarray(base + i * w, base + i * w + r.width), i * r.width);
    }
  };

  return {
    setVector(i, values) {
      checkVector(plan, i, values);
      const v = checkedAt(vectors, i, 'plan vectors');
      v.set(values);
      if (home.owner === token) home.arena.reserve(0).set(v, checkedAt(vOff, i, 'vector offsets') >> 2);
    },
    run(x, rows) {
      checkInput(plan, x, rows);
      const out = new Float32Array(rows * plan.output.width);
      const inW = plan.input.width, outW = plan.output.width;
      // At most sliceRows rows are resident at a time (memory is bounded); bigger calls run in
      // slices through the same buffers.
      for (let r0 = 0; r0 < rows; r0 += sliceRows) {
        const n = Math.min(sliceRows, rows - r0);
        if (home.owner !== token || n > capRows) upload(n);
        copyRegion(home.arena.reserve(0), plan.input, n, x.subarray(r0 * inW, (r0 + n) * inW), null);
        exec(recOff, plan.ops.length, n);
        copyRegion(home.arena.reserve(0), plan.output, n, null, out.subarray(r0 * outW, (r0 + n) * outW));
      }
      return out;
    },
  };
}
