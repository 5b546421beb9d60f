import type { Command } from '../context.js';

/** Placeholder for a command under construction: it says so and exits non-zero. */
export function notYet(name: string): Command {
  return {
    spec: { name, summary: 'not implemented yet', options: {} },
    async run(_args, ctx) {
      ctx.stderr(`spindiff ${name}: not implemented yet\n`);
      return 1;
    },
  };
}
