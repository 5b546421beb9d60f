// The layout of the wasm backends' memory, and the two platform helpers every wasm file needs.
// A leaf: it imports nothing, so module.ts, plan.ts, adam.ts, the threads backend and its worker
// can all depend on it without importing each other.
//
//   [0, CONTROL_BYTES)           thread control block: CTL slots, then GEMM records at GEMM_RECORD_AT
//   [CONTROL_BYTES, operandBase) per-thread pack buffers (module.ts: layout)
//   [operandBase, …)             long-lived blocks, the resident plan, then the operand arena

export const PAGE = 65536;
/** Enough for a batch of 10,000 × 1024 float32 operands with room to spare (virtual reserve). */
export const MAX_PAGES = 16384;
/** Resident state (optimizer blocks and a plan) may take at most half the memory; the rest is the arena's. */
export const RESIDENT_BYTES_MAX = (MAX_PAGES * PAGE) / 2;
/** Bytes [0, CONTROL_BYTES) hold the thread control block. */
export const CONTROL_BYTES = 4096;

/**
 * Int32 slots of the control block at byte 0. A job runs `nOps` records at `plan` in `nChunks`
 * chunks: chunk c is rows [c·chunk, (c+1)·chunk) of every record, or, when perRecord = 1, record c
 * alone on all rows (a GEMM split by columns: one record per column block). `word` holds the job's
 * tag (high 16 bits) and the next free chunk (low 16 bits); nChunks = −1 tells workers to exit.
 */
export const CTL = { seq: 0, done: 1, plan: 2, nOps: 3, rows: 4, chunk: 5, nChunks: 6, perRecord: 7, word: 8, size: 9 } as const;
/** Byte offset, inside the control block, of the records that plain GEMM and Adam calls use. */
export const GEMM_RECORD_AT = 256;

/** x rounded up to a multiple of a. */
export const align = (x: number, a: number): number => Math.ceil(x / a) * a;

/** The most an optional kernel's own memory may take: every byte offset then fits a signed i32. */
export const OWN_MEMORY_MAX_BYTES = 2 ** 31;

/**
 * An instance of `mod` (which imports env.mem) over a memory of its own of `bytes`, or null where
 * `bytes` is over OWN_MEMORY_MAX_BYTES or the engine will not give that much (the caller's
 * JavaScript loops need less). For the small optional kernels that size their memory once.
 */
export function instanceInOwnMemory(mod: WebAssembly.Module, bytes: number): { memory: WebAssembly.Memory; exports: Record<string, unknown> } | null {
  if (!(bytes <= OWN_MEMORY_MAX_BYTES)) return null;
  try {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    return { memory, exports: new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as Record<string, unknown> };
  } catch {
    return null;
  }
}

/** An environment variable where there is a `process` (Node), else undefined (browsers). */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}
