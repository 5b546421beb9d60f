// The threads worker is a typed module (threads-worker.ts); what threads.ts starts is its esbuild
// bundle, generated as a string module by the build. The generated text must be that bundle of
// today's source (it is stale when a worker changed and nothing rebuilt it).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs build script without type declarations
import { workerSourceFile, WORKERS } from '../../scripts/build-worker.mjs';
import { WORKER_SOURCE } from '../../src/tensor/backend/threads-worker-source.js';

describe('threads worker bundle', () => {
  for (const w of WORKERS as { module: string; file: string }[]) {
    it(`the generated ${w.module}-source.ts is the bundle of ${w.module}.ts (else: node scripts/build-worker.mjs)`, async () => {
      const want = await (workerSourceFile as (x: unknown) => Promise<string>)(w);
      expect(readFileSync(w.file, 'utf8')).toBe(want);
    });
  }
  it('is one self-contained module: no static imports, Node built-ins only behind a dynamic import', () => {
    expect(WORKER_SOURCE).not.toMatch(/^\s*import\s/m);
    expect(WORKER_SOURCE).toMatch(/import\(\s*["']node:worker_threads["']\s*\)/);
    expect(WORKER_SOURCE).toMatch(/await runWorker\(\)/);
  });
});
