// The playground end to end in headless Chromium, from clicks: `spindiff playground` serves it
// (URL on stdout, Ctrl-C stops it); n = 12 simulate → infer → train (tiny net) → augment on the
// js backend; frames keep coming during training; the page's numbers equal a Node run of the same
// pipeline with the same state (oracle: the same functions here); a screenshot is saved; the page's
// own training speed per backend is reported. Skips, saying so, when no Chromium is installed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { findChromium, launch } from './chromium.js';
import { ensureBuilt, ROOT } from '../package/packed.js';
import { augmentFrom, infer, score, simulate, stateFromQuery, train } from '../../src/playground/pipeline.js';
import { formatSpinText } from '../../src/io/data.js';
import { paramsToJSON } from '../../src/io/params.js';

const exe = findChromium();
if (!exe) console.warn('browser tests SKIPPED: no Chromium found (apt-get install chromium, or set SPINDIFF_CHROMIUM)');

const HASH = 'n=12&g=1&M=400&seed=3&backend=js&method=ple&iters=100&samples=600&steps=20';
export const SCREENSHOT = join(ROOT, '.artifacts/playground.png');

describe.skipIf(!exe)('the playground in headless Chromium', () => {
  let browser: Browser, cli: ChildProcess, url = '';
  beforeAll(async () => {
    await ensureBuilt();
    cli = spawn(process.execPath, [join(ROOT, 'bin/spindiff.js'), 'playground'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((ok, fail) => {
      let out = '';
      cli.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out); if (m) ok(m[1]!); });
      cli.on('exit', (c) => fail(new Error(`spindiff playground exited (${c}) before printing its URL: ${out}`)));
    });
    browser = await launch(exe!);
  }, 120_000);
  afterAll(async () => { await browser?.close(); if (cli && cli.exitCode === null) cli.kill('SIGKILL'); });

  test('simulate → infer → train → augment from clicks; live page; numbers equal the Node run', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}#${HASH}`);
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached' });
    const click = async (name: string, timeout = 60_000): Promise<void> => {
      await page.click(`#btn-${name}`);
      await page.waitForSelector(`body[data-state="done:${name}"], body[data-state="error:${name}"]`, { state: 'attached', timeout });
      expect(await page.getAttribute('body', 'data-state'), await page.textContent('#status') ?? '').toBe(`done:${name}`);
    };
    await click('simulate');
    await click('infer');
    await click('train', 90_000);
    await click('augment');
    const r = await page.evaluate(() => (globalThis as unknown as { __results: Record<string, unknown> }).__results) as {
      train: { seconds: number; frames: number; fps: number; losses: number[]; curve: { ratio: number }[]; chosen: number; backend: string };
      scores: { label: string; mse: number }[];
    };
    mkdirSync(join(ROOT, '.artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    expect(page.url()).toContain(HASH); // the state stays in the URL

    // Responsive: frames kept coming while training ran on the page's main thread.
    console.log(`playground training: ${r.train.seconds.toFixed(2)} s, ${r.train.frames} frames (${r.train.fps.toFixed(1)} fps), backend ${r.train.backend}`);
    expect(r.train.frames).toBeGreaterThanOrEqual(10);
    expect(r.train.fps).toBeGreaterThan(2); // without yielding: 0 frames until training ends

    // The same pipeline in Node with the same state.
    const s = stateFromQuery(HASH);
    const { truth, data } = simulate(s);
    const observedAll = infer(data, s.method);
    const t = await train(data, s);
    const aug = await augmentFrom(t, s);
    const node = score(truth, [{ label: 'obs', params: t.observed.params }, { label: 'aug', params: aug.augmented.params }]);
    expect(r.train.losses).toEqual(t.run.trainer.losses);
    expect(r.train.curve.map((p) => p.ratio)).toEqual(t.run.curve.map((p) => p.ratio));
    expect(r.train.chosen).toBe(t.run.chosen.iteration);
    // Losses bit for bit (float32 training); the float64 MSEs to 1e-9 relative (see the file check below).
    r.scores.forEach((x, i) => expect(Math.abs(x.mse - node[i]!.mse)).toBeLessThanOrEqual(1e-9 * node[i]!.mse));
    console.log(`playground vs Node: MSEs ${r.scores.every((x, i) => x.mse === node[i]!.mse) ? 'bit-identical' : 'equal to 1e-9'} (${node.map((x) => x.mse).join(', ')})`);
    void observedAll;

    // Training speed per backend, measured on the page.
    await click('speed', 90_000);
    const speed = await page.evaluate(() => (globalThis as unknown as { __results: { speed: Record<string, number> } }).__results.speed);
    console.log(`playground training speed (tiny net, n = 12, batch 64, it/s): ${JSON.stringify(speed)}`);
    for (const k of ['js', 'wasm', 'threads']) expect(speed[k], k).toBeGreaterThan(0);
    // A data file given to the page (the drop zone's file input, 0/1 text) gives the couplings
    // that the same inference gives in Node, and a download link.
    const fileData = simulate({ ...s, n: 7, M: 300, seed: 11 }).data;
    await page.setInputFiles('#file', { name: 'votes.txt', mimeType: 'text/plain', buffer: Buffer.from(formatSpinText(fileData, { zeroOne: true })) });
    await page.waitForSelector('body[data-state="done:file"], body[data-state="error:file"]', { state: 'attached', timeout: 60_000 });
    const file = await page.evaluate(() => (globalThis as unknown as { __results: { file: { n: number; m: number; params: { w: number[][] } } } }).__results.file);
    expect([file.n, file.m]).toEqual([7, 300]);
    // As written to inferred.json; Chromium's V8 and Node's may differ in the last bit of Math
    // functions, so float64 results are compared to 1e-12 (relative), not bit for bit.
    const want = (JSON.parse(paramsToJSON(infer(fileData, s.method).params)) as { w: number[][] }).w.flat();
    file.params.w.flat().forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[i]!))));
    expect(await page.getAttribute('#download', 'download')).toBe('inferred.json');
    await page.close();

    // Ctrl-C stops the server cleanly.
    const code = await new Promise<number | null>((ok) => { cli.on('exit', (c) => ok(c)); cli.kill('SIGINT'); });
    expect(code).toBe(0);
  }, 240_000);
});
