import { main } from '../../src/cli/main.js';

/** Run the CLI in-process with `cwd` as working directory; capture exit code, stdout and stderr. */
export async function runIn(cwd: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, cwd, signal: { aborted: false } });
  return { code, out, err };
}
