// npm run bench [-- --json --quick --only matmul]: bundle bench/run.ts and every bench/*.bench.ts
// (and bench/peers/*.bench.ts) with esbuild into .bench/, then run the runner with the same args.
// Bundling matters: tfjs registers its gradients only when bundled.
import { build } from 'esbuild';
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const entries = ['bench/run.ts'];
for (const dir of ['bench', 'bench/peers']) {
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir)) if (f.endsWith('.bench.ts')) entries.push(`${dir}/${f}`);
}
// Each run bundles into its own folder (the runner imports bench files as it goes, so two runs
// must not share one), removed afterwards; results go to .bench/results.json unless --out.
const outdir = process.env.SPINDIFF_BENCH_DIR ?? `.bench/build-${process.pid}`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: entries, outdir, outbase: 'bench', bundle: true, splitting: true, format: 'esm',
  platform: 'node', target: 'es2022', sourcemap: true, logLevel: 'warning',
  // optional native/heavy packages stay external; tfjs is bundled (gradient registration).
  external: ['gpu.js', 'gl', 'webgpu'],
  // CommonJS globals for bundled packages (tfjs-backend-wasm's loader reads __dirname).
  banner: { js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" },
});
const args = process.argv.slice(2);
if (!args.includes('--out')) args.push('--out', '.bench/results.json');
const r = spawnSync(process.execPath, [`${outdir}/run.js`, ...args], { stdio: 'inherit' });
if (!process.env.SPINDIFF_BENCH_DIR) rmSync(outdir, { recursive: true, force: true });
process.exit(r.status ?? 1);
