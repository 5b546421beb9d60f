// In a fresh Node process, a wasm backend loaded first through loadWasmBackend() and a threads
// backend loaded after it give the same GEMM bits: both turn on V8's relaxed-SIMD flag before
// compiling (on Node 20 the flag is off by default; the wasm backend used to leave it off, and
// then ran without fused multiply-add while the threads backend ran with it). A fresh process,
// because the flag is process-wide and other test files turn it on. Runs on the build (dist/).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wasmSimdSupported } from '../../src/tensor/backend/wasm/index.js';

const BACKENDS = resolve('dist/node/backends.js');

const SCRIPT = `
const be = await import(process.argv[1]);
const w = await be.loadWasmBackend();
const t = await be.loadThreadsBackend({ threads: 2 });
const m = 64, n = 64, k = 200;
let s = 12345;
const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
const A = Float32Array.from({ length: m * k }, r), B = Float32Array.from({ length: k * n }, r);
const out = [];
for (const b of [w, t]) {
  const a = b.alloc('float32', m * k), bb = b.alloc('float32', k * n), c = b.alloc('float32', m * n);
  a.set(A); bb.set(B);
  b.gemm(false, false, m, n, k, a, bb, c, 1, 0);
  out.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('base64'));
}
process.stdout.write(JSON.stringify({ same: out[0] === out[1], differs: out[0] !== Buffer.alloc(4 * m * n).toString('base64') }));
await t.terminate();
`;

describe.skipIf(!wasmSimdSupported())('wasm and threads backends: one kernel, the same bits', () => {
  it('loadWasmBackend() first, then loadThreadsBackend(): the same GEMM bits in a fresh process', () => {
    if (!existsSync(BACKENDS)) expect(spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status).toBe(0);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT, pathToFileURL(BACKENDS).href], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ same: true, differs: true });
  });
});
