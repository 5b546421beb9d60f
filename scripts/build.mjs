// The package build (npm run build):
//   dist/lib   the browser build (also the default condition): root, internals, backends, parallel, worker,
//              worker-script — no Node built-ins (node:* imports are replaced by a stub that
//              throws if reached), no eval; gpu.js stays an import (optional peer dependency).
//   dist/node  the Node build of the same entries plus node (files, CLI main) and cli (the bin).
//   dist/types the .d.ts declarations (tsc), one tree for both builds.
//   dist/playground  the static playground page (served by `spindiff playground`).
// Each build shares chunks between its entries, so classes (Tensor, …) are one per build.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeWorkerSources } from './build-worker.mjs';

const common = { bundle: true, format: 'esm', sourcemap: true, target: 'es2022', logLevel: 'warning', splitting: true, chunkNames: 'chunks/[name]-[hash]' };
const entries = { index: 'src/index.ts', internals: 'src/internals.ts', backends: 'src/backends.ts', parallel: 'src/parallel.ts', worker: 'src/worker/index.ts', 'worker-script': 'src/worker/script.ts' };

/** Browser builds: a `node:*` module becomes one that throws when (and only when) it is loaded. */
export const nodeStub = {
  name: 'node-stub',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`${a.path} is not available in this environment (a browser build)`)});`, loader: 'js',
    }));
  },
};

export async function buildAll({ types = true } = {}) {
  await writeWorkerSources(); // the generated …-worker-source.ts modules the bundles import
  rmSync('dist', { recursive: true, force: true });
  const jobs = [
    build({ ...common, platform: 'browser', entryPoints: entries, outdir: 'dist/lib', external: ['gpu.js'], plugins: [nodeStub] }),
    build({ ...common, platform: 'node', entryPoints: { ...entries, node: 'src/node.ts', cli: 'src/cli/run.ts' }, outdir: 'dist/node',
      external: ['gpu.js', '@tensorflow/*'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } }),
  ];
  // The playground: a self-contained static page (gpu.js, a dev dependency, bundled in from its browser build).
  jobs.push(build({ ...common, platform: 'browser', entryPoints: { app: 'src/playground/app.ts' }, outdir: 'dist/playground', plugins: [nodeStub], minify: true })
    .then(() => copyFileSync('src/playground/index.html', 'dist/playground/index.html')));
  await Promise.all(jobs);
  if (types) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('declaration emit (tsc -p tsconfig.build.json) failed');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildAll({ types: !process.argv.includes('--no-types') });
