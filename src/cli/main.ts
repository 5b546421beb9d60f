/** The spindiff command line: dispatch to one command module, turn errors into one clear line. */
import { helpText, parseArgs, UsageError } from './args.js';
import type { CliContext, Command } from './context.js';
import { commands } from './commands/index.js';

export function topHelp(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length)) + 2;
  const lines = ['spindiff — inverse Ising inference with diffusion-model data augmentation', '', 'Usage: spindiff <command> [options]   (spindiff <command> --help for its options)', '', 'Commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(width)}${c.summary}`);
  return lines.join('\n');
}

/** Run the CLI on argv (without node and script). Returns the exit code; never calls process.exit. */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout(topHelp() + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    ctx.stdout('spindiff 0.1.0\n');
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    ctx.stderr(`spindiff: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})\n`);
    return 2;
  }
  let cmd: Command;
  try {
    cmd = await entry.load();
  } catch (e) {
    ctx.stderr(`spindiff ${name}: failed to load: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const args = parseArgs(cmd.spec, rest);
    if (args.help) {
      ctx.stdout(helpText(cmd.spec) + '\n');
      return 0;
    }
    return await cmd.run(args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.stderr(`spindiff ${name}: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    ctx.stderr(`spindiff ${name}: ${err?.message ?? String(e)}\n`);
    if (process.env['SPINDIFF_DEBUG']) ctx.stderr(`${err?.stack}\n`);
    return 1;
  }
}
