#!/usr/bin/env node
// The CLI lives in the esbuild bundle (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/node/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write('spindiff: dist/node/cli.js is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(bundle.href);
