// The test command (npm test): type check, build the bundles, run vitest, and end with the
// plain summary line "N passed, N failed" so a run that executed no test is visible.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const extra = process.argv.slice(2);
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: false }).status ?? 1;
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

// The generated worker modules (build outputs) must exist before the type check.
if (run(process.execPath, ['scripts/build-worker.mjs']) !== 0) {
  console.log('worker bundle failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (run(npx, ['tsc', '--noEmit', '-p', 'tsconfig.json']) !== 0) {
  console.log('type check failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (run(process.execPath, ['scripts/build.mjs']) !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// The browser tests (test/browser) run whenever a Chromium is found; say so either way.
const chromium = [process.env.SPINDIFF_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));
const browserLine = chromium ? `browser tests: run in ${chromium}` : 'browser tests: SKIPPED (no Chromium found; apt-get install chromium, or set SPINDIFF_CHROMIUM)';
console.log(browserLine);
const report = '.vitest-results.json';
rmSync(report, { force: true });
const code = run(npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]);
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  skipped = r.numPendingTests + (r.numTodoTests ?? 0);
  // A file that fails to load has no failed tests but a failed suite: count it as a failure.
  failed = Math.max(r.numFailedTests, r.numFailedTestSuites > 0 ? 1 : 0);
} catch {
  failed = Math.max(1, failed);
}
console.log(browserLine);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code !== 0 ? code : passed === 0 ? 1 : 0);
