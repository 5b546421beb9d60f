// Bundles: the Node library + CLI (dist/node) and the browser-safe core (dist/browser).
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', sourcemap: true, target: 'es2022', logLevel: 'warning' };

await Promise.all([
  build({ ...common, platform: 'node', entryPoints: { cli: 'src/cli/run.ts', index: 'src/node.ts' }, outdir: 'dist/node',
    splitting: true, external: ['gpu.js', '@tensorflow/*'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } }),
  build({ ...common, platform: 'browser', entryPoints: { spindiff: 'src/index.ts' }, outdir: 'dist/browser',
    external: ['gpu.js'] }),
]);
