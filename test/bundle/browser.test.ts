// The browser core bundle (src/index.ts, platform browser) must not evaluate code at run time,
// compile WebAssembly at run time, or import Node built-ins.
import { describe, expect, test } from 'vitest';
import { build } from 'esbuild';
import { builtinModules } from 'node:module';

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.split('/')[0]!));

/** Specifiers of static imports, dynamic imports and require() calls in bundled code. */
export function importedSpecifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\bimport\s+(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/g,
    /\bexport\s+[\w*{}\s,$]+\s+from\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

/** What is forbidden in the bundle, as readable findings (empty when clean). */
export function findViolations(code: string): string[] {
  const found: string[] = [];
  const forbidden: [RegExp, string][] = [
    // a call of the global eval; `module.eval()` (nn's PyTorch-style method) and `eval() {` (its
    // definition) are not code evaluation
    [/(?<![.\w$])eval\s*\((?![^)]*\)\s*\{)/, 'eval('],
    [/\b(?:globalThis|window|self|global)\s*\.\s*eval\b|[(,]\s*eval\s*\)/, 'eval('],
    [/\bnew\s+Function\b/, 'new Function'],
    [/\bFunction\s*\(\s*["'`]/, 'Function("…")'],
    [/WebAssembly\s*\.\s*(compile|instantiate|compileStreaming|instantiateStreaming)\b/, 'WebAssembly.compile/instantiate'],
    [/new\s+WebAssembly\s*\.\s*Module\b/, 'new WebAssembly.Module'],
  ];
  for (const [re, what] of forbidden) if (re.test(code)) found.push(what);
  for (const spec of importedSpecifiers(code)) {
    const bare = spec.startsWith('node:') ? spec.slice(5).split('/')[0]! : spec.split('/')[0]!;
    if (spec.startsWith('node:') || NODE_BUILTINS.has(bare)) found.push(`imports Node built-in '${spec}'`);
  }
  return found;
}

describe('browser core bundle', () => {
  test('the checker itself catches each forbidden pattern', () => {
    expect(findViolations('const f = eval("1+1");')).toEqual(['eval(']);
    expect(findViolations('const f = new Function("a", "return a");')).toContain('new Function');
    expect(findViolations('await WebAssembly.instantiate(bytes)')).toEqual(['WebAssembly.compile/instantiate']);
    expect(findViolations('const m = new WebAssembly.Module(b)')).toEqual(['new WebAssembly.Module']);
    expect(findViolations('import { readFileSync } from "node:fs";')).toEqual(["imports Node built-in 'node:fs'"]);
    expect(findViolations('import fs from "fs"; const cp = require("child_process");')).toEqual([
      "imports Node built-in 'fs'", "imports Node built-in 'child_process'"]);
    expect(findViolations('const w = await import("worker_threads")')).toEqual(["imports Node built-in 'worker_threads'"]);
    expect(findViolations('const medium = 1; // evaluate(x)')).toEqual([]);
    expect(findViolations('class M { eval() { return this.train(false); } } m.eval();')).toEqual([]);
    expect(findViolations('if (eval(s)) { }')).toEqual(['eval(']);
    expect(findViolations('globalThis.eval(s)')).toEqual(['eval(']);
    expect(findViolations('(0, eval)(s)')).toEqual(['eval(']);
  });

  test('builds src/index.ts for the browser with no eval, run-time compilation or Node built-ins', async () => {
    const result = await build({
      entryPoints: ['src/index.ts'], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
      write: false, logLevel: 'silent', external: ['gpu.js'],
      // drop comments (prose such as "train()/eval()" is not code); identifiers are kept as written
      minifyWhitespace: true, legalComments: 'none',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles.map((f) => f.text).join('\n');
    expect(code.length).toBeGreaterThan(1000);
    expect(findViolations(code)).toEqual([]);
  }, 60_000);
});
