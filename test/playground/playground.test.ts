// The playground's URL state and its server. Oracles: a round trip through the query string is
// the identity on valid states, and out-of-range values fall back to the defaults; the server
// sends the cross-origin isolation headers and never serves files outside its root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { BACKENDS, DEFAULT_STATE, METHODS, stateFromQuery, stateToQuery } from '../../src/playground/pipeline.js';
import type { PlaygroundState } from '../../src/playground/pipeline.js';
import { serveStatic } from '../../src/playground/serve.js';
import type { StaticServer } from '../../src/playground/serve.js';

describe('playground state in the URL', () => {
  it('round-trips every valid state (property)', () => {
    const state = fc.record({
      n: fc.integer({ min: 2, max: 20 }), g: fc.double({ min: 0, max: 4, noNaN: true }), M: fc.integer({ min: 10, max: 100000 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), backend: fc.constantFrom(...BACKENDS), method: fc.constantFrom(...METHODS),
      iters: fc.integer({ min: 10, max: 100000 }), samples: fc.integer({ min: 10, max: 200000 }), steps: fc.integer({ min: 2, max: 1000 }),
    });
    fc.assert(fc.property(state, (s: PlaygroundState) => { expect(stateFromQuery('#' + stateToQuery(s))).toEqual(s); }), { numRuns: 200 });
  });

  it('bad or missing values fall back to the defaults', () => {
    expect(stateFromQuery('')).toEqual(DEFAULT_STATE);
    expect(stateFromQuery('#n=1000&g=-1&backend=cuda&method=x&M=abc&seed=7')).toEqual({ ...DEFAULT_STATE, seed: 7 });
  });
});

describe('serveStatic', () => {
  let s: StaticServer, root = '';
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'spindiff-serve-'));
    writeFileSync(join(root, 'index.html'), '<p>hi</p>');
    writeFileSync(join(root, '..', 'spindiff-secret.txt'), 'secret');
    s = await serveStatic([root]);
  });
  afterAll(async () => { await s.close(); });

  it('serves on 127.0.0.1 with COOP/COEP (cross-origin isolation) and content types', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(s.url);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('<p>hi</p>');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('never serves a file outside its root', async () => {
    // Raw request paths (fetch would normalize the dots away before sending).
    const status = (path: string) => new Promise<number>((ok, fail) => {
      get({ host: '127.0.0.1', port: Number(new URL(s.url).port), path }, (r) => { r.resume(); ok(r.statusCode ?? 0); }).on('error', fail);
    });
    for (const path of ['/../spindiff-secret.txt', '/%2e%2e/spindiff-secret.txt', '/..%2fspindiff-secret.txt', '/a/../../spindiff-secret.txt']) {
      expect(await status(path), path).toBe(404);
    }
    expect(await status('/index.html')).toBe(200);
  });
});
