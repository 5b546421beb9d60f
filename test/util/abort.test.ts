import { describe, expect, it } from 'vitest';
import { AbortError, DataError, UsageError, Yielder, exitCodeFor, throwIfAborted } from '../../src/util/index.js';

describe('abort and errors', () => {
  it('throwIfAborted throws AbortError naming the work only when aborted', () => {
    expect(() => throwIfAborted({ aborted: false }, 'x')).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted({ aborted: true }, 'sampling')).toThrow(AbortError);
    expect(() => throwIfAborted({ aborted: true }, 'sampling')).toThrow(/sampling: aborted/);
    const c = new AbortController();
    c.abort();
    expect(() => throwIfAborted(c.signal)).toThrow(AbortError);
  });
  it('Yielder lets timers run during a long loop and stops on abort', async () => {
    const sig = { aborted: false };
    setTimeout(() => (sig.aborted = true), 20);
    const y = new Yielder(sig, 5, 'loop');
    const t0 = Date.now();
    let threw: unknown = null;
    try {
      for (;;) {
        await y.tick();
        if (Date.now() - t0 > 5000) break;
      }
    } catch (e) {
      threw = e;
    }
    expect(threw).toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it('exit codes: usage 2, abort 130, data and others 1', () => {
    expect(exitCodeFor(new UsageError('u'))).toBe(2);
    expect(exitCodeFor(new AbortError())).toBe(130);
    expect(exitCodeFor(new DataError('d'))).toBe(1);
    expect(exitCodeFor(new Error('e'))).toBe(1);
  });
});
