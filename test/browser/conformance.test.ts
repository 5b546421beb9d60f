// The backend conformance suite inside headless Chromium: js, wasm, threads (the page is
// cross-origin isolated by the server's COOP/COEP headers) and gpu.js (WebGL through SwiftShader),
// all loaded from the package's browser build bundled as a user would. Skips, saying so, when no
// Chromium is installed (.ci/run installs Debian's).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyFileSync, mkdtempSync } from 'node:fs';
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
    server = await serveStatic([dir]);
    browser = await launch(exe!);
  }, 120_000);
  afterAll(async () => { await browser?.close(); await server?.close(); });

  test('backend conformance: js, wasm, threads (cross-origin isolated), gpu.js (WebGL/SwiftShader)', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="done"]', { state: 'attached', timeout: 90_000 });
    const r = await page.evaluate(() => (globalThis as unknown as { __results: unknown }).__results) as {
      crossOriginIsolated: boolean; gpujsKernel: string; outcomes: { name: string; backend?: string; checked: number; worst: number; error?: string; ms: number }[];
    };
    console.log('browser conformance:', JSON.stringify(r));
    expect(errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(true);
    for (const o of r.outcomes) {
      expect(o.error, `${o.name} in Chromium`).toBeUndefined();
      expect(o.checked, o.name).toBe(8 * 86 ** 2); // every (m, n) of 1, 3, 17, 65: 4 transposes × 2 (α, β)
    }
    expect(r.outcomes.find((o) => o.name === 'threads')!.backend).toBe('threads-3');
    expect(r.gpujsKernel).toMatch(/^WebGL2?Kernel$/); // gpu.js really ran on WebGL (SwiftShader), not its CPU fallback
    await page.close();
  }, 120_000);
});
