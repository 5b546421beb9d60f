// Node only: turn on V8's relaxed-SIMD flag before the wasm module is compiled, so the GEMM can
// use fused multiply-add on Node 20 (Node ≥ 22 has relaxed SIMD on by default and this does
// nothing). SPINDIFF_WASM_FMA=0 keeps the plain multiply + add kernel (bit-for-bit the results
// of engines without FMA). Elsewhere it only reports whether relaxed SIMD is there.
import { relaxedSimdSupported } from './module.js';

let tried = false;

export async function enableRelaxedSimd(): Promise<boolean> {
  if (typeof process === 'undefined' || !process.versions?.node) return relaxedSimdSupported();
  if (process.env['SPINDIFF_WASM_FMA'] === '0') return false;
  if (!tried && !relaxedSimdSupported()) {
    tried = true;
    try {
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not V8, or the flag is gone: the plain kernel is used.
    }
  }
  return relaxedSimdSupported();
}
