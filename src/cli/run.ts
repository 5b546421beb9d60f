/** Process entry: wires main() to the real process. The only place that calls process.exit. */
import { main } from './main.js';

const signal = { aborted: false };
process.on('SIGINT', () => {
  if (signal.aborted) process.exit(130);
  signal.aborted = true;
  process.stderr.write('\nspindiff: interrupted; finishing cleanly (Ctrl-C again to abort now)\n');
});

main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
  signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`spindiff: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
