// Bundle sizes as a user's bundler sees them (npm run build first): each entry of the package's
// browser build (dist/lib) bundled and minified by esbuild, raw and gzip -9; gpu.js (optional
// peer) left out. `node scripts/sizes.mjs` prints the markdown table of the README.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const cases = [
  ['`spindiff` (whole root API)', "export * from './dist/lib/index.js';"],
  ['`spindiff`: Ising inference only (Rng, skParams, sampleExact, erasureMachine, inferPLE)', "export { Rng, skParams, sampleExact, erasureMachine, inferPLE } from './dist/lib/index.js';"],
  ['`spindiff`: augment()', "export { augment } from './dist/lib/index.js';"],
  ['`spindiff/backends` (all loaders, with the wasm and threads kernels)', "export * from './dist/lib/backends.js';"],
  ['`spindiff/parallel` (InferPool and the parallel fits, with their worker bundle)', "export { InferPool, erasureMachineParallel, inferPLEParallel } from './dist/lib/parallel.js';"],
  ['`spindiff/parallel`: SamplePool (with its worker bundle)', "export { SamplePool } from './dist/lib/parallel.js';"],
  ['`spindiff/worker`: the client (createWorker, SpindiffWorker)', "export { createWorker, SpindiffWorker } from './dist/lib/worker.js';"],
];
console.log('| entry | minified | gzip |\n|---|---|---|');
for (const [name, contents] of cases) {
  const r = await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, external: ['gpu.js'], splitting: false, logLevel: 'error' });
  const code = Buffer.concat(r.outputFiles.map((f) => Buffer.from(f.contents)));
  console.log(`| ${name} | ${(code.length / 1024).toFixed(1)} kB | ${(gzipSync(code, { level: 9 }).length / 1024).toFixed(1)} kB |`);
}
