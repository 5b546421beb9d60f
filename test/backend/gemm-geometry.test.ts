// The register tile, unrolling and block sizes (MR, NR, KU, MC, NC) only change how the work is
// cut, never the order in which an element's k terms are summed: every geometry must give the
// default's bits, on every transpose case (the packing paths: vector copies, 4×4 register
// transposes, scalar gathers and edges), odd sizes, k > KC (the beta = 1 pass) and alpha/beta.
// The default itself is held to the JS GEMM by conformance.test.ts.
import { describe, it, expect } from 'vitest';
import { compileGemmModule, layout, moduleExports, relaxedSimdSupported, wasmSimdSupported } from '../../src/tensor/backend/wasm/module.js';
import { enableRelaxedSimd } from '../../src/tensor/backend/wasm/node-flags.js';
import { defaultGeometry } from '../../src/tensor/backend/wasm/gemm.js';
import type { GemmGeometry } from '../../src/tensor/backend/wasm/gemm.js';
import { PAGE } from '../../src/tensor/backend/wasm/memory.js';
import { Rng } from '../../src/random/index.js';

const OTHERS: GemmGeometry[] = [
  { MR: 8, NR: 4, MC: 64, KC: 256, NC: 96, KU: 1 },
  { MR: 6, NR: 8, MC: 120, KC: 256, NC: 512, KU: 2 },
  { MR: 3, NR: 12, MC: 126, KC: 256, NC: 504, KU: 1 },
  { MR: 2, NR: 16, MC: 32, KC: 256, NC: 64, KU: 3 },
];

async function gemmOf(g: GemmGeometry) {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
  const lay = layout(1, g);
  mem.grow(Math.ceil((lay.operandBase + (1 << 22)) / PAGE));
  const ex = moduleExports(await WebAssembly.instantiate(await compileGemmModule(false, g), { env: { mem } }));
  const bufs = lay.threads[0]!, base = lay.operandBase;
  /** C = alpha·op(A)·op(B) + beta·C0 on copies in this module's memory; returns C's bits. */
  return (tA: boolean, tB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c0: Float32Array, alpha: number, beta: number): Uint32Array => {
    const F = new Float32Array(mem.buffer), A = base, B = A + 4 * a.length, C = B + 4 * b.length;
    F.set(a, A / 4); F.set(b, B / 4); F.set(c0, C / 4);
    const [sIa, sPa] = tA ? [1, m] : [k, 1];
    const [sPb, sJb] = tB ? [1, k] : [n, 1];
    ex.gemm(A, sIa, sPa, B, sPb, sJb, C, n, m, n, k, alpha, beta, bufs.bufA, bufs.bufB, bufs.scratch, 0, 0, 0, 0);
    return new Uint32Array(mem.buffer, C, m * n).slice();
  };
}

describe.runIf(wasmSimdSupported())('wasm GEMM geometries give the same bits', () => {
  it('MR×NR 8×4, 6×8 (KU 2), 3×12, 2×16 (KU 3) against the default 4×8, with and without FMA', async () => {
    const rng = new Rng(20);
    const fmas = wasmSimdSupported() && await enableRelaxedSimd() && relaxedSimdSupported() ? [false, true] : [false];
    for (const fma of fmas) {
      const ref = await gemmOf({ ...defaultGeometry, fma });
      const others = await Promise.all(OTHERS.map((g) => gemmOf({ ...g, fma })));
      for (const [m, n, k] of [[13, 37, 300], [65, 9, 7], [8, 130, 33], [1, 5, 2]] as const) for (const tA of [false, true]) for (const tB of [false, true]) {
        const rand = (len: number) => Float32Array.from({ length: len }, () => rng.uniform() - 0.5);
        const a = rand(m * k), b = rand(k * n), c0 = rand(m * n);
        for (const [alpha, beta] of [[1, 0], [-0.75, 1.5]] as const) {
          const want = ref(tA, tB, m, n, k, a, b, c0, alpha, beta);
          others.forEach((run, i) => {
            const got = run(tA, tB, m, n, k, a, b, c0, alpha, beta);
            const bad = got.findIndex((v, j) => v !== want[j]);
            if (bad >= 0) expect.fail(`geometry ${JSON.stringify(OTHERS[i])} fma ${fma}: ${m}×${n}×${k} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} α ${alpha} β ${beta}: element ${bad} differs`);
          });
        }
      }
    }
  });
});
