import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.js';
import type { Command } from '../context.js';
import { serveStatic } from '../../playground/serve.js';

/** dist/playground beside the CLI bundle (dist/node/cli.js), or under the checkout when run from source. */
function playgroundDir(): string | null {
  for (const rel of ['../playground/', '../../../dist/playground/', '../../dist/playground/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir + 'index.html')) return dir;
  }
  return null;
}

const command: Command = {
  spec: {
    name: 'playground',
    summary: 'serve the playground page on 127.0.0.1 (cross-origin isolated, for the threads backend) until Ctrl-C',
    examples: ['spindiff playground', 'spindiff playground --port 8080'],
    options: {
      port: { type: 'number', help: 'port on 127.0.0.1 (0: any free port)', default: 0, meta: 'N' },
    },
  },
  async run(a, ctx) {
    const port = a['port'] as number;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be an integer in [0, 65535], got ${port}`);
    const dir = playgroundDir();
    if (!dir) throw new Error('playground: dist/playground is missing; run `npm run build` first');
    const s = await serveStatic([dir], { port });
    ctx.stdout(`playground: ${s.url}  (Ctrl-C stops)\n`);
    while (!ctx.signal.aborted) await new Promise((r) => setTimeout(r, 100));
    await s.close();
    return 0;
  },
};
export default command;
