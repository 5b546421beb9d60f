// Bundle a test page the way a user's bundler would: `spindiff` and `spindiff/*` resolve through
// the package's exports map to its browser build (dist/lib), for platform 'browser', with no
// externals at all (no --external:node:*; gpu.js, the optional peer, resolves to its browser build).
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../package/packed.js';

const selfReference: Plugin = {
  name: 'spindiff-self',
  setup(b) {
    const exportsMap = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).exports as Record<string, Record<string, string> | string>;
    b.onResolve({ filter: /^spindiff(\/.*)?$/ }, (a) => {
      const e = exportsMap['.' + a.path.slice('spindiff'.length)];
      const target = typeof e === 'string' ? e : e?.['browser'] ?? e?.['default'];
      if (!target) return { errors: [{ text: `spindiff: no browser export for '${a.path}'` }] };
      return { path: join(ROOT, target) };
    });
  },
};

export async function bundlePage(entry: string, outfile: string): Promise<{ bytes: number }> {
  const r = await build({
    entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    plugins: [selfReference], logLevel: 'silent', metafile: true,
  });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return { bytes: Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0) };
}
