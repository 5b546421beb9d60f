// The op records that the wasm function `runPlan` interprets: one description of their layout,
// shared by the writers (plan upload, the threads backend's GEMM and Adam calls) and the readers
// (the emitted runPlan, and the threads worker, which steps over records by RECORD_BYTES).
// A record is RECORD_FIELDS 4-byte slots: slot 0 the op code, then its kind's fields in order;
// the last two slots may hold the record's own range (RANGE_SLOT).

/** 4-byte slots per record, and its bytes. */
export const RECORD_FIELDS = 20;
export const RECORD_BYTES = 4 * RECORD_FIELDS;
/**
 * Slots RANGE_SLOT and RANGE_SLOT + 1: a record's own range [r0, r1), used instead of the range
 * runPlan is called with where r1 > 0 (records of different sizes run as one job's pieces).
 */
export const RANGE_SLOT = RECORD_FIELDS - 2;

/**
 * Fields of each kind, in slot order after the op code (see wasm/plan.ts emitRunPlan for what
 * each does):
 * - linear: C = epilogue(alpha·op(A)·op(B) + beta·C) on the rows of A and C, op(A)(i, p) at
 *   A + 4·(i·sIa + p·sPa), op(B)(p, j) at B + 4·(p·sPb + j·sJb); bias, gdst, ldg, act: the
 *   epilogue (wasm/gemm.ts); alpha and beta are float32.
 * - copy: `width` floats per row from src (row stride lds floats) to dst (ldd).
 * - adam: Adam's update over element pairs (wasm/adam.ts) at p, g, m, v with hyper-parameters at h;
 *   adamEma: the same, then the EMA's update of the averages at s (one pass).
 * - scale: the training step's gradient scaling over element pairs (wasm/update.ts) at x, with
 *   its float64 coefficient at h.
 * - vec: a resident elementwise kernel (wasm/resident.ts) on a range of its units, `fn` one of VEC:
 *   add and the unary kernels over 4-float vectors [r0, r1) of a, b, out — or, where ld > 0, over
 *   rows [r0, r1) of ld floats (r0·ld a multiple of 4; the vectors from r0·ld/4 up to ⌈r1·ld/4⌉);
 *   colSum over columns [r0, r1) (an even r0) of the `rows` × ld matrix at a into out; geluPhi
 *   and geluGradPhi (wasm/elementwise.ts GELU_PHI_KERNELS) like the unary kernels, with Φ(x) at c
 *   (written, read) in the layout of a.
 */
export const RECORDS = {
  linear: ['A', 'sIa', 'sPa', 'B', 'sPb', 'sJb', 'C', 'ldc', 'n', 'k', 'bias', 'gdst', 'ldg', 'act', 'alpha', 'beta'],
  copy: ['src', 'lds', 'dst', 'ldd', 'width'],
  adam: ['p', 'g', 'm', 'v', 'h'],
  adamEma: ['p', 'g', 'm', 'v', 's', 'h'],
  scale: ['x', 'h'],
  vec: ['fn', 'a', 'b', 'out', 'rows', 'ld', 'c'],
} as const;
export type RecordKind = keyof typeof RECORDS;
export type FieldOf<K extends RecordKind> = (typeof RECORDS)[K][number];
export type RecordOf<K extends RecordKind> = Record<FieldOf<K>, number>;
export type LinearRecord = RecordOf<'linear'>;

/** Op codes (slot 0); 0 is never a valid record. */
export const OP: Record<RecordKind, number> = { linear: 1, copy: 2, adam: 3, vec: 4, scale: 5, adamEma: 7 };

/**
 * The `fn` of a vec record: add, colSum, the GELU that keeps Φ and its backward, then each op of
 * WASM_UNARY (wasm/elementwise.ts) in its order as a value code (VEC.unary + 2·index) and a
 * gradient code (one more).
 */
export const VEC = { add: 1, colSum: 2, geluPhi: 3, geluGradPhi: 4, unary: 5 } as const;

/** Fields stored as float32 bits (all others are i32). */
const F32_FIELDS: ReadonlySet<string> = new Set(['alpha', 'beta']);

for (const [kind, fields] of Object.entries(RECORDS)) {
  if (1 + fields.length > RANGE_SLOT) throw new Error(`op record ${kind}: ${fields.length} fields do not fit in ${RECORD_FIELDS} slots`);
}

/** Byte offset of a field inside its record. */
export function fieldOffset<K extends RecordKind>(kind: K, name: FieldOf<K>): number {
  return 4 * (1 + (RECORDS[kind] as readonly string[]).indexOf(name));
}

/** Is this field float32 (else i32)? */
export function isF32Field(name: string): boolean {
  return F32_FIELDS.has(name);
}

/**
 * Write a record of this kind at byte offset `at` (i32 and f32: views over the whole memory),
 * with its own range where `range` is given (RANGE_SLOT).
 */
export function writeRecord<K extends RecordKind>(i32: Int32Array, f32: Float32Array, at: number, kind: K, r: RecordOf<K>, range?: readonly [number, number]): void {
  const q = at >> 2;
  i32.fill(0, q, q + RECORD_FIELDS);
  i32[q] = OP[kind];
  const fields = RECORDS[kind] as readonly FieldOf<K>[];
  fields.forEach((name, j) => {
    if (F32_FIELDS.has(name)) f32[q + 1 + j] = r[name];
    else i32[q + 1 + j] = r[name];
  });
  if (range) {
    if (!(range[1] > range[0] && range[0] >= 0)) throw new Error(`op record ${kind}: an empty or negative range [${range[0]}, ${range[1]})`);
    i32[q + RANGE_SLOT] = range[0];
    i32[q + RANGE_SLOT + 1] = range[1];
  }
}
