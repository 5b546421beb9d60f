// The spindiff backends every bench group runs over: js (the specification), wasm-simd on one
// thread, and the worker-thread backend with 2 threads (the target machine has 2 cores) — and
// with the core count when that is larger. Loaded once per bench process.
import type { Backend } from '../../src/tensor/backend/types.js';
import { jsBackend } from '../../src/tensor/backend/js.js';
import { loadWasmBackend, wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';
import { loadThreadsBackend } from '../../src/tensor/backend/threads.js';
import { enableRelaxedSimd } from '../../src/tensor/backend/wasm/node-flags.js';
import { availableParallelism } from 'node:os';

export interface SpindiffBackend { impl: string; threads: number; backend?: Backend; skip?: string }

let cached: Promise<SpindiffBackend[]> | null = null;

export function spindiffBackends(): Promise<SpindiffBackend[]> {
  cached ??= (async () => {
    const out: SpindiffBackend[] = [{ impl: 'spindiff-js', threads: 1, backend: jsBackend }];
    if (!wasmSimdSupported()) {
      out.push({ impl: 'spindiff-wasm', threads: 1, skip: 'WebAssembly SIMD unavailable' });
      return out;
    }
    await enableRelaxedSimd(); // fused multiply-add in the GEMM where V8 has relaxed SIMD
    out.push({ impl: 'spindiff-wasm', threads: 1, backend: await loadWasmBackend() });
    const counts = [...new Set([2, availableParallelism()])].filter((t) => t >= 2);
    for (const t of counts) out.push({ impl: 'spindiff-threads', threads: t, backend: await loadThreadsBackend({ threads: t }) });
    return out;
  })();
  return cached;
}
