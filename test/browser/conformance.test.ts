// The backend conformance suite inside headless Chromium: js, wasm, threads (the page is
// cross-origin isolated by the server's COOP/COEP headers) and gpu.js (WebGL through SwiftShader),
// all loaded from the package's browser build bundled as a user would; the worker client and the
// worker pools (spindiff/worker, spindiff/parallel) from the unbundled browser build. Skips, saying so, when no
// Chromium is installed (.ci/run installs Debian's).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { findChromium, launch } from './chromium.js';
import { bundlePage } from './bundle.js';
import { serveStatic } from '../../src/playground/serve.js';
import type { StaticServer } from '../../src/playground/serve.js';
import { ensureBuilt, ROOT } from '../package/packed.js';

const exe = findChromium();
if (!exe) console.warn('browser tests SKIPPED: no Chromium found (apt-get install chromium, or set SPINDIFF_CHROMIUM)');

describe.skipIf(!exe)('in headless Chromium', () => {
  let browser: Browser, server: StaticServer;
  beforeAll(async () => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'spindiff-page-'));
    await bundlePage(join(ROOT, 'test/browser/pages/conformance.ts'), join(dir, 'conformance.js'));
    copyFileSync(join(ROOT, 'test/browser/pages/conformance.html'), join(dir, 'index.html'));
    copyFileSync(join(ROOT, 'test/browser/pages/worker.html'), join(dir, 'worker.html'));
    copyFileSync(join(ROOT, 'test/browser/pages/parallel.html'), join(dir, 'parallel.html'));
    copyFileSync(join(ROOT, 'test/browser/pages/report.js'), join(dir, 'report.js'));
    mkdirSync(join(dir, 'lib'));
    cpSync(join(ROOT, 'dist/lib'), join(dir, 'lib'), { recursive: true });
    server = await serveStatic([dir]);
    browser = await launch(exe!);
  }, 120_000);
  afterAll(async () => { await browser?.close(); await server?.close(); });

  /** Open a page of the served folder, wait for its script to finish, log and return its __results; no page errors. */
  async function resultsOf(path: string, label: string): Promise<Record<string, unknown>> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(server.url + path);
      await page.waitForSelector('body[data-state="done"]', { state: 'attached', timeout: 90_000 });
      const r = await page.evaluate(() => (globalThis as unknown as { __results: Record<string, unknown> }).__results);
      console.log(`${label}:`, JSON.stringify(r));
      expect(errors).toEqual([]);
      return r;
    } finally {
      await page.close();
    }
  }

  test('backend conformance: js, wasm, threads (cross-origin isolated), gpu.js (WebGL/SwiftShader)', async () => {
    const r = await resultsOf('', 'browser conformance') as unknown as {
      crossOriginIsolated: boolean; gpujsKernel: string; outcomes: { name: string; backend?: string; checked: number; worst: number; error?: string; ms: number }[];
    };
    expect(r.crossOriginIsolated).toBe(true);
    for (const o of r.outcomes) {
      expect(o.error, `${o.name} in Chromium`).toBeUndefined();
      expect(o.checked, o.name).toBe(8 * 86 ** 2); // every (m, n) of 1, 3, 17, 65: 4 transposes × 2 (α, β)
    }
    expect(r.outcomes.find((o) => o.name === 'threads')!.backend).toBe('threads-3');
    expect(r.gpujsKernel).toMatch(/^WebGL2?Kernel$/); // gpu.js really ran on WebGL (SwiftShader), not its CPU fallback
  }, 120_000);

  test('spindiff/worker: a module Web Worker from the unbundled browser build; the page keeps drawing', async () => {
    const r = await resultsOf('worker.html', 'browser worker');
    expect(r['error']).toBeUndefined();
    expect(r['pleEqual']).toBe(true); // the worker's PLE equals the page's own
    expect(r['n']).toBe(8);
    expect(r['curve']).toBe(3);
    expect(r['stages']).toEqual(expect.arrayContaining(['infer-train', 'train', 'evaluate', 'generate', 'infer']));
    expect(r['aborted']).toBe('AbortError');
    // the page's main thread stayed free: frames kept coming while the worker trained
    expect(r['framesDuringAugment'] as number).toBeGreaterThan(5 * (r['augmentSeconds'] as number));
  }, 120_000);

  test('spindiff/parallel: the pools in module Web Workers give the page\'s own results, bit for bit', async () => {
    const r = await resultsOf('parallel.html', 'browser parallel');
    expect(r['error']).toBeUndefined();
    expect(r['pleEqual']).toBe(true); // inferPLEParallel over two workers equals inferPLE
    expect(r['emEqual']).toBe(true); // and erasureMachineParallel erasureMachine
    expect(r['workers']).toBe(2);
    // SamplePool sampled (not declined) on both backends, the rows and the generator's end equal to the page's own sampling
    for (const backend of ['wasm', 'threads']) expect(r['sampling'], backend).toMatchObject({ [backend]: { sharded: true, equal: true, rngEqual: true, m: 50 } });
    expect(r['jsDeclined']).toBe(true);
  }, 120_000);
});
